import CRSRKernels

/// The machine's memory read bandwidth, measured the way STREAM does.
public enum MemoryBandwidth {
    /// Last-level cache size in bytes as the OS reports it (0 when unknown).
    public static var lastLevelCacheBytes: Int { Int(rsr_llc_bytes()) }

    /// Bytes per second read by all threads of `pool` from a buffer four times the last-level cache (at
    /// least 256 MiB), each thread streaming its own slice: the best of `runs` passes.
    public static func read(pool: ThreadPool, runs: Int = 5) throws -> Double {
        let bytes = max(4 * lastLevelCacheBytes, 256 << 20)
        let buffer = AlignedBuffer(count: bytes) // zero-filled, so every page is touched before timing
        var best = 0.0
        for _ in 0..<runs {
            var rate = 0.0
            try check(rsr_read_bandwidth(buffer.pointer, UInt64(bytes), pool.raw, &rate), "measuring read bandwidth")
            best = max(best, rate)
        }
        return best
    }
}
