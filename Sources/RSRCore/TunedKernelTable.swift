// Written by `rsr bench kernels --swift-file`. Measured on: AMD EPYC, avx512, 2 threads, cold weights; median µs.
extension TunedKernels {
    public static let measuredISA: ISA = .avx512
    public static let table: [Entry] = [
        Entry(2560, 2560, batch: 1, ["rsr": 470.6, "rsr-t": 44.8, "packed-i2": 49.3]),
        Entry(2560, 2560, batch: 64, ["rsr": 1507.9, "rsr-t": 3017.8, "packed-i2": 1866.6]),
        Entry(640, 2560, batch: 1, ["rsr": 90.8, "rsr-t": 16.4, "packed-i2": 17.3]),
        Entry(640, 2560, batch: 64, ["rsr": 305.8, "rsr-t": 553.2, "packed-i2": 288.6]),
        Entry(6912, 2560, batch: 1, ["rsr": 1129.5, "rsr-t": 121.9, "packed-i2": 137.7]),
        Entry(6912, 2560, batch: 64, ["rsr": 2756.8, "rsr-t": 4294.2, "packed-i2": 2732.9]),
        Entry(2560, 6912, batch: 1, ["rsr": 843.3, "rsr-t": 142.7, "packed-i2": 150.8]),
        Entry(2560, 6912, batch: 64, ["rsr": 2168.0, "rsr-t": 4505.8, "packed-i2": 2695.7]),
        Entry(4096, 4096, batch: 1, ["rsr": 1458.3, "rsr-t": 170.1, "packed-i2": 191.6]),
        Entry(4096, 4096, batch: 64, ["rsr": 2375.9, "rsr-t": 4347.8, "packed-i2": 2641.7]),
        Entry(1024, 4096, batch: 1, ["rsr": 236.7, "rsr-t": 36.2, "packed-i2": 37.4]),
        Entry(1024, 4096, batch: 64, ["rsr": 616.3, "rsr-t": 1232.9, "packed-i2": 663.5]),
        Entry(14336, 4096, batch: 1, ["rsr": 4995.2, "rsr-t": 466.8, "packed-i2": 475.5]),
        Entry(14336, 4096, batch: 64, ["rsr": 9302.1, "rsr-t": 13793.5, "packed-i2": 8911.4]),
        Entry(4096, 14336, batch: 1, ["rsr": 2901.3, "rsr-t": 429.9, "packed-i2": 448.1]),
        Entry(4096, 14336, batch: 64, ["rsr": 8593.5, "rsr-t": 14636.3, "packed-i2": 8852.2]),
        Entry(1024, 1024, batch: 1, ["rsr": 72.1, "rsr-t": 10.5, "packed-i2": 13.9]),
        Entry(1024, 1024, batch: 64, ["rsr": 249.8, "rsr-t": 518.2, "packed-i2": 171.9]),
        Entry(2048, 2048, batch: 1, ["rsr": 311.1, "rsr-t": 30.3, "packed-i2": 35.4]),
        Entry(2048, 2048, batch: 64, ["rsr": 760.3, "rsr-t": 1170.4, "packed-i2": 663.4]),
        Entry(8192, 8192, batch: 1, ["rsr": 5038.6, "rsr-t": 646.2, "packed-i2": 651.4]),
        Entry(8192, 8192, batch: 64, ["rsr": 12416.1, "rsr-t": 18797.2, "packed-i2": 10840.5]),
        Entry(16384, 16384, batch: 1, ["rsr": 13200.2, "rsr-t": 2011.4, "packed-i2": 2324.8]),
        Entry(16384, 16384, batch: 64, ["rsr": 40364.5, "rsr-t": 116148.5, "packed-i2": 41392.9]),
    ]
}
