// Written by `rsr bench tune --swift-file`. Measured on: AMD EPYC, avx512, 1 thread.
extension TunedK {
    public static let table: [Entry] = [
        Entry(2560, 2560, batch: 1, .ternary, k: 3),
        Entry(2560, 2560, batch: 64, .ternary, k: 4),
        Entry(640, 2560, batch: 1, .ternary, k: 4),
        Entry(640, 2560, batch: 64, .ternary, k: 4),
        Entry(6912, 2560, batch: 1, .ternary, k: 3),
        Entry(6912, 2560, batch: 64, .ternary, k: 4),
        Entry(2560, 6912, batch: 1, .ternary, k: 4),
        Entry(2560, 6912, batch: 64, .ternary, k: 4),
        Entry(4096, 4096, batch: 1, .ternary, k: 4),
        Entry(4096, 4096, batch: 64, .ternary, k: 4),
        Entry(1024, 4096, batch: 1, .ternary, k: 3),
        Entry(1024, 4096, batch: 64, .ternary, k: 4),
        Entry(14336, 4096, batch: 1, .ternary, k: 4),
        Entry(14336, 4096, batch: 64, .ternary, k: 5),
        Entry(4096, 14336, batch: 1, .ternary, k: 4),
        Entry(4096, 14336, batch: 64, .ternary, k: 4),
        Entry(1024, 1024, batch: 1, .ternary, k: 3),
        Entry(1024, 1024, batch: 64, .ternary, k: 3),
        Entry(2048, 2048, batch: 1, .ternary, k: 3),
        Entry(2048, 2048, batch: 64, .ternary, k: 4),
        Entry(8192, 8192, batch: 1, .ternary, k: 4),
        Entry(8192, 8192, batch: 64, .ternary, k: 4),
        Entry(16384, 16384, batch: 1, .ternary, k: 5),
        Entry(16384, 16384, batch: 64, .ternary, k: 5),
    ]
}
