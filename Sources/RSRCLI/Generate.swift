import ArgumentParser
import ChatTemplate
import Foundation
import RSRConvert
import RSREngine
import RSRFormat
import RSRModel
import Tokenizers

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with a ternary model.",
        discussion: """
            MODEL is a model file (rsr convert), a model directory in the Hub layout, or a Hub repo id; \
            directories and repos are converted once into a cache (RSR_CACHE, else ~/.cache/rsr) and reused. \
            Text streams to standard output; prompt tokens, prefill and decode speeds go to standard error at \
            the end. Generation stops at the model's end-of-sequence tokens (eos, <|eot_id|>, \
            <|end_of_text|>) unless --ignore-eos, or after -n tokens.
            """
    )

    @Argument(help: "A model file, a model directory or a Hub repo id.")
    var model: String

    @Option(name: .shortAndLong, help: "The prompt (with --chat: the user's message).")
    var prompt: String

    @Option(name: .short, help: "Most tokens to generate.")
    var n = 128

    @OptionGroup var sampling: SamplingArguments

    @Flag(help: "Apply the model's chat template to the prompt.")
    var chat = false

    @Option(help: "System message for --chat.")
    var system: String?

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var memory: MemoryOption

    @OptionGroup var cache: CacheTypeOption

    @Option(help: "Where to run: auto (CUDA when it loads and a device exists, else the CPU), cpu or cuda.")
    var backend: Backend = .auto

    @Flag(help: "Do not stop at end-of-sequence tokens.")
    var ignoreEos = false

    @Flag(help: "Print one JSON object with the prompt and generated ids, the text and the speeds.")
    var json = false

    @Option(help: "When MODEL is a repo id: branch, tag or commit.")
    var revision = "main"

    func validate() throws {
        try sampling.validate()
        if n < 0 { throw ValidationError("-n must be 0 or more.") }
        if system != nil && !chat { throw ValidationError("--system needs --chat.") }
        if prompt.isEmpty { throw ValidationError("The prompt is empty; give some text with -p.") }
        try cache.check(backend: backend)
    }

    func run() throws {
        var source = ModelSource(argument: model)
        source.revision = revision
        source.quiet = json
        // CUDA reads the weights once, to upload them: a copy on huge pages would only cost load time
        source.backing = backend == .cuda ? .mapped : memory.backing
        let file = try source.open()
        let session = try GenerationSession(file: file)
        let promptIDs = try chat ? session.chatPrompt(user: prompt, system: system) : session.tokenizer.encode(prompt)
        // the window is checked before a backend loads the weights
        let capacity = try Generator.capacity(prompt: promptIDs.count, maxTokens: n, context: file.manifest.model.contextLength)
        let (model, backendDescription) = try backend.load(file, threads: threads.count, capacity: capacity,
                                                           cacheType: cache.cacheType, quiet: json)
        var generator = Generator(model: model, options: sampling.options)
        generator.stopTokens = ignoreEos ? [] : session.stopTokens
        var decoder = StreamingDecoder(tokenizer: session.tokenizer)
        var generated: [Int] = []
        let (stats, _) = try generator.generate(prompt: promptIDs, maxTokens: n) { token in
            generated.append(token)
            let text = decoder.append(token)
            if !json && !text.isEmpty {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
            return true
        }
        let tail = decoder.finish()
        if json {
            let report = GenerationReport(promptIDs: promptIDs, generatedIDs: generated,
                                          text: session.tokenizer.decode(generated, skipSpecialTokens: true),
                                          prefillTokensPerSecond: stats.prefillTokensPerSecond, decodeTokensPerSecond: stats.decodeTokensPerSecond,
                                          backend: backendDescription)
            print(String(decoding: try report.json(), as: UTF8.self))
        } else {
            FileHandle.standardOutput.write(Data((tail + "\n").utf8))
            let line = String(format: "prompt: %d tokens, prefill %.1f tok/s; generated: %d tokens, decode %.1f tok/s (%@)\n",
                              stats.promptTokens, stats.prefillTokensPerSecond, stats.generatedTokens, stats.decodeTokensPerSecond,
                              backendDescription)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// `--greedy | --temperature T --top-k K --top-p P --seed S`, shared by generate and bench generate.
struct SamplingArguments: ParsableArguments {
    @Flag(help: "Always take the most likely token (the default unless a sampling option is given).")
    var greedy = false

    @Option(help: "Sample with this temperature.")
    var temperature: Float?

    @Option(help: "Sample among the K most likely tokens.")
    var topK: Int?

    @Option(help: "Sample among the most likely tokens whose probabilities reach P.")
    var topP: Float?

    @Option(help: "Penalise tokens already seen (transformers' repetition_penalty; 1 is none).")
    var repetitionPenalty: Float?

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    var sampling: Bool { temperature != nil || topK != nil || topP != nil }

    var options: SamplingOptions {
        var o = SamplingOptions()
        o.greedy = greedy || !sampling
        o.temperature = temperature ?? 1
        o.topK = topK
        o.topP = topP
        o.repetitionPenalty = repetitionPenalty
        o.seed = seed
        return o
    }

    func validate() throws {
        if greedy && sampling { throw ValidationError("--greedy cannot be combined with --temperature, --top-k or --top-p.") }
        if let problem = options.problem { throw ValidationError("Invalid sampling option: \(problem).") }
    }
}

/// `--json` output of rsr generate.
struct GenerationReport: Encodable {
    let promptIDs: [Int]
    let generatedIDs: [Int]
    let text: String
    let prefillTokensPerSecond: Double
    let decodeTokensPerSecond: Double
    let backend: String

    enum CodingKeys: String, CodingKey {
        case backend
        case promptIDs = "prompt_ids", generatedIDs = "generated_ids", text
        case prefillTokensPerSecond = "prefill_tok_s", decodeTokensPerSecond = "decode_tok_s"
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
