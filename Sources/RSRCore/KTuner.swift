import CRSRKernels
import Foundation

/// Chooses k, the rows per block of classical RSR. Larger k means fewer passes over the input but 3^k
/// (2^k) segments per block to finish and fold, so the best k depends on the shape, the batch and the
/// machine. `TunedK.table` holds measured choices; `KTuner` measures new ones.
public enum KTuner {
    /// Batch sizes the table distinguishes: single vectors, and batches.
    public static func batchClass(_ batch: Int) -> Int { batch == 1 ? 1 : 64 }

    /// k from the tuned table for this shape and batch: the entry with the closest column count (the
    /// segment lengths depend on columns), or 4 when the table has nothing for this weight kind.
    public static func tunedK(for shape: MatrixShape, batch: Int, weights: WeightKind) -> Int {
        let candidates = TunedK.table.filter { $0.weights == weights && $0.batch == batchClass(batch) }
        guard let best = candidates.min(by: { $0.shape.distance(to: shape) < $1.shape.distance(to: shape) }) else { return 4 }
        return best.k
    }

    /// Measures classical RSR for each k on a random matrix of this shape and returns the fastest, with
    /// every k's median time in seconds.
    public static func measure(shape: MatrixShape, batch: Int, weights: WeightKind, ks: ClosedRange<Int>,
                               pool: ThreadPool, minSeconds: Double = 0.2) throws -> (k: Int, medians: [Int: Double]) {
        var rng = SplitMix64(seed: 0x5EED)
        let matrix = try LowBitMatrix.random(rows: shape.rows, cols: shape.cols, kind: weights, using: &rng)
        var x = (0..<batch * shape.cols).map { _ in Int8.random(in: -127...127, using: &rng) }
        var y = [Int32](repeating: 0, count: batch * shape.rows)
        let workspace = Workspace()
        var medians: [Int: Double] = [:]
        for k in ks where LayoutKind.rsrKRange(weights).contains(k) {
            let layout = try Layout(matrix, as: .rsr(k: k), pool: pool)
            try x.withUnsafeMutableBufferPointer { xp in
                try y.withUnsafeMutableBufferPointer { yp in
                    medians[k] = try Timing.measure(minSeconds: minSeconds) { _ in
                        try layout.multiply(xp.baseAddress!, batch: batch, into: yp.baseAddress!, workspace: workspace, pool: pool)
                    }.median
                }
            }
        }
        guard let best = medians.min(by: { $0.value < $1.value }) else {
            throw KernelError(operation: "tuning k over \(ks)", status: RSR_ERR_K_RANGE)
        }
        return (best.key, medians)
    }
}
