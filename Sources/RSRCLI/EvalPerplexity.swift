import ArgumentParser
import Foundation
import RSREngine
import RSREval
import RSRModel

struct EvalPerplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppl",
        abstract: "Perplexity of a model on a text (transformers' sliding-window recipe; see rsr eval --help).",
        discussion: "Prints the perplexity, the mean negative log-likelihood, the tokens scored and the speed."
    )

    @Argument(help: "A model file, a model directory or a Hub repo id.")
    var model: String

    @OptionGroup var options: EvalArguments

    func run() throws {
        let text = try options.readText()
        let file = try options.openModel(model)
        let tokens = try GenerationSession(file: file).tokenizer.encode(text)
        let windows = try options.windows(tokens: tokens.count, limit: file.manifest.model.contextLength, model: model)
        let (loaded, backend) = try options.backend.load(file, threads: options.threads.count, capacity: windows.context,
                                                              cacheType: options.cache.cacheType, quiet: options.json)
        let bar = options.progressBar("Perplexity")
        let result = try Perplexity.evaluate(loaded, tokens: tokens, windows: windows) { done, total in
            bar.update(done: Double(done), total: Double(total))
        }
        bar.finish(always: false)
        if options.json {
            try options.printJSON(result, ["model": model, "backend": backend])
        } else {
            print(String(format: "perplexity %.4f (mean NLL %.6f) over %d tokens", result.perplexity, result.meanNLL, result.scoredTokens))
            print(String(format: "%d windows of %d tokens, stride %d; %.1f tok/s, %.1f s (%@)", result.windows, result.context,
                         result.stride, result.tokensPerSecond, result.seconds, backend))
        }
    }
}
