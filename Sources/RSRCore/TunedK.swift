/// Measured best k for classical RSR by shape and batch class; `KTuner.tunedK` reads it. The table itself
/// is in TunedKTable.swift, written by `rsr bench tune --swift-file`.
public enum TunedK {
    public struct Entry: Sendable {
        public let shape: MatrixShape
        public let batch: Int
        public let weights: WeightKind
        public let k: Int

        public init(_ rows: Int, _ cols: Int, batch: Int, _ weights: WeightKind, k: Int) {
            self.shape = MatrixShape(rows: rows, cols: cols)
            self.batch = batch
            self.weights = weights
            self.k = k
        }
    }
}
