import CRSRKernels

/// Ternary matrices from the two forms Hugging Face checkpoints hold them in.
extension LowBitMatrix {
    /// Unpacks transformers' 2-bit packing: `packed` is [rows/4][cols] bytes, and row i*P + r of the
    /// matrix is crumb i of packed row r (P = rows/4), minus one.
    public static func unpackingHF(_ packed: UnsafeRawBufferPointer, rows: Int, cols: Int, pool: ThreadPool?) throws -> LowBitMatrix {
        let what = "unpacking \(rows / 4)x\(cols) packed bytes into a \(rows)x\(cols) ternary matrix"
        guard rows % 4 == 0, rows > 0, cols > 0, packed.count == rows / 4 * cols, let base = packed.baseAddress else {
            throw KernelError(operation: what, status: RSR_ERR_SHAPE)
        }
        var values = [Int8](repeating: 0, count: rows * cols)
        try values.withUnsafeMutableBufferPointer { w in
            try check(rsr_hf_unpack_i8(base.assumingMemoryBound(to: UInt8.self), UInt32(rows / 4), UInt32(cols), w.baseAddress, pool?.raw), what)
        }
        return LowBitMatrix(rows: rows, cols: cols, kind: .ternary, checkedValues: values)
    }

    /// Absmean ternarisation of a float matrix, as transformers' WeightQuant: returns the ternary matrix
    /// and `scale` = 1 / max(mean |w|, 1e-5), so that w ≈ matrix / scale.
    public static func absmean(_ w: [Float], rows: Int, cols: Int, pool: ThreadPool?) throws -> (matrix: LowBitMatrix, scale: Float) {
        let what = "ternarising a \(rows)x\(cols) float matrix"
        guard rows > 0, cols > 0, w.count == rows * cols else { throw KernelError(operation: what, status: RSR_ERR_SHAPE) }
        var values = [Int8](repeating: 0, count: rows * cols)
        var scale: Float = 0
        try w.withUnsafeBufferPointer { src in
            try values.withUnsafeMutableBufferPointer { q in
                try check(rsr_absmean_ternarize(src.baseAddress, UInt64(src.count), q.baseAddress, &scale, pool?.raw), what)
            }
        }
        return (LowBitMatrix(rows: rows, cols: cols, kind: .ternary, checkedValues: values), scale)
    }
}
