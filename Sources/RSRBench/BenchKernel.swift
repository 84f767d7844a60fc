import RSRCore

/// Inputs and outputs of one benchmark case, shared by every kernel measured on it.
final class BenchBuffers {
    let batch: Int
    var int8Input: [Int8]
    var floatInput: [Float]
    var int32Output: [Int32]
    var floatOutput: [Float]
    let workspace = Workspace()

    /// `zeros`: the fraction of int8 inputs set to zero, as a relu² GLU leaves its output.
    init(shape: MatrixShape, batch: Int, seed: UInt64, zeros: Double = 0) {
        var rng = SplitMix64(seed: seed)
        self.batch = batch
        int8Input = (0..<batch * shape.cols).map { _ in
            let value = Int8.random(in: -127...127, using: &rng)
            return zeros > 0 && Double.random(in: 0..<1, using: &rng) < zeros ? 0 : value
        }
        floatInput = int8Input.map { Float($0) / 127 }
        int32Output = .init(repeating: 0, count: batch * shape.rows)
        floatOutput = .init(repeating: 0, count: batch * shape.rows)
    }
}

/// A kernel prepared for one matrix, with enough copies of its weights to rotate over.
final class BenchKernel {
    let name: KernelName
    /// Bytes of weights (index included) one call reads.
    let weightBytes: Int
    /// Block rows (rsr), columns per group (rsr-t); nil where the kernel has no such parameter.
    let k: Int?
    let copies: Int
    private let call: (_ copy: Int, _ buffers: BenchBuffers, _ pool: ThreadPool) throws -> Void

    private init(name: KernelName, weightBytes: Int, k: Int?, copies: Int,
                 call: @escaping (Int, BenchBuffers, ThreadPool) throws -> Void) {
        self.name = name
        self.weightBytes = weightBytes
        self.k = k
        self.copies = copies
        self.call = call
    }

    func run(copy: Int, buffers: BenchBuffers, pool: ThreadPool) throws {
        try call(copy % copies, buffers, pool)
    }

    /// Prepares `name` for `matrix`. `coldBytes`: how many bytes of weights to rotate over (nil: warm,
    /// one copy).
    static func prepare(_ name: KernelName, matrix: LowBitMatrix, k: Int, coldBytes: Int?, pool: ThreadPool) throws -> BenchKernel {
        func copyCount(_ bytes: Int) -> Int {
            guard let cold = coldBytes else { return 1 }
            return min(256, max(1, (cold + bytes - 1) / bytes))
        }
        switch name {
        case .denseF32, .openblasF32:
            let first = DenseMatrix(matrix)
            let copies = [first] + (1..<copyCount(first.byteCount)).map { _ in first.copy() }
            return BenchKernel(name: name, weightBytes: first.byteCount, k: nil, copies: copies.count) { copy, b, pool in
                try b.floatInput.withUnsafeBufferPointer { x in
                    try b.floatOutput.withUnsafeMutableBufferPointer { y in
                        if name == .denseF32 {
                            try copies[copy].multiplyNaive(x.baseAddress!, batch: b.batch, into: y.baseAddress!, pool: pool)
                        } else {
                            try copies[copy].multiplyBLAS(x.baseAddress!, batch: b.batch, into: y.baseAddress!, threads: pool.threads)
                        }
                    }
                }
            }
        case .hfUnpack:
            let first = try HFPackedMatrix(matrix)
            let copies = [first] + (1..<copyCount(first.byteCount)).map { _ in first.copy() }
            let scratch = first.makeScratch()
            return BenchKernel(name: name, weightBytes: first.byteCount, k: nil, copies: copies.count) { copy, b, pool in
                try b.floatInput.withUnsafeBufferPointer { x in
                    try b.floatOutput.withUnsafeMutableBufferPointer { y in
                        try copies[copy].multiply(x.baseAddress!, batch: b.batch, into: y.baseAddress!, scratch: scratch, pool: pool)
                    }
                }
            }
        case .q4_0, .q6K:
            // random bytes under an f16 block scale of 1 (first in both formats): the speed does not depend on the values
            let (type, blockBytes): (DenseType, Int) = name == .q4_0 ? (.q4_32, 18) : (.q6_256, 210)
            let bytes = DenseTensor.byteCount(type, rows: matrix.rows, cols: matrix.cols)!
            let first = AlignedBuffer(count: bytes)
            var rng = SplitMix64(seed: UInt64(bytes))
            for block in 0..<bytes / blockBytes {
                first.pointer.storeBytes(of: UInt16(0x3c00).littleEndian, toByteOffset: block * blockBytes, as: UInt16.self)
                for i in 2..<blockBytes {
                    first.pointer.storeBytes(of: UInt8.random(in: 0...255, using: &rng), toByteOffset: block * blockBytes + i, as: UInt8.self)
                }
            }
            let buffers = [first] + (1..<copyCount(bytes)).map { _ in
                let copy = AlignedBuffer(count: bytes)
                copy.pointer.copyMemory(from: first.pointer, byteCount: bytes)
                return copy
            }
            let copies = try buffers.map {
                try DenseTensor(type, rows: matrix.rows, cols: matrix.cols, bytes: UnsafeRawBufferPointer(start: $0.pointer, count: bytes), owner: $0)
            }
            return BenchKernel(name: name, weightBytes: bytes, k: nil, copies: copies.count) { copy, b, pool in
                try b.floatInput.withUnsafeBufferPointer { x in
                    try b.floatOutput.withUnsafeMutableBufferPointer { y in
                        try copies[copy].multiply(x.baseAddress!, batch: b.batch, into: y.baseAddress!, workspace: b.workspace, pool: pool)
                    }
                }
            }
        case .bitPlanes2, .bitPlanes3, .bitPlanes4, .bitPlanes8, .packed2, .packed4, .packed8:
            var rng = SplitMix64(seed: UInt64(matrix.rows * 31 + matrix.cols * 7 + name.bits!))
            let first = try BitPlaneLayout(IntegerMatrix.random(rows: matrix.rows, cols: matrix.cols, bits: name.bits!, group: 128, using: &rng),
                                           packed: name.isPacked, pool: pool)
            let copies = [first] + (1..<copyCount(first.byteCount)).map { _ in first.copy() }
            return BenchKernel(name: name, weightBytes: first.byteCount, k: nil, copies: copies.count) { copy, b, pool in
                try b.int8Input.withUnsafeBufferPointer { x in
                    try b.floatOutput.withUnsafeMutableBufferPointer { y in
                        try copies[copy].multiply(x.baseAddress!, batch: b.batch, into: y.baseAddress!, workspace: b.workspace, pool: pool)
                    }
                }
            }
        case .packedI2, .sparseI2, .rsr, .rsrF32, .rsrT:
            let kind: LayoutKind = switch name {
                case .packedI2: .packedI2
                case .sparseI2: .sparseI2
                case .rsrT: .rsrT
                default: .rsr(k: k)
            }
            let first = try Layout(matrix, as: kind, pool: pool)
            let copies = [first] + (1..<copyCount(first.byteCount)).map { _ in first.copy() }
            return BenchKernel(name: name, weightBytes: first.byteCount, k: first.k, copies: copies.count) { copy, b, pool in
                if name == .rsrF32 {
                    try b.floatInput.withUnsafeBufferPointer { x in
                        try b.floatOutput.withUnsafeMutableBufferPointer { y in
                            try copies[copy].multiply(x.baseAddress!, batch: b.batch, into: y.baseAddress!, workspace: b.workspace, pool: pool)
                        }
                    }
                } else {
                    try b.int8Input.withUnsafeBufferPointer { x in
                        try b.int32Output.withUnsafeMutableBufferPointer { y in
                            try copies[copy].multiply(x.baseAddress!, batch: b.batch, into: y.baseAddress!, workspace: b.workspace, pool: pool)
                        }
                    }
                }
            }
        }
    }
}
