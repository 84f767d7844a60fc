import ArgumentParser
import Foundation
import RSREngine
import RSREval
import RSRModel

struct EvalCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "How far a model's next-token distributions drift from a reference's (see rsr eval --help).",
        discussion: """
            Runs MODEL and REF on the same windows of the text and prints the mean, 99th percentile and largest \
            KL(REF ‖ MODEL), how often both rank the same token first, and each one's perplexity. REF is \
            typically the float checkpoint MODEL was quantized from (rsr convert without --quantize keeps it \
            float); both must tokenize the text the same way. --kv-cache-type is MODEL's (REF caches f32): \
            MODEL and REF the same file with --kv-cache-type f16 measures what caching halves costs.
            """
    )

    @Argument(help: "The model to measure: a model file, a model directory or a Hub repo id.")
    var model: String

    @Option(help: "The reference model, given as MODEL is.")
    var reference: String

    @OptionGroup var options: EvalArguments

    func run() throws {
        let text = try options.readText()
        let file = try options.openModel(model), referenceFile = try options.openModel(reference)
        let tokens = try GenerationSession(file: file).tokenizer.encode(text)
        let referenceTokens = try GenerationSession(file: referenceFile).tokenizer.encode(text)
        if tokens != referenceTokens {
            let at = zip(tokens, referenceTokens).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(tokens.count, referenceTokens.count)
            throw ValidationError("\(model) and \(reference) tokenize the text differently (from token \(at) on); compare models that share a tokenizer.")
        }
        let limit = min(file.manifest.model.contextLength, referenceFile.manifest.model.contextLength)
        let windows = try options.windows(tokens: tokens.count, limit: limit, model: model)
        let threads = options.threads.count
        // the cache type is MODEL's: the reference keeps f32, so that comparing a file with itself measures the cache
        let (loaded, backend) = try options.backend.load(file, threads: threads, capacity: windows.context,
                                                         cacheType: options.cache.cacheType, quiet: options.json)
        let (loadedReference, _) = try options.backend.load(referenceFile, threads: threads, capacity: windows.context, quiet: options.json)
        let bar = options.progressBar("Comparing")
        let result = try Comparison.evaluate(loaded, reference: loadedReference, tokens: tokens, windows: windows) { done, total in
            bar.update(done: Double(done), total: Double(total))
        }
        bar.finish(always: false)
        if options.json {
            try options.printJSON(result, ["model": model, "reference": reference, "backend": backend])
        } else {
            print(String(format: "KL(reference ‖ model): mean %.6f, p99 %.6f, max %.6f", result.meanKL, result.p99KL, result.maxKL))
            print(String(format: "top-1 agreement %.2f%%", result.top1Agreement * 100))
            print(String(format: "perplexity %.4f (reference %.4f) over %d tokens", result.perplexity, result.referencePerplexity,
                         result.scoredTokens))
            print(String(format: "windows of %d tokens, stride %d; %.1f s (%@)", result.context, result.stride, result.seconds, backend))
        }
    }
}
