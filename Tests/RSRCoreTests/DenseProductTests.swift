import RSRCore
import Testing

/// The Q6_256 output head's product: on every ISA, each row's dequantized values against x quantized to
/// int8 as the kernels quantize it (s = 127 / max|x|, round half to even), within float rounding; and a batch
/// gives each vector the bits it gets alone (one group of vectors the batch kernel takes together, and two).
@Suite struct DenseProductTests {
    /// The tensor's bytes, alive as long as the tensor that holds it as its owner.
    final class Bytes {
        let buffer: UnsafeMutableRawBufferPointer
        init(count: Int) { buffer = .allocate(byteCount: count, alignment: 64) }
        deinit { buffer.deallocate() }
    }

    @Test(arguments: ISA.supported, [3, 11])
    func q6ProductsAreTheDequantizedRowsTimesTheQuantizedInput(isa: ISA, batch: Int) throws {
        let rows = 37, cols = 768
        var rng = SplitMix64(seed: 11)
        let w = (0..<rows * cols).map { _ in Float.random(in: -1...1, using: &rng) }
        let bytes = Bytes(count: try #require(DenseTensor.byteCount(.q6_256, rows: rows, cols: cols)))
        try w.withUnsafeBufferPointer { try DenseTensor.quantizeQ6($0, rows: rows, cols: cols, into: bytes.buffer) }
        let tensor = try DenseTensor(.q6_256, rows: rows, cols: cols, bytes: UnsafeRawBufferPointer(bytes.buffer), owner: bytes)
        let x = (0..<batch * cols).map { _ in Float.random(in: -4...4, using: &rng) }
        let pool = try ThreadPool(threads: 2)
        pool.limitISA(to: isa)
        var together = [Float](repeating: .nan, count: batch * rows)
        try tensor.multiply(x, batch: batch, into: &together, workspace: Workspace(), pool: pool)
        var row = [Float](repeating: 0, count: cols)
        for b in 0..<batch {
            var alone = [Float](repeating: .nan, count: rows)
            try x.withUnsafeBufferPointer { x in
                try tensor.multiply(x.baseAddress! + b * cols, into: &alone, workspace: Workspace(), pool: pool)
            }
            #expect(alone.map(\.bitPattern) == Array(together[b * rows..<(b + 1) * rows]).map(\.bitPattern), "vector \(b)")
            // as rsr_quantize_i8 does it, in float
            let v = x[b * cols..<(b + 1) * cols], s = Float(127) / v.map { abs($0) }.max()!
            let q = v.map { Double(($0 * s).rounded(.toNearestOrEven).clamped(to: -128...127)) }
            for r in 0..<rows {
                try tensor.row(r, into: &row)
                let terms = zip(row, q).map { Double($0) * $1 / Double(s) }
                let expected = terms.reduce(0, +), size = terms.map { abs($0) }.reduce(0, +)
                #expect(abs(Double(alone[r]) - expected) <= 1e-5 * size, "vector \(b) row \(r): \(alone[r]) against \(expected)")
            }
        }
    }
}

private extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
