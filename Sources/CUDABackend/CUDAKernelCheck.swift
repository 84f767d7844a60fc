import RSRCore

/// The GPU kernels against the CPU kernel library: the same random ternary matrices and int8 batches must
/// give the same int32 products, and the same integer matrices the same floats, bit for bit.
public enum CUDAKernelCheck {
    /// Shapes that end mid-word, mid-group and mid-chunk on both GPU layouts, and one of each model family.
    public static let awkwardShapes: [MatrixShape] = [
        "1x1", "3x7", "33x65", "65x161", "100x333", "257x1000", "640x2560", "1000x4099", "2560x6912",
    ].compactMap(MatrixShape.init)

    public struct Mismatch: CustomStringConvertible, Sendable {
        public let kernel: CUDAKernel
        public let shape: MatrixShape
        public let batch: Int
        public let index: Int
        public let cpu: String
        public let gpu: String
        public let weights: String
        public var description: String {
            "\(kernel) \(weights)\(shape) batch \(batch): output \(index) is \(gpu) on the GPU and \(cpu) on the CPU"
        }
    }

    /// Integer weights: every bit width's planes over groups that straddle chunks and slices, with and without
    /// zero points and act-order permutations.
    public static let integerCases: [(bits: Int, group: Int, zeroPoints: Bool, permuted: Bool)] = [
        (2, 128, false, false), (3, 32, true, true), (4, 128, false, false), (4, 40, true, false), (5, 64, false, true),
        (8, 4096, true, false),
    ]

    /// Runs every kernel on every shape and batch; returns the first wrong output of each case. The batches
    /// cover both bit-plane kernels (lookup below 8 vectors, mma from 8) and all three packed-i2 ones (one
    /// vector, dp4a below 16, Tensor Cores from 16 in tiles of 32, one partial and two).
    public static func run(device: CUDADevice, shapes: [MatrixShape] = awkwardShapes, batches: [Int] = [1, 3, 17, 40],
                           seed: UInt64 = 1) throws -> (cases: Int, mismatches: [Mismatch]) {
        var rng = SplitMix64(seed: seed)
        var cases = 0
        var mismatches: [Mismatch] = []
        for shape in shapes {
            let matrix = try LowBitMatrix.random(rows: shape.rows, cols: shape.cols, kind: .ternary, using: &rng)
            let cpu = try Layout(matrix, as: .rsrT)
            for kernel in [CUDAKernel.rsrT, .packedI2] {
                let gpu = try CUDALinear(device: device, kernel: kernel, rows: shape.rows, cols: shape.cols, values: matrix.values)
                for batch in batches {
                    let x = (0..<batch * shape.cols).map { _ in Int8(truncatingIfNeeded: rng.next()) }
                    let expected = try cpu.multiply(x, batch: batch), got = try gpu.multiply(x, batch: batch)
                    cases += 1
                    if let i = expected.indices.first(where: { expected[$0] != got[$0] }) {
                        mismatches.append(Mismatch(kernel: kernel, shape: shape, batch: batch, index: i, cpu: "\(expected[i])",
                                                   gpu: "\(got[i])", weights: "ternary "))
                    }
                }
            }
            for c in integerCases {
                let matrix = try IntegerMatrix.random(rows: shape.rows, cols: shape.cols, bits: c.bits, group: c.group, zeroPoints: c.zeroPoints,
                                                      permuted: c.permuted, using: &rng)
                let cpu = try BitPlaneLayout(matrix), gpu = try CUDALinear(device: device, integer: matrix)
                let weights = "\(c.bits)-bit group \(matrix.group)\(c.zeroPoints ? " zero points" : "")\(c.permuted ? " act order" : "") "
                for batch in batches {
                    let x = (0..<batch * shape.cols).map { _ in Int8(truncatingIfNeeded: rng.next()) }
                    let expected = try cpu.multiply(x, batch: batch), got = try gpu.multiplyFloats(x, batch: batch)
                    cases += 1
                    if let i = expected.indices.first(where: { expected[$0].bitPattern != got[$0].bitPattern }) {
                        mismatches.append(Mismatch(kernel: .bitPlanes, shape: shape, batch: batch, index: i, cpu: "\(expected[i])",
                                                   gpu: "\(got[i])", weights: weights))
                    }
                }
            }
        }
        return (cases, mismatches)
    }
}
