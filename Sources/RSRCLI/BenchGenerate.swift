import ArgumentParser
import Foundation
import FileIO
import RSRBench
import RSRModel

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Measure prefill and decode speed of a model against the memory-bandwidth bound.",
        discussion: """
            Runs a random prompt of --prompt-tokens, then -n greedy tokens (end-of-sequence ignored), --rounds \
            times per thread count, and prints medians. "bound tok/s" is the read bandwidth (measured first \
            and after every round; the highest) divided by the bytes a decoded token reads (decode layouts, \
            output head, one embedding row, the KV cache), so "decode of bound" is how close decoding comes \
            to the memory bus's limit. With \
            --reference, the float checkpoint a model was quantized from runs as one more baseline (kernel \
            float-bf16, float-f16 or float-f32).
            """
    )

    @Argument(help: "Model files, model directories or Hub repo ids.")
    var models: [String]

    @Option(help: "Prompt length in tokens.")
    var promptTokens = 128

    @Option(name: .short, help: "Tokens to decode with rsr's own kernels.")
    var n = 128

    @Option(help: "Tokens to decode with each baseline (at most -n).")
    var baselineTokens = 8

    @Option(help: "Comma-separated thread counts.")
    var threads = ListArgument<Int>(argument: "1,2")!

    @Option(help: "Comma-separated kernels: index (rsr's layouts in the file), packed-i2, hf-unpack, openblas-f32.")
    var kernels = ListArgument<ProductKernel>(argument: ProductKernel.allCases.map(\.rawValue).joined(separator: ","))!

    @Option(help: "A float model the others were converted from (rsr convert without --quantize): one more baseline row of each.")
    var reference: String?

    @Option(help: "Runs per model, kernel and thread count.")
    var rounds = 3

    @Option(help: "Output format: md, csv or json.")
    var format: ReportFormat = .md

    @Option(help: "Also draw rsr's speedups over the baselines as an SVG bar chart at this path.")
    var plot: String?

    @Flag(help: "Do not print progress to standard error.")
    var quiet = false

    @OptionGroup var memory: MemoryOption

    @OptionGroup var cache: CacheTypeOption

    func validate() throws {
        try BenchValidation.check(threads: threads.values, batches: [], shapes: [])
        guard (1...1 << 20).contains(promptTokens), (2...1 << 20).contains(n), (2...1 << 20).contains(baselineTokens),
              (1...1000).contains(rounds) else {
            throw ValidationError("--prompt-tokens must be at least 1, -n and --baseline-tokens at least 2 (all at most 1048576), and --rounds 1 to 1000.")
        }
        if let plot, !Path.isDirectory(Path.directory(of: Path.absolute(plot))) {
            throw ValidationError("--plot \(plot): its directory does not exist.")
        }
    }

    func run() throws {
        var bench = GenerationBenchmark()
        bench.promptTokens = promptTokens
        bench.decodeTokens = n
        bench.baselineDecodeTokens = baselineTokens
        bench.threads = threads.values
        bench.kernels = kernels.values
        bench.rounds = rounds
        bench.cacheType = cache.cacheType
        // every model is opened and checked before the first measurement
        let files = try models.map { model in
            var source = ModelSource(argument: model)
            source.quiet = quiet
            source.backing = memory.backing
            let file = try source.open()
            guard promptTokens + n <= file.manifest.model.contextLength else {
                throw ValidationError("--prompt-tokens + -n is \(promptTokens + n); the context window of \(model) is \(file.manifest.model.contextLength).")
            }
            return (name: Self.name(of: model), file: file)
        }
        if let reference {
            var source = ModelSource(argument: reference)
            source.quiet = quiet
            source.backing = memory.backing
            bench.reference = try source.open()
        }
        var rows: [GenerationBenchRow] = []
        for (name, file) in files {
            rows += try bench.run(file, name: name) { line in
                if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        }
        try report(rows)
        if let plot {
            try AtomicFile.write(Data(SpeedupPlot.svg(rows).utf8), to: plot)
        }
    }

    /// A model's label in the tables: a file's name without .rsr, a directory's name, a repo id as given.
    static func name(of model: String) -> String {
        if Path.isDirectory(model) { return Path.lastComponent(of: Path.absolute(model)) }
        if Path.exists(model) {
            let name = Path.lastComponent(of: model)
            return name.hasSuffix(".rsr") ? String(name.dropLast(4)) : name
        }
        return model
    }

    private func report(_ rows: [GenerationBenchRow]) throws {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        case .csv: print(GenerationBenchRow.csv(rows))
        case .md: print(GenerationBenchRow.markdown(rows))
        }
    }
}

extension ProductKernel: ExpressibleByArgument {}
