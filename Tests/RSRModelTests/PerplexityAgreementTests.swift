import FileIO
import Foundation
import RSREval
import RSRFormat
import RSRModel
import TestSupport
import Testing
import Tokenizers

/// `rsr eval`'s perplexity against transformers' sliding-window recipe as refs.json records it
/// (`eval_perplexity`: the window, the stride and the value).
@Suite struct PerplexityAgreementTests {
    struct Recorded: Decodable {
        let ppl: Double
        let window: Int
        let stride: Int
        let scored_tokens: Int
    }

    static func recorded(_ refs: String, ternarised: Bool = false) throws -> Recorded {
        struct Part: Decodable { let eval_perplexity: Recorded }
        struct File: Decodable { let eval_perplexity: Recorded; let ternarised_reference: Part? }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: refs)))
        return ternarised ? try #require(file.ternarised_reference).eval_perplexity : file.eval_perplexity
    }

    static func perplexity(model path: String, text: String, recorded: Recorded) throws -> PerplexityResult {
        let file = try ModelFile(path: path)
        var files: [String: [UInt8]] = [:]
        for name in Tokenizer.fileNames { if let data = file.file(name) { files[name] = Array(data) } }
        let tokens = try Tokenizer(files: files).encode(try EvalText.read(text))
        let windows = try SlidingWindows(tokens: tokens.count, context: recorded.window, stride: recorded.stride)
        return try Perplexity.evaluate(try Transformer(file: file, threads: 2), tokens: tokens, windows: windows)
    }

    /// The f32 path: within 0.01% (measured: the same value to 7 digits).
    @Test func floatLlamaIsTransformersWithinAHundredthOfAPercent() throws {
        let directory = Path.join(fixturesDirectory, floatLlamaFixture)
        let recorded = try Self.recorded(Path.join(directory, "refs.json"))
        let result = try Self.perplexity(model: try ConvertedFixtures.shared.path(floatLlamaFixture, keepFloat: true),
                                         text: Path.join(directory, "eval.txt"), recorded: recorded)
        #expect(result.scoredTokens == recorded.scored_tokens)
        #expect(abs(result.perplexity / recorded.ppl - 1) <= 1e-4, "\(result.perplexity) vs transformers' \(recorded.ppl)")
    }

    /// `--quantize ternary` against transformers running the same ternarisation (int8 activations, whose
    /// roundings can flip on float-order differences): measured 0.005% apart; 0.1% allowed.
    @Test func ternarisedFloatLlamaIsTransformersTernarised() throws {
        let directory = Path.join(fixturesDirectory, floatLlamaFixture)
        let recorded = try Self.recorded(Path.join(directory, "refs.json"), ternarised: true)
        let result = try Self.perplexity(model: try ConvertedFixtures.shared.path(floatLlamaFixture),
                                         text: Path.join(directory, "eval.txt"), recorded: recorded)
        #expect(abs(result.perplexity / recorded.ppl - 1) <= 1e-3, "\(result.perplexity) vs transformers' \(recorded.ppl)")
    }

    /// ../shared/fixtures' float Llama, where this machine has it.
    @Test(.enabled(if: sharedFixturesDirectory.map { Path.exists(Path.join($0, "llama-float-tiny", "refs.json")) } ?? false))
    func sharedFloatLlamaIsTransformersWithinAHundredthOfAPercent() throws {
        let directory = Path.join(try #require(sharedFixturesDirectory), "llama-float-tiny")
        let recorded = try Self.recorded(Path.join(directory, "refs.json"))
        let result = try Self.perplexity(model: try ConvertedFixtures.shared.path("llama-float-tiny", directory: try #require(sharedFixturesDirectory)),
                                         text: Path.join(directory, "eval.txt"), recorded: recorded)
        #expect(result.scoredTokens == recorded.scored_tokens)
        #expect(abs(result.perplexity / recorded.ppl - 1) <= 1e-4, "\(result.perplexity) vs transformers' \(recorded.ppl)")
    }
}
