import CRSRKernels

/// A persistent pool of kernel threads (the calling thread is one of them). One product runs on a pool at
/// a time; use one pool per thread that calls into the kernels.
public final class ThreadPool: @unchecked Sendable {
    let raw: OpaquePointer
    public let threads: Int

    public init(threads: Int) throws {
        guard threads >= 1, threads <= 256 else {
            throw KernelError(operation: "creating a pool of \(threads) threads", status: RSR_ERR_THREADS)
        }
        var pool: OpaquePointer?
        try check(rsr_pool_create(Int32(threads), &pool), "creating a pool of \(threads) threads")
        self.raw = pool!
        self.threads = threads
    }

    deinit { rsr_pool_free(raw) }

    /// The instruction set products on this pool use: the best supported one not above the limit.
    public var isa: ISA { ISA(rawValue: Int32(rsr_pool_isa(raw).rawValue))! }

    /// Lets idle workers sleep now instead of spinning, before another library (OpenBLAS) uses the cores.
    public func park() { rsr_pool_park(raw) }

    /// Caps the instruction set of products run on this pool.
    public func limitISA(to isa: ISA) {
        _ = rsr_pool_set_isa(raw, rsr_isa(UInt32(isa.rawValue)))
    }
}
