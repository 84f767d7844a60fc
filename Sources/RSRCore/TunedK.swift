/// Measured best k for classical RSR by shape and batch class (`rsr bench tune --emit swift` writes this
/// table). Measured on: placeholder until the first tuning run.
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

    public static let table: [Entry] = []
}
