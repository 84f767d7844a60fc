// Written by `rsr bench kernels --swift-file`. Measured on: AMD EPYC, avx512, 2 threads, cold weights; median µs.
extension TunedKernels {
    public static let measuredISA: ISA = .avx512
    public static let table: [Entry] = [
        Entry(2560, 2560, batch: 1, ["rsr": 393.3, "rsr-t": 41.7, "packed-i2": 45.2]),
        Entry(2560, 2560, batch: 64, ["rsr": 908.9, "rsr-t": 1565.8, "packed-i2": 966.7]),
        Entry(640, 2560, batch: 1, ["rsr": 74.3, "rsr-t": 12.7, "packed-i2": 15.2]),
        Entry(640, 2560, batch: 64, ["rsr": 262.1, "rsr-t": 479.5, "packed-i2": 275.9]),
        Entry(6912, 2560, batch: 1, ["rsr": 1060.2, "rsr-t": 102.6, "packed-i2": 114.9]),
        Entry(6912, 2560, batch: 64, ["rsr": 2379.7, "rsr-t": 3934.4, "packed-i2": 2597.9]),
        Entry(2560, 6912, batch: 1, ["rsr": 854.5, "rsr-t": 109.6, "packed-i2": 117.2]),
        Entry(2560, 6912, batch: 64, ["rsr": 2132.1, "rsr-t": 4394.8, "packed-i2": 2665.3]),
        Entry(4096, 4096, batch: 1, ["rsr": 918.9, "rsr-t": 101.4, "packed-i2": 109.6]),
        Entry(4096, 4096, batch: 64, ["rsr": 2067.5, "rsr-t": 3791.5, "packed-i2": 2461.0]),
        Entry(1024, 4096, batch: 1, ["rsr": 231.1, "rsr-t": 29.3, "packed-i2": 30.6]),
        Entry(1024, 4096, batch: 64, ["rsr": 572.8, "rsr-t": 1068.5, "packed-i2": 649.0]),
        Entry(14336, 4096, batch: 1, ["rsr": 3202.5, "rsr-t": 372.6, "packed-i2": 401.0]),
        Entry(14336, 4096, batch: 64, ["rsr": 8089.2, "rsr-t": 12403.5, "packed-i2": 8824.1]),
        Entry(4096, 14336, batch: 1, ["rsr": 2347.6, "rsr-t": 343.2, "packed-i2": 399.8]),
        Entry(4096, 14336, batch: 64, ["rsr": 7102.5, "rsr-t": 13522.2, "packed-i2": 8502.7]),
        Entry(1024, 1024, batch: 1, ["rsr": 64.7, "rsr-t": 9.6, "packed-i2": 11.8]),
        Entry(1024, 1024, batch: 64, ["rsr": 223.9, "rsr-t": 511.5, "packed-i2": 168.2]),
        Entry(2048, 2048, batch: 1, ["rsr": 265.3, "rsr-t": 27.3, "packed-i2": 30.4]),
        Entry(2048, 2048, batch: 64, ["rsr": 640.8, "rsr-t": 1051.1, "packed-i2": 627.1]),
        Entry(8192, 8192, batch: 1, ["rsr": 2945.1, "rsr-t": 365.4, "packed-i2": 411.6]),
        Entry(8192, 8192, batch: 64, ["rsr": 7601.5, "rsr-t": 14591.8, "packed-i2": 9709.0]),
        Entry(16384, 16384, batch: 1, ["rsr": 10774.4, "rsr-t": 1609.5, "packed-i2": 1647.7]),
        Entry(16384, 16384, batch: 64, ["rsr": 28057.8, "rsr-t": 76834.1, "packed-i2": 38403.4]),
    ]
}
