/// Measured times of the ternary kernels by shape and batch class, from `rsr bench kernels --swift-file`
/// on one machine (TunedKernelTable.swift). `rsr convert --kernel auto` picks layouts with it.
public enum TunedKernels {
    public struct Entry: Sendable {
        public let shape: MatrixShape
        public let batch: Int
        /// Median µs per product by kernel name ("rsr", "rsr-t", "packed-i2").
        public let micros: [String: Double]

        public init(_ rows: Int, _ cols: Int, batch: Int, _ micros: [String: Double]) {
            self.shape = MatrixShape(rows: rows, cols: cols)
            self.batch = batch
            self.micros = micros
        }
    }

    /// Kernel times for the tabled shape nearest to `shape` in this batch class, or nil when the table was
    /// measured at another instruction-set level than `isa` (the ranking would not carry over).
    public static func times(for shape: MatrixShape, batch: Int, isa: ISA) -> [String: Double]? {
        guard isa == measuredISA else { return nil }
        let candidates = table.filter { $0.batch == KTuner.batchClass(batch) }
        return candidates.min { $0.shape.distance(to: shape) < $1.shape.distance(to: shape) }?.micros
    }
}
