import CRSRCuda

/// One CUDA device opened through the library: its stream, and what it is.
public final class CUDADevice: @unchecked Sendable {
    public let library: CUDALibrary
    let context: OpaquePointer

    public struct Info: Sendable {
        public let name: String
        public let computeCapability: (major: Int, minor: Int)
        public let multiprocessors: Int
        public let totalBytes: Int
        public let freeBytes: Int
        /// Bytes per second the memory bus carries at its clock (0 when the driver does not say).
        public let memoryBandwidth: Double
    }

    public init(library: CUDALibrary, ordinal: Int = 0) throws {
        self.library = library
        var context: OpaquePointer?
        try library.check(library.api.context_create(Int32(ordinal), &context))
        self.context = context!
    }

    deinit { library.api.context_free(context) }

    public func info() throws -> Info {
        var raw = rsr_cuda_device_info()
        try library.check(library.api.device_info_get(context, &raw))
        let name = withUnsafeBytes(of: raw.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return Info(name: name, computeCapability: (Int(raw.compute_major), Int(raw.compute_minor)),
                    multiprocessors: Int(raw.multiprocessors), totalBytes: Int(raw.total_bytes), freeBytes: Int(raw.free_bytes),
                    memoryBandwidth: raw.memory_bandwidth)
    }
}
