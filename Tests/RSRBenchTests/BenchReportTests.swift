import Foundation
import RSRBench
import RSRCore
import Testing

@Suite struct BenchReportTests {
    /// A case with three kernels whose times are known: speedups are baseline time over kernel time.
    func sampleResult() -> BenchResult {
        let shape = MatrixShape(rows: 4096, cols: 4096)
        let bandwidth = 20e9
        let rows = [
            BenchRow(kernel: .hfUnpack, shape: shape, threads: 1, batch: 1, k: nil, medianSeconds: 0.010, weightBytes: 4_194_304, readBandwidth: bandwidth),
            BenchRow(kernel: .packedI2, shape: shape, threads: 1, batch: 1, k: 16, medianSeconds: 0.0002, weightBytes: 4_194_304, readBandwidth: bandwidth),
            BenchRow(kernel: .rsrT, shape: shape, threads: 1, batch: 1, k: 5, medianSeconds: 0.0001, weightBytes: 3_360_000, readBandwidth: bandwidth),
        ]
        var machine = MachineInfo.current()
        machine.readBandwidth = [1: bandwidth]
        return BenchResult(machine: machine, cold: true, coldBytes: 128 << 20, rows: BenchRow.withSpeedups(rows))
    }

    /// Serving's steady rate counts only tokens after the last stream's first and up to the first stream's
    /// last: stream A decodes alone at first (a prompt of B is being read), then both decode every 100 ms.
    @Test func allDecodingWindowStartsAtTheLastFirstTokenAndEndsAtTheFirstLastToken() {
        let ms: UInt64 = 1_000_000
        let a: [UInt64] = [0, 20, 40, 400, 500, 600, 700].map { $0 * ms }
        let b: [UInt64] = [350, 450, 550, 650, 750, 850].map { $0 * ms }
        let (rate, gaps) = ServeBenchmark.allDecoding([a, b])
        // window (350, 700]: A's 400, 500, 600, 700 and B's 450, 550, 650: 7 tokens in 0.35 s
        // gaps inside [350, 700]: A 400-500-600-700, B 350-450-550-650
        #expect(abs(rate! - 20) < 1e-9)
        #expect(gaps.count == 6 && gaps.allSatisfy { abs($0 - 0.1) < 1e-9 })
        #expect(ServeBenchmark.allDecoding([[0, 1 * ms], [2 * ms, 3 * ms]]).0 == nil) // A ended before B began
    }

    @Test func speedupsAreBaselineTimeOverKernelTime() {
        let rows = sampleResult().rows
        let rsrT = rows.first { $0.kernel == .rsrT }!
        #expect(abs(rsrT.speedup[.hfUnpack]! - 100) < 1e-9)
        #expect(abs(rsrT.speedup[.packedI2]! - 2) < 1e-9)
        #expect(rsrT.speedup[.denseF32] == nil) // not measured in this case
        #expect(rows.first { $0.kernel == .packedI2 }!.speedup[.packedI2] == 1)
        #expect(rsrT.speedup[.rsrT] == nil) // rsr-t is not a baseline
    }

    @Test func derivedColumns() {
        let row = sampleResult().rows.first { $0.kernel == .packedI2 }!
        #expect(row.bitsPerWeight == 2)
        #expect(abs(row.throughput - 4_194_304 / 0.0002) < 1)
        #expect(abs(row.bandwidthFraction - row.throughput / 20e9) < 1e-12)
    }

    @Test func markdownTable() {
        let md = BenchReport.render(sampleResult(), as: .md)
        // a column for each baseline measured: here hf-unpack and packed-i2
        #expect(md.contains("| kernel | shape | threads | batch | k | median µs | bits/w | GB/s | of BW | vs hf-unpack | vs packed-i2 |"))
        #expect(md.contains("| rsr-t | 4096x4096 | 1 | 1 | 5 | 100.0 | 1.602 | 33.60 | 168% | 100.00x | 2.00x |"))
        #expect(md.contains("read bandwidth: 1 thread 20.0 GB/s"))
    }

    @Test func csvRows() {
        let lines = BenchReport.render(sampleResult(), as: .csv).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0] == "kernel,shape,threads,batch,k,median_us,bits_per_weight,gbps,bw_fraction,vs_hf-unpack,vs_packed-i2")
        #expect(lines[2] == "packed-i2,4096x4096,1,1,16,200.0,2.000,20.97,1.05,50.00,1.00")
    }

    @Test func jsonRows() throws {
        let data = Data(BenchReport.render(sampleResult(), as: .json).utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 3)
        #expect(rows[0]["k"] is NSNull) // hf-unpack has no k, and says so
        let row = rows[2]
        #expect(row["kernel"] as? String == "rsr-t")
        #expect(row["shape"] as? [Int] == [4096, 4096])
        #expect(row["k"] as? Int == 5)
        #expect(row["median_us"] as? Double == 100)
        #expect((row["speedup"] as? [String: Double])?["packed-i2"] == 2)
        let machine = try #require(object["machine"] as? [String: Any])
        #expect((machine["read_gbps"] as? [String: Double])?["1"] == 20)
    }
}
