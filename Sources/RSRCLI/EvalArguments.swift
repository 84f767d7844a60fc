import ArgumentParser
import Console
import Foundation
import RSREval
import RSRFormat
import RSRModel

/// The text and window options `rsr eval ppl` and `rsr eval compare` share.
struct EvalArguments: ParsableArguments {
    @Option(help: "A UTF-8 text file to evaluate on.")
    var text: String?

    @Option(help: "A JSON-lines file whose rows' --field strings are evaluated, joined by blank lines.")
    var jsonl: String?

    @Option(help: "The field of each --jsonl row holding its text.")
    var field = "text"

    @Option(help: "Tokens per window (default: the model's context window, at most 4096).")
    var context: Int?

    @Option(help: "Tokens between window starts (default: half the context).")
    var stride: Int?

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var cache: CacheTypeOption

    @Option(help: "Where to run: auto (CUDA when it loads and a device exists, else the CPU), cpu or cuda.")
    var backend: Backend = .cpu

    @Option(help: "When MODEL is a repo id: branch, tag or commit.")
    var revision = "main"

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if (text == nil) == (jsonl == nil) { throw ValidationError("Give the text to evaluate with exactly one of --text or --jsonl.") }
        if let context, context < 2 { throw ValidationError("--context \(context) is too small; a window needs at least 2 tokens.") }
        if let stride, stride < 1 { throw ValidationError("--stride must be at least 1, not \(stride).") }
        try cache.check(backend: backend)
    }

    func readText() throws -> String {
        if let jsonl { return try EvalText.readJSONLines(jsonl, field: field) }
        return try EvalText.read(text!)
    }

    func openModel(_ argument: String) throws -> ModelFile {
        var source = ModelSource(argument: argument)
        source.revision = revision
        source.quiet = json
        return try source.open()
    }

    /// The windows over `tokens` for a model whose context window is `limit`.
    func windows(tokens: Int, limit: Int, model: String) throws -> SlidingWindows {
        let context = context ?? min(limit, 4096)
        guard context <= limit else {
            throw ValidationError("--context \(context) is longer than the context window of \(model), \(limit) tokens.")
        }
        let stride = stride ?? max(context / 2, 1)
        guard stride <= context else { throw ValidationError("--stride \(stride) is larger than the context, \(context).") }
        return try SlidingWindows(tokens: tokens, context: context, stride: stride)
    }

    /// The progress bar over windows (only on a terminal and without --json).
    func progressBar(_ label: String) -> ProgressBar { ProgressBar(enabled: !json, label: label, unit: .items("windows")) }

    /// Writes a result as one JSON object with `extra` fields beside it.
    func printJSON<T: Encodable>(_ result: T, _ extra: [String: String]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var object = try JSONSerialization.jsonObject(with: encoder.encode(result)) as! [String: Any]
        for (key, value) in extra { object[key] = value }
        print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
    }
}
