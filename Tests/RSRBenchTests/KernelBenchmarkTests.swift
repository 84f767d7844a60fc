import RSRBench
import RSRCore
import Testing

@Suite struct KernelBenchmarkTests {
    @Test func parsesShapesAndK() {
        #expect(MatrixShape("6912x2560") == MatrixShape(rows: 6912, cols: 2560))
        #expect(MatrixShape("6912X2560") == MatrixShape(rows: 6912, cols: 2560))
        for bad in ["6912", "x2560", "0x4", "4x-1", "axb", "4x4x4"] { #expect(MatrixShape(bad) == nil, "\(bad)") }
        #expect(KChoice("auto") == .auto)
        #expect(KChoice("5") == .fixed(5))
        #expect(KChoice("0") == nil)
        #expect(KChoice("four") == nil)
    }

    @Test func defaultShapesCoverTheTargetModels() {
        let shapes = Set(KernelBenchmark.defaultShapes.map(\.description))
        for s in ["2560x2560", "640x2560", "6912x2560", "2560x6912", "4096x4096", "1024x4096", "14336x4096",
                  "4096x14336", "1024x1024", "2048x2048", "8192x8192", "16384x16384"] {
            #expect(shapes.contains(s), "\(s)")
        }
    }

    /// A real run on a small shape: every kernel, every case, times measured and speedups relative. (130
    /// columns are neither whole Q4_0 nor Q6_256 blocks: q4-0 and q6-k are left out of that shape, measured
    /// on the other.)
    @Test func smallRunMeasuresEveryKernel() throws {
        let shapes = [MatrixShape(rows: 96, cols: 130), MatrixShape(rows: 70, cols: 256)]
        var bench = KernelBenchmark(shapes: shapes, threads: [1, 2], batches: [1, 3])
        bench.cold = false
        bench.minSeconds = 0.005
        bench.k = .fixed(3)
        var progress: [String] = []
        let result = try bench.run { progress.append($0) }
        #expect(result.rows.count == (2 * KernelName.allCases.count - 2) * 2 * 2)
        for row in result.rows {
            #expect(row.medianSeconds > 0)
            #expect(row.bitsPerWeight > 0)
            if row.kernel.usesK { #expect(row.k == 3) }
            if KernelName.baselines.contains(row.kernel) { #expect(row.speedup[row.kernel] == 1) }
            #expect(row.speedup.count == KernelName.baselines.count - (row.shape.cols % 32 == 0 ? 0 : 1))
        }
        #expect(result.machine.readBandwidth[1]! > 1e8)
        #expect(progress.contains { $0.hasPrefix("read bandwidth, 2 threads") })
    }

    @Test func coldRunsRotateOverTheWorkingSet() {
        var bench = KernelBenchmark()
        #expect(bench.coldBytes! >= max(4 * MemoryBandwidth.lastLevelCacheBytes, 128 << 20))
        bench.cold = false
        #expect(bench.coldBytes == nil)
    }
}
