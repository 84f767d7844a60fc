import RSRCore
import Testing

/// The baselines must compute the same product as the kernels they are compared with.
@Suite struct BaselineTests {
    @Test(arguments: [(1, 1), (7, 13), (33, 300), (130, 257)], [1, 2, 5])
    func floatBaselinesMatchReference(shape: (Int, Int), batch: Int) throws {
        var rng = SplitMix64(seed: UInt64(shape.0 * 1000 + shape.1 + batch))
        let matrix = try LowBitMatrix.random(rows: shape.0, cols: shape.1, kind: .ternary, using: &rng)
        let x = randomInt8(batch * matrix.cols, using: &rng)
        let expected = referenceProduct(matrix, x, batch: batch).map(Float.init) // integer-valued: exact in f32
        let xf = x.map(Float.init)
        let dense = DenseMatrix(matrix)
        let hf = try HFPackedMatrix(matrix)
        let scratch = hf.makeScratch()
        for threads in [1, 3] {
            let pool = try ThreadPool(threads: threads)
            var naive = [Float](repeating: .nan, count: batch * matrix.rows)
            var blas = naive
            var unpacked = naive
            try xf.withUnsafeBufferPointer { xp in
                try naive.withUnsafeMutableBufferPointer { try dense.multiplyNaive(xp.baseAddress!, batch: batch, into: $0.baseAddress!, pool: pool) }
                try blas.withUnsafeMutableBufferPointer { try dense.multiplyBLAS(xp.baseAddress!, batch: batch, into: $0.baseAddress!, threads: threads) }
                try unpacked.withUnsafeMutableBufferPointer {
                    try hf.multiply(xp.baseAddress!, batch: batch, into: $0.baseAddress!, scratch: scratch, pool: pool)
                }
            }
            #expect(naive == expected, "dense-f32 \(shape) batch \(batch) threads \(threads)")
            #expect(blas == expected, "openblas-f32 \(shape) batch \(batch) threads \(threads)")
            #expect(unpacked == expected, "hf-unpack \(shape) batch \(batch) threads \(threads)")
        }
    }

    /// transformers' unpack_weights, written out: row block i of the matrix is bits 2i..2i+1 of every packed
    /// byte, minus one; rows past the end pack as zero weights.
    @Test(arguments: [(4, 3), (8, 5), (9, 7), (1, 2)])
    func hfPackingIsTransformersLayout(shape: (Int, Int)) throws {
        var rng = SplitMix64(seed: 77)
        let matrix = try LowBitMatrix.random(rows: shape.0, cols: shape.1, kind: .ternary, using: &rng)
        let packed = try HFPackedMatrix(matrix).packedBytes
        let p = (shape.0 + 3) / 4
        #expect(packed.count == p * shape.1)
        for i in 0..<4 {
            for r in 0..<p {
                for c in 0..<shape.1 {
                    let row = i * p + r
                    let value = Int((packed[r * shape.1 + c] >> (2 * i)) & 3) - 1
                    #expect(value == (row < shape.0 ? Int(matrix.values[row * shape.1 + c]) : 0), "row \(row) col \(c)")
                }
            }
        }
    }
}
