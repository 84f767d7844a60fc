import RSRCore
import Testing

/// ggml's Q4_0 blocks (the `q4` head format) multiplied at every instruction-set level against the rows
/// they decode to, on column counts that take the 4-block steps, the 1-block tail, and both.
@Suite struct Q4ProductTests {
    @Test(arguments: [96, 128, 160, 352, 4096 + 96])
    func productMatchesTheDecodedRows(cols: Int) throws {
        let rows = 37
        var rng = SplitMix64(seed: UInt64(cols))
        let bytes = DenseTensor.byteCount(.q4_32, rows: rows, cols: cols)!
        let storage = AlignedBuffer(count: bytes)
        for block in 0..<bytes / 18 {
            let d = Float16(Float.random(in: -0.02...0.02, using: &rng))
            storage.pointer.storeBytes(of: d.bitPattern.littleEndian, toByteOffset: block * 18, as: UInt16.self)
            for i in 2..<18 { storage.pointer.storeBytes(of: UInt8.random(in: 0...255, using: &rng), toByteOffset: block * 18 + i, as: UInt8.self) }
        }
        let tensor = try DenseTensor(.q4_32, rows: rows, cols: cols, bytes: UnsafeRawBufferPointer(start: storage.pointer, count: bytes), owner: storage)
        let x = (0..<cols).map { _ in Float.random(in: -1...1, using: &rng) }
        // the product multiplies x quantized to int8 by absmax, as the head does
        let xs = 127 / x.map(abs).max()!
        let input = x.map { Double(($0 * xs).rounded(.toNearestOrEven)) / Double(xs) }
        var row = [Float](repeating: 0, count: cols)
        var expected: [Double] = [], bound: [Double] = []
        for r in 0..<rows {
            try tensor.row(r, into: &row)
            expected.append(zip(row, input).reduce(0) { $0 + Double($1.0) * $1.1 })
            bound.append(zip(row, input).reduce(0) { $0 + abs(Double($1.0) * $1.1) })
        }
        for isa in ISA.supported {
            let pool = try ThreadPool(threads: 2)
            pool.limitISA(to: isa)
            var y = [Float](repeating: .nan, count: rows)
            try tensor.multiply(x, into: &y, workspace: Workspace(), pool: pool)
            for r in 0..<rows {
                #expect(abs(Double(y[r]) - expected[r]) <= 1e-5 * bound[r] + 1e-6, "\(cols) columns, \(isa), row \(r): \(y[r]) vs \(expected[r])")
            }
        }
    }
}
