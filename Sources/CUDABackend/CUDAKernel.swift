import CRSRCuda
import RSRCore

/// The GPU kernels of projections (see cuda/include/rsr_cuda.h): a choice for ternary ones, and the one
/// integer weights always run on.
public enum CUDAKernel: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Per shape, the faster of the two at batch 1, timed when the model is uploaded.
    case auto
    /// Transposed RSR: one byte per 5 weights, per-group pattern-sum tables in shared memory.
    case rsrT = "rsr-t"
    /// 2 bits per weight, dp4a on decoded codes: the GPU baseline.
    case packedI2 = "packed-i2"
    /// Integer weights as bipolar bit-planes: pattern-sum tables for decode, Tensor Core mma for batches.
    case bitPlanes = "bit-planes"

    /// The choices for ternary projections.
    public static let ternary: [CUDAKernel] = [.auto, .rsrT, .packedI2]

    public var description: String { rawValue }

    var raw: rsr_cuda_kernel {
        switch self {
        case .auto: RSR_CUDA_KERNEL_AUTO
        case .rsrT: RSR_CUDA_KERNEL_RSRT
        case .packedI2: RSR_CUDA_KERNEL_PACKED_I2
        case .bitPlanes: RSR_CUDA_KERNEL_BIT_PLANES
        }
    }

    init(raw: rsr_cuda_kernel) {
        self = Self.allCases.first { $0.raw == raw } ?? .auto
    }
}

/// One ternary or integer matrix on the GPU, for kernel tests and benchmarks.
public final class CUDALinear {
    public let device: CUDADevice
    public let rows: Int
    public let cols: Int
    private let linear: OpaquePointer

    public init(device: CUDADevice, kernel: CUDAKernel, rows: Int, cols: Int, values: [Int8]) throws {
        guard rows > 0, cols > 0, values.count == rows * cols else {
            throw CUDAError(.invalidArgument, "a \(rows)x\(cols) matrix needs \(rows * cols) values, not \(values.count)")
        }
        self.device = device
        self.rows = rows
        self.cols = cols
        var linear: OpaquePointer?
        try device.library.check(device.library.api.linear_create(device.context, kernel.raw, values, UInt32(rows), UInt32(cols), &linear))
        self.linear = linear!
    }

    /// Integer weights as bit-planes.
    public init(device: CUDADevice, integer m: IntegerMatrix) throws {
        self.device = device
        rows = m.rows
        cols = m.cols
        var linear: OpaquePointer?
        try m.codes.withUnsafeBufferPointer { codes in
            try m.scales.withUnsafeBufferPointer { scales in
                try withOptionalBuffer(m.zeros) { zeros in
                    try withOptionalBuffer(m.permutation) { perm in
                        var w = rsr_cuda_integer(codes: codes.baseAddress, bits: UInt32(m.bits), group: UInt32(m.group),
                                                 scales: scales.baseAddress, zeros: zeros, perm: perm)
                        try device.library.check(device.library.api.integer_linear_create(device.context, &w, UInt32(m.rows), UInt32(m.cols), &linear))
                    }
                }
            }
        }
        self.linear = linear!
    }

    deinit { device.library.api.linear_free(linear) }

    /// The kernel it runs (auto resolved).
    public var kernel: CUDAKernel { CUDAKernel(raw: device.library.api.linear_kernel(linear)) }

    /// Bytes of its GPU layout.
    public var bytes: Int { Int(device.library.api.linear_bytes(linear)) }

    /// y[batch][rows] = W x for x[batch][cols], exact.
    public func multiply(_ x: [Int8], batch: Int) throws -> [Int32] {
        try checkInput(x, batch: batch)
        var y = [Int32](repeating: 0, count: batch * rows)
        try device.library.check(device.library.api.linear_matmul(linear, x, UInt32(batch), &y))
        return y
    }

    /// y[batch][rows] = W x for integer weights: each group's exact sum times its scale, in group order.
    public func multiplyFloats(_ x: [Int8], batch: Int) throws -> [Float] {
        try checkInput(x, batch: batch)
        var y = [Float](repeating: 0, count: batch * rows)
        try device.library.check(device.library.api.integer_linear_matmul(linear, x, UInt32(batch), &y))
        return y
    }

    private func checkInput(_ x: [Int8], batch: Int) throws {
        guard batch > 0, x.count == batch * cols else {
            throw CUDAError(.invalidArgument, "\(batch) vectors of \(cols) need \(batch * cols) values, not \(x.count)")
        }
    }

    /// Median seconds of one product of a device-resident batch.
    public func time(batch: Int, runs: Int = 50) throws -> Double {
        var seconds = 0.0
        try device.library.check(device.library.api.linear_time(linear, UInt32(batch), UInt32(runs), &seconds))
        return seconds
    }
}
