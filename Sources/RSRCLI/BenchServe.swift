import ArgumentParser
import Foundation
import FileIO
import RSRBench

struct BenchServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Measure the batching engine with N requests at once: aggregate decode tok/s and latencies.",
        discussion: """
            For each count in --streams, starts the engine rsr serve uses with that many slots and submits as \
            many requests at once: random prompts of --prompt-tokens, then -n greedy tokens (end-of-sequence \
            ignored). Reports the sum of the streams' decode rates, the rate and p99 gap while every stream \
            decodes (from the last first token to the first last one: no prompt is read then), all tokens \
            over the wall time, time to first token and the gaps between a stream's tokens (p50, p99), and \
            sequences per step. With --shared-prefix, every prompt begins with the same tokens (a system \
            prompt): the first stream's prefill computes them, and the others take its cached pages unless \
            --no-prefix-cache.
            """
    )

    @Argument(help: "A model file, a model directory or a Hub repo id.")
    var model: String

    @Option(help: "Comma-separated numbers of concurrent requests.")
    var streams = ListArgument<Int>(argument: "1,2,4,8,16")!

    @Option(help: "Prompt length in tokens.")
    var promptTokens = 128

    @Option(help: "Tokens at the start of every prompt that are the same (at most --prompt-tokens).")
    var sharedPrefix = 0

    @Flag(inversion: .prefixedNo, help: "Reuse cached keys and values of prompts' shared beginnings, as rsr serve does.")
    var prefixCache = true

    @Option(name: .short, help: "Tokens each request generates.")
    var n = 64

    @Option(help: "Tokens one step runs at most, as rsr serve --batch-tokens.")
    var batchTokens = 64

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var cache: CacheTypeOption

    @Option(help: "Output format: md or json.")
    var format: ReportFormat = .md

    func validate() throws {
        guard streams.values.allSatisfy({ (1...256).contains($0) }) else { throw ValidationError("--streams takes counts from 1 to 256.") }
        guard (1...1 << 16).contains(promptTokens), (2...1 << 16).contains(n) else {
            throw ValidationError("--prompt-tokens must be 1 to 65536 and -n 2 to 65536.")
        }
        guard sharedPrefix >= 0 else { throw ValidationError("--shared-prefix must be 0 or more.") }
        guard format != .csv else { throw ValidationError("--format takes md or json.") }
        guard (1...4096).contains(batchTokens) else { throw ValidationError("--batch-tokens must be 1 to 4096.") }
    }

    func run() throws {
        var source = ModelSource(argument: model)
        source.backing = .mapped // only its path: each engine reads the weights into memory itself
        let file = try source.open()
        var benchmark = ServeBenchmark(modelPath: file.path, threads: threads.count, promptTokens: promptTokens, tokens: n,
                                       batchTokens: batchTokens)
        benchmark.sharedPrefix = sharedPrefix
        benchmark.prefixCaching = prefixCache
        benchmark.cacheType = cache.cacheType
        var rows: [ServeBenchmark.Row] = []
        for count in streams.values {
            FileHandle.standardError.write(Data("\(count) stream\(count == 1 ? "" : "s")...\n".utf8))
            rows.append(try benchmark.run(streams: count))
        }
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print(ServeBenchmark.markdown(rows, model: Path.lastComponent(of: model), threads: threads.count))
        }
    }
}
