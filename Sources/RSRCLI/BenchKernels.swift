import ArgumentParser
import Foundation
import RSRBench
import RSRCore

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time RSR and baseline kernels on weight-matrix shapes and print speedups.",
        discussion: """
            Kernels: \(KernelName.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")).
            Each row reports the median of repeated calls, bits per weight (index included), GB/s of weights \
            read, that rate as a fraction of the machine's read bandwidth (measured first, STREAM-style), and \
            speedups over each baseline measured in the same case. Caches are cold by default: the weights \
            rotate over copies four times the size of the last-level cache.
            """
    )

    @Option(help: "Comma-separated ROWSxCOLS shapes (default: BitNet-2B-4T, Llama-3-8B and square shapes).")
    var shapes: ListArgument<MatrixShape>?

    @Option(help: "Comma-separated thread counts.")
    var threads = ListArgument<Int>(argument: "1,2")!

    @Option(help: "Comma-separated batch sizes (activation vectors per product).")
    var batch = ListArgument<Int>(argument: "1,64")!

    @Option(help: "Comma-separated kernels (default: all).")
    var kernels: ListArgument<KernelName>?

    @Option(help: "Rows per block for classical RSR: auto (the tuned table) or a number.")
    var k: KChoice = .auto

    @Option(help: "Weight values: ternary or binary.")
    var weights: WeightKind = .ternary

    @Flag(help: "Measure with the weights in cache (one copy) instead of cold.")
    var warm = false

    @Option(help: "Minimum seconds of repeated calls per measurement.")
    var minTime = 0.2

    @Option(help: "Fraction of the int8 inputs set to zero, 0 to 1 (a relu² GLU leaves most of the down projection's inputs at zero; sparse-i2 skips them).")
    var inputZeros = 0.0

    @Option(help: "Highest instruction set to use: scalar, avx2 or avx512 (default: the best this CPU has).")
    var isa: ISA?

    @Option(help: "Output format: md, csv or json.")
    var format: ReportFormat = .md

    @Flag(help: "Do not print progress to standard error.")
    var quiet = false

    @Option(help: "Also write the ternary kernels' times as Swift source to this file (Sources/RSRCore/TunedKernelTable.swift, the table rsr convert --kernel auto uses).")
    var swiftFile: String?

    func validate() throws {
        try BenchValidation.check(threads: threads.values, batches: batch.values, shapes: shapes?.values ?? [])
        if case .fixed(let value) = k, !LayoutKind.rsrKRange(weights).contains(value) {
            throw ValidationError("--k \(value) is out of range for \(weights) weights; use auto or \(LayoutKind.rsrKRange(weights)).")
        }
        if let isa, !ISA.supported.contains(isa) {
            throw ValidationError("--isa \(isa) is not supported by this CPU; it supports \(ISA.supported.map(\.description).joined(separator: ", ")).")
        }
        guard minTime > 0 else { throw ValidationError("--min-time must be positive.") }
        guard (0...1).contains(inputZeros) else { throw ValidationError("--input-zeros \(inputZeros) is out of range; use 0 to 1.") }
    }

    func run() throws {
        var bench = KernelBenchmark(shapes: shapes?.values ?? KernelBenchmark.defaultShapes, threads: threads.values,
                                    batches: batch.values, kernels: kernels?.values ?? KernelName.allCases)
        bench.k = k
        bench.weights = weights
        bench.cold = !warm
        bench.minSeconds = minTime
        bench.inputZeros = inputZeros
        bench.isa = isa ?? .best
        let result = try bench.run { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        print(BenchReport.render(result, as: format), terminator: "")
        if let swiftFile {
            let source = TunedKernelSource.render(result, isa: isa ?? .best)
            try Data((source + "\n").utf8).write(to: URL(fileURLWithPath: swiftFile), options: .atomic)
        }
    }
}

enum BenchValidation {
    static func check(threads: [Int], batches: [Int], shapes: [MatrixShape]) throws {
        if let bad = threads.first(where: { !(1...256).contains($0) }) {
            throw ValidationError("--threads \(bad) is out of range; use 1 to 256.")
        }
        if let bad = batches.first(where: { !(1...65536).contains($0) }) {
            throw ValidationError("--batch \(bad) is out of range; use 1 to 65536.")
        }
        if let bad = shapes.first(where: { $0.rows > 1 << 22 || $0.cols > 1 << 22 }) {
            throw ValidationError("--shapes \(bad) is too large; rows and columns go up to \(1 << 22).")
        }
    }
}
