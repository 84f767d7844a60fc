import ArgumentParser
import Foundation
import RSRBench
import RSRCore

struct BenchTune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Measure the best k (rows per block) of classical RSR for each shape and batch.",
        discussion: "Prints a Markdown table of every k's median time; --swift-file also writes the best k per shape as Swift source (Sources/RSRCore/TunedKTable.swift, the table --k auto uses)."
    )

    @Option(help: "Comma-separated ROWSxCOLS shapes (default: the benchmark's shapes).")
    var shapes: ListArgument<MatrixShape>?

    @Option(help: "Comma-separated batch sizes.")
    var batch = ListArgument<Int>(argument: "1,64")!

    @Option(help: "Threads to measure with.")
    var threads = 1

    @Option(help: "Weight values: ternary or binary.")
    var weights: WeightKind = .ternary

    @Option(help: "Smallest k to try.")
    var kMin = 2

    @Option(help: "Largest k to try.")
    var kMax = 6

    @Option(help: "Minimum seconds of repeated calls per measurement.")
    var minTime = 0.2

    @Option(help: "Also write the tuned table as Swift source to this file (Sources/RSRCore/TunedKTable.swift).")
    var swiftFile: String?

    func validate() throws {
        try BenchValidation.check(threads: [threads], batches: batch.values, shapes: shapes?.values ?? [])
        let range = LayoutKind.rsrKRange(weights)
        guard kMin <= kMax, range.contains(kMin), range.contains(kMax) else {
            throw ValidationError("--k-min and --k-max must satisfy \(range.lowerBound) <= k-min <= k-max <= \(range.upperBound) for \(weights) weights.")
        }
    }

    func run() throws {
        let pool = try ThreadPool(threads: threads)
        var entries: [(MatrixShape, Int, Int, [Int: Double])] = []
        for shape in shapes?.values ?? KernelBenchmark.defaultShapes {
            for b in batch.values {
                let (best, medians) = try KTuner.measure(shape: shape, batch: b, weights: weights, ks: kMin...kMax, pool: pool, minSeconds: minTime)
                entries.append((shape, b, best, medians))
                FileHandle.standardError.write(Data("\(shape) batch \(b): k = \(best)\n".utf8))
            }
        }
        print("| shape | batch | best k | " + (kMin...kMax).map { "k=\($0) µs" }.joined(separator: " | ") + " |")
        print("|---|---|---|" + (kMin...kMax).map { _ in "---" }.joined(separator: "|") + "|")
        for (shape, b, best, medians) in entries {
            let times = (kMin...kMax).map { medians[$0].map { String(format: "%.1f", $0 * 1e6) } ?? "-" }
            print("| \(shape) | \(b) | \(best) | " + times.joined(separator: " | ") + " |")
        }
        if let swiftFile {
            let source = TunedKSource.render(entries.map { ($0.0, KTuner.batchClass($0.1), $0.2) }, weights: weights,
                                             threads: threads, machine: MachineInfo.current())
            try Data((source + "\n").utf8).write(to: URL(fileURLWithPath: swiftFile), options: .atomic)
        }
    }
}

enum TunedKSource {
    static func render(_ entries: [(MatrixShape, Int, Int)], weights: WeightKind, threads: Int, machine: MachineInfo) -> String {
        let lines = entries.map { "        Entry(\($0.0.rows), \($0.0.cols), batch: \($0.1), .\(weights.rawValue), k: \($0.2))," }
        return """
            // Written by `rsr bench tune --swift-file`. Measured on: \(machine.cpu), \(machine.isa), \(threads) thread\(threads == 1 ? "" : "s").
            extension TunedK {
                public static let table: [Entry] = [
            \(lines.joined(separator: "\n"))
                ]
            }
            """
    }
}

/// The table `rsr convert --kernel auto` ranks kernels with: each ternary kernel's median per shape and
/// batch, at the largest thread count measured.
enum TunedKernelSource {
    static let kernels: [KernelName] = [.rsr, .rsrT, .packedI2]

    static func render(_ result: BenchResult, isa: ISA) -> String {
        let threads = result.rows.map(\.threads).max() ?? 1
        let rows = result.rows.filter { $0.threads == threads && kernels.contains($0.kernel) && [1, 64].contains($0.batch) }
        var cases: [(MatrixShape, Int)] = []
        for row in rows where !cases.contains(where: { $0 == (row.shape, row.batch) }) { cases.append((row.shape, row.batch)) }
        let lines = cases.map { shape, batch in
            let times = rows.filter { $0.shape == shape && $0.batch == batch }
                .map { "\"\($0.kernel.rawValue)\": \(String(format: "%.1f", $0.medianSeconds * 1e6))" }
            return "        Entry(\(shape.rows), \(shape.cols), batch: \(batch), [\(times.joined(separator: ", "))]),"
        }
        return """
            // Written by `rsr bench kernels --swift-file`. Measured on: \(result.machine.cpu), \(isa), \(threads) thread\(threads == 1 ? "" : "s"), \(result.cold ? "cold" : "warm") weights; median µs.
            extension TunedKernels {
                public static let measuredISA: ISA = .\(isa)
                public static let table: [Entry] = [
            \(lines.joined(separator: "\n"))
                ]
            }
            """
    }
}
