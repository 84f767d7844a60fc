import ArgumentParser
import Foundation
import RSRBench

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Measure prefill and decode speed of a model against the memory-bandwidth bound.",
        discussion: """
            Runs a random prompt of --prompt-tokens, then -n greedy tokens (end-of-sequence ignored), --rounds \
            times per thread count, and prints medians. "bound tok/s" is the read bandwidth measured first \
            divided by the bytes a decoded token reads (decode layouts, output head, one embedding row, the \
            KV cache), so "decode of bound" is how close decoding comes to the memory bus's limit.
            """
    )

    @Argument(help: "A model file, a model directory or a Hub repo id.")
    var model: String

    @Option(help: "Prompt length in tokens.")
    var promptTokens = 128

    @Option(name: .short, help: "Tokens to decode.")
    var n = 128

    @Option(help: "Comma-separated thread counts.")
    var threads = ListArgument<Int>(argument: "1,2")!

    @Option(help: "Runs per thread count.")
    var rounds = 3

    @Option(help: "Output format: md or json.")
    var format: ReportFormat = .md

    @Flag(help: "Do not print progress to standard error.")
    var quiet = false

    func validate() throws {
        try BenchValidation.check(threads: threads.values, batches: [], shapes: [])
        guard promptTokens >= 1, n >= 2, rounds >= 1 else {
            throw ValidationError("--prompt-tokens must be at least 1, -n at least 2 and --rounds at least 1.")
        }
    }

    func run() throws {
        var source = ModelSource(argument: model)
        source.quiet = quiet
        let file = try source.open()
        guard promptTokens + n <= file.manifest.model.contextLength else {
            throw ValidationError("--prompt-tokens + -n is \(promptTokens + n); the model's context window is \(file.manifest.model.contextLength).")
        }
        var bench = GenerationBenchmark()
        bench.promptTokens = promptTokens
        bench.decodeTokens = n
        bench.threads = threads.values
        bench.rounds = rounds
        let rows = try bench.run(file) { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        default:
            print(GenerationBenchRow.markdown(rows))
        }
    }
}
