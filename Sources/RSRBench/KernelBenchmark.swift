import Foundation
import RSRCore

/// One `rsr bench kernels` run: every kernel on every shape, thread count and batch size.
public struct KernelBenchmark: Sendable {
    public var shapes: [MatrixShape]
    public var threads: [Int]
    public var batches: [Int]
    public var kernels: [KernelName]
    public var k: KChoice = .auto
    public var weights: WeightKind = .ternary
    /// Rotate over copies of the weights so the working set exceeds the last-level cache.
    public var cold = true
    public var minSeconds = 0.2
    public var isa: ISA = .best
    public var seed: UInt64 = 1
    /// The fraction of int8 inputs set to zero (a relu² GLU leaves most of the down projection's at zero).
    public var inputZeros = 0.0
    /// Measure the read bandwidth first (the "of BW" columns); off when only the ranking matters.
    public var measuresBandwidth = true

    /// Shapes of BitNet b1.58 2B4T, Llama-3 8B and squares 1024..16384.
    public static let defaultShapes: [MatrixShape] = [
        "2560x2560", "640x2560", "6912x2560", "2560x6912",
        "4096x4096", "1024x4096", "14336x4096", "4096x14336",
        "1024x1024", "2048x2048", "8192x8192", "16384x16384",
    ].compactMap(MatrixShape.init)

    public init(shapes: [MatrixShape] = KernelBenchmark.defaultShapes, threads: [Int] = [1, 2], batches: [Int] = [1, 64],
                kernels: [KernelName] = KernelName.allCases) {
        self.shapes = shapes
        self.threads = threads
        self.batches = batches
        self.kernels = kernels
    }

    /// Bytes of weights each kernel rotates over when cold: four times the last-level cache, at least 128 MiB.
    public var coldBytes: Int? { cold ? max(4 * MemoryBandwidth.lastLevelCacheBytes, 128 << 20) : nil }

    /// Runs the benchmark; `progress` receives a line per measured case.
    public func run(progress: (String) -> Void = { _ in }) throws -> BenchResult {
        var machine = MachineInfo.current()
        var pools: [Int: ThreadPool] = [:]
        for t in threads {
            let pool = try ThreadPool(threads: t)
            pool.limitISA(to: isa)
            pools[t] = pool
            guard measuresBandwidth else {
                machine.readBandwidth[t] = .nan
                continue
            }
            machine.readBandwidth[t] = try MemoryBandwidth.read(pool: pool)
            progress("read bandwidth, \(t) thread\(t == 1 ? "" : "s"): \(Self.gigabytes(machine.readBandwidth[t]!)) GB/s")
        }
        var rows: [BenchRow] = []
        for shape in shapes {
            var rng = SplitMix64(seed: seed &+ UInt64(shape.rows &* 31 &+ shape.cols))
            let matrix = try LowBitMatrix.random(rows: shape.rows, cols: shape.cols, kind: weights, using: &rng)
            for batch in batches {
                let kValue = switch k {
                    case .auto: KTuner.tunedK(for: shape, batch: batch, weights: weights)
                    case .fixed(let value): value
                }
                let prepared = try kernels.filter { $0.supports(shape) }.map {
                    try BenchKernel.prepare($0, matrix: matrix, k: kValue, coldBytes: coldBytes, pool: pools[threads[0]]!)
                }
                let buffers = BenchBuffers(shape: shape, batch: batch, seed: seed &+ UInt64(batch), zeros: inputZeros)
                for t in threads {
                    let timings = try measure(prepared, buffers: buffers, pool: pools[t]!)
                    let group = prepared.map { kernel in
                        BenchRow(kernel: kernel.name, shape: shape, threads: t, batch: batch, k: kernel.k,
                                 medianSeconds: timings[kernel.name]!.median, weightBytes: kernel.weightBytes,
                                 readBandwidth: machine.readBandwidth[t]!)
                    }
                    group.forEach { progress($0.summary) }
                    rows += BenchRow.withSpeedups(group)
                }
            }
        }
        return BenchResult(machine: machine, cold: cold, coldBytes: coldBytes, inputZeros: inputZeros, rows: rows)
    }

    /// Times every kernel of one case. Kernels take turns over a few rounds, so a slow drift of the machine
    /// (a busy neighbour) affects them alike. OpenBLAS's idle threads keep spinning for a while after a
    /// call and would take cores from whatever runs next: its kernels go last, then its threads settle.
    private func measure(_ kernels: [BenchKernel], buffers: BenchBuffers, pool: ThreadPool) throws -> [KernelName: Timing] {
        let ordered = kernels.filter { !$0.name.usesOpenBLAS } + kernels.filter(\.name.usesOpenBLAS)
        var timings: [KernelName: [Timing]] = [:]
        for round in 0..<Self.rounds {
            for kernel in ordered {
                // Calls slower than half a second are few and steady: one round of them is enough.
                if round > 0, timings[kernel.name]![0].median > 0.5 { continue }
                let timing = try Timing.measure(minRuns: 2, minSeconds: minSeconds / Double(Self.rounds), warmUp: round == 0) { run in
                    try kernel.run(copy: run, buffers: buffers, pool: pool)
                }
                timings[kernel.name, default: []].append(timing)
                if kernel.name.usesOpenBLAS { usleep(150_000) }
            }
        }
        return timings.mapValues(Timing.merged)
    }

    /// Rounds in which the kernels of one case take turns.
    static let rounds = 3

    static func gigabytes(_ bytesPerSecond: Double) -> String {
        String(format: "%.1f", bytesPerSecond / 1e9)
    }
}

/// One measured kernel on one case.
public struct BenchRow: Sendable {
    public let kernel: KernelName
    public let shape: MatrixShape
    public let threads: Int
    public let batch: Int
    public let k: Int?
    public let medianSeconds: Double
    public let weightBytes: Int
    public let readBandwidth: Double
    /// Baseline median / this median, for each baseline measured in the same case.
    public var speedup: [KernelName: Double] = [:]

    public init(kernel: KernelName, shape: MatrixShape, threads: Int, batch: Int, k: Int?, medianSeconds: Double,
                weightBytes: Int, readBandwidth: Double) {
        self.kernel = kernel
        self.shape = shape
        self.threads = threads
        self.batch = batch
        self.k = k
        self.medianSeconds = medianSeconds
        self.weightBytes = weightBytes
        self.readBandwidth = readBandwidth
    }

    public var bitsPerWeight: Double { Double(weightBytes * 8) / Double(shape.weights) }
    /// Weight bytes per second.
    public var throughput: Double { Double(weightBytes) / medianSeconds }
    public var bandwidthFraction: Double { throughput / readBandwidth }

    var summary: String {
        "\(kernel.rawValue) \(shape) threads \(threads) batch \(batch): \(String(format: "%.1f", medianSeconds * 1e6)) us"
    }

    /// The rows of one case, each with its speedups over the baselines among them.
    public static func withSpeedups(_ group: [BenchRow]) -> [BenchRow] {
        let baselines = group.filter { KernelName.baselines.contains($0.kernel) }
        return group.map { row in
            var row = row
            for base in baselines { row.speedup[base.kernel] = base.medianSeconds / row.medianSeconds }
            return row
        }
    }
}

/// Everything one run measured.
public struct BenchResult: Sendable {
    public let machine: MachineInfo
    public let cold: Bool
    public let coldBytes: Int?
    public let inputZeros: Double
    public let rows: [BenchRow]

    public init(machine: MachineInfo, cold: Bool, coldBytes: Int?, inputZeros: Double = 0, rows: [BenchRow]) {
        self.machine = machine
        self.cold = cold
        self.coldBytes = coldBytes
        self.inputZeros = inputZeros
        self.rows = rows
    }
}
