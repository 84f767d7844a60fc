import FileIO
import Foundation
import RSRFormat
import RSRModel
import TestSupport
import Testing

/// Checkpoints quantized by the ecosystem's tools (compressed-tensors pack-quantized, GPTQ), imported
/// losslessly and run as bit-planes, against transformers on the same checkpoint: perplexity on the
/// fixture's eval.txt, the logits after each prompt, and greedy ids over the steps transformers is sure of.
@Suite struct ImportedCheckpointTests {
    /// Tests/Fixtures (Scripts/make_derived_fixtures.py): 3-, 4- and 8-bit, groups of 32 or one per row, zero
    /// points, act order.
    static let own = ["llama-kjv-ct-w4g32-asym", "llama-kjv-ct-w8-channel", "llama-kjv-gptq-w3g32-act"]
    /// ../shared/fixtures, made by llm-compressor and GPTQModel, where this machine has them.
    static let shared = ["llama-ct-w4g32-sym", "llama-ct-w4g32-asym", "llama-gptq-w4g32-sym"]

    /// int8 activations keep the perplexity near transformers' (measured: at most 0.061%, own and shared
    /// fixtures); 0.2% allowed. The bound is 0.5%.
    static let perplexityBound = 2e-3
    /// The logits after a prompt move by int8 activation rounding: measured at most 0.09 (logits up to about
    /// 10); 0.15 allowed.
    static let logitBound: Float = 0.15

    @Test(arguments: own)
    func ownFixtureIsTransformers(fixture: String) throws {
        try check(fixture, directory: fixturesDirectory, expected: fixture.contains("gptq") ? .gptq : .compressedTensors)
    }

    @Test(.enabled(if: sharedFixturesDirectory.map { Path.exists(Path.join($0, "llama-gptq-w4g32-sym", "refs.json")) } ?? false),
          arguments: shared)
    func sharedFixtureIsTransformers(fixture: String) throws {
        try check(fixture, directory: try #require(sharedFixturesDirectory), expected: fixture.contains("gptq") ? .gptq : .compressedTensors)
    }

    private func check(_ fixture: String, directory: String, expected: Manifest.Quantization) throws {
        let path = try ConvertedFixtures.shared.path(fixture, directory: directory)
        let file = try ModelFile(path: path)
        #expect(file.manifest.source.quantization == expected)
        #expect(file.manifest.integerLinears?.count == 7 * file.manifest.model.layerCount)
        let refs = Path.join(directory, fixture, "refs.json")
        let recorded = try PerplexityAgreementTests.recorded(refs)
        let result = try PerplexityAgreementTests.perplexity(model: path, text: Path.join(directory, fixture, "eval.txt"), recorded: recorded)
        #expect(abs(result.perplexity / recorded.ppl - 1) <= Self.perplexityBound, "\(fixture): \(result.perplexity) vs transformers' \(recorded.ppl)")
        let model = try Transformer(file: file, threads: 2)
        for ref in try Reference.load(fixture, directory: directory) {
            let out = try model.forward(ref.inputIDs, cache: model.makeCache(capacity: ref.inputIDs.count)).values
            let worst = zip(ref.top10IDs, ref.top10Logits).map { abs(out[$0] - $1) }.max()!
            #expect(worst <= Self.logitBound, "\(fixture) \(ref.prompt.debugDescription): top-10 logits up to \(worst) apart")
            var tokens: [Int] = []
            try Generator(model: model).generate(prompt: ref.inputIDs, maxTokens: ref.greedyIDs.count) { tokens.append($0); return true }
            #expect(Array(tokens.prefix(ref.sureSteps)) == Array(ref.greedyIDs.prefix(ref.sureSteps)), "\(fixture) \(ref.prompt.debugDescription)")
        }
    }
}
