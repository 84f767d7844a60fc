import FileIO
import Foundation
import RSRConvert
import RSRFormat
import RSRModel
import TestSupport
import Testing

/// Qwen2ForCausalLM: Llama blocks with biases on q, k and v (none on o), kept float or quantized to
/// integers, against transformers' Qwen2 on the same checkpoint.
@Suite struct Qwen2ModelTests {
    static let fixture = "qwen2-kjv-float"

    @Test func biasesAreOnQKAndVOnly() throws {
        let file = try ModelFile(path: try ConvertedFixtures.shared.path(Self.fixture))
        #expect(file.manifest.model.qkvBias == true && !file.manifest.model.attentionBias)
        for layer in 0..<file.manifest.model.layerCount {
            for projection in LayerSchema.Projection.allCases {
                let bias = file.manifest.tensors[LayerSchema.name(layer, projection) + ".bias"]
                #expect((bias != nil) == [.q, .k, .v].contains(projection), "layer \(layer) \(projection)")
            }
        }
    }

    /// Float: logits within 1e-4 of transformers' and its perplexity within 0.01% (as the float Llama).
    @Test func floatQwen2IsTransformers() throws {
        let path = try ConvertedFixtures.shared.path(Self.fixture)
        let model = try Transformer(file: try ModelFile(path: path), threads: 2)
        for ref in try Reference.load(Self.fixture) {
            let out = try model.forward(ref.inputIDs, cache: model.makeCache(capacity: ref.inputIDs.count)).values
            for (id, expected) in zip(ref.top10IDs, ref.top10Logits) {
                #expect(abs(out[id] - expected) <= 1e-4, "\(ref.prompt.debugDescription): token \(id): \(out[id]) vs \(expected)")
            }
        }
        let directory = Path.join(fixturesDirectory, Self.fixture)
        let recorded = try PerplexityAgreementTests.recorded(Path.join(directory, "refs.json"))
        let result = try PerplexityAgreementTests.perplexity(model: path, text: Path.join(directory, "eval.txt"), recorded: recorded)
        #expect(abs(result.perplexity / recorded.ppl - 1) <= 1e-4, "\(result.perplexity) vs transformers' \(recorded.ppl)")
    }

    /// `--quantize int4 --group-size 32` keeps the biases and stays near the float perplexity (measured +0.3%).
    @Test func quantizedQwen2KeepsItsBiases() throws {
        let path = try ConvertedFixtures.shared.path(Self.fixture, integer: .init(bits: 4, group: 32, asymmetric: false))
        let file = try ModelFile(path: path)
        let entries = try #require(file.manifest.integerLinears)
        #expect(entries.filter { $0.value.bias != nil }.count == 3 * file.manifest.model.layerCount)
        #expect(entries.filter { $0.key.hasSuffix("o_proj") }.allSatisfy { $0.value.bias == nil })
        let directory = Path.join(fixturesDirectory, Self.fixture)
        let recorded = try PerplexityAgreementTests.recorded(Path.join(directory, "refs.json"))
        let result = try PerplexityAgreementTests.perplexity(model: path, text: Path.join(directory, "eval.txt"), recorded: recorded)
        let change = result.perplexity / recorded.ppl - 1
        #expect(change > 0 && change < 0.015, "\(result.perplexity) vs float \(recorded.ppl)")
    }
}
