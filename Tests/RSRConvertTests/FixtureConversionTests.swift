import FileIO
import Foundation
import RSRConvert
import RSRCore
import RSRFormat
import SafeTensors
import TestSupport
import Testing

/// Every shared fixture converts, and every layout in the file is exactly the checkpoint's ternary matrix.
@Suite struct FixtureConversionTests {
    let dir = TemporaryDirectory()

    @Test(arguments: fixtureNames, [KernelPolicy.auto, .rsr, .packedI2])
    func layoutsReproduceTheCheckpointExactly(name: String, policy: KernelPolicy) throws {
        let (file, summary) = try convert(fixture(name), to: dir.file("m.rsr")) { $0.kernel = policy }
        try file.verify()
        let checkpoint = try Checkpoint(directory: fixture(name))
        let config = file.manifest.model
        #expect(file.manifest.linears.count == 7 * config.layerCount)
        #expect(summary.ternaryWeights == file.manifest.linears.values.reduce(0) { $0 + $1.rows * $1.cols })
        for (linearName, linear) in file.manifest.linears {
            let expected = try Reference.projection(checkpoint, linear.source, rows: linear.rows, cols: linear.cols)
            #expect(linear.scale == expected.scale, "\(linearName)")
            for entry in linear.layouts {
                let matrix = try file.layout(entry).unpack()
                #expect(matrix.rows == linear.rows && matrix.cols == linear.cols)
                #expect(firstDifference(matrix.values, expected.values) == nil, "\(linearName) \(entry.kernel)")
            }
            if policy == .packedI2 { #expect(linear.layouts.map(\.kernel) == ["packed-i2"]) }
        }
    }

    @Test func scaleModesFollowTheLinearClass() throws {
        let (bitnet, _) = try convert(fixture("bitnet-2b4t-layout-llama3tok"), to: dir.file("a.rsr"))
        let (online, _) = try convert(fixture("bitnet-bf16-online"), to: dir.file("b.rsr"))
        let (llama, _) = try convert(fixture("llama-bitlinear-packed"), to: dir.file("c.rsr"))
        #expect(bitnet.manifest.linears.values.allSatisfy { $0.scaleMode == .multiply })
        #expect(online.manifest.linears.values.allSatisfy { $0.scaleMode == .divide })
        #expect(llama.manifest.linears.values.allSatisfy { $0.scaleMode == .divide })
        #expect(bitnet.manifest.source.quantization == .packed)
        #expect(online.manifest.source.quantization == .absmean)
        #expect(llama.manifest.source.quantization == .packed)
    }

    @Test func configsAreNormalised() throws {
        let (bitnet, _) = try convert(fixture("bitnet-2b4t-layout-llama3tok"), to: dir.file("a.rsr"))
        let b = bitnet.manifest.model
        #expect(b.architecture == .bitnet && b.activation == .relu2 && b.subNorms && b.tiedEmbeddings)
        #expect(b.ropeTheta == 500000 && b.headDim == 32 && b.kvHeadCount == 1 && b.vocabSize == 128256)
        #expect(b.eosTokenIds.isEmpty && b.bosTokenId == nil)
        let (llama, _) = try convert(fixture("llama-bitlinear-packed"), to: dir.file("c.rsr"))
        let l = llama.manifest.model
        #expect(l.architecture == .llamaBitLinear && l.activation == .silu && !l.subNorms && !l.tiedEmbeddings)
        #expect(l.headDim == 32 && l.headCount == 8 && l.kvHeadCount == 2 && l.linearInputNormEps == nil)
        #expect(llama.manifest.tensors["lm_head"] != nil && bitnet.manifest.tensors["lm_head"] == nil)
    }

    /// Norms are widened to F32 exactly; embeddings are kept byte for byte; the tokenizer files travel along.
    @Test func otherTensorsAndFilesAreKept() throws {
        let name = "bitnet-2b4t-layout-llama3tok"
        let (file, _) = try convert(fixture(name), to: dir.file("a.rsr"))
        let checkpoint = try Checkpoint(directory: fixture(name))
        let (norm, normBytes) = try #require(file.tensor("layers.1.attn_sub_norm"))
        #expect(norm.type == .f32 && norm.source == "model.layers.1.self_attn.attn_sub_norm.weight")
        #expect(Array(normBytes.bindMemory(to: Float.self)) == (try checkpoint.tensor(norm.source!).floats()))
        let (embed, embedBytes) = try #require(file.tensor("embed_tokens"))
        #expect(embed.type == .bf16 && embed.shape == [128256, 64])
        #expect(Array(embedBytes) == (try checkpoint.tensor("model.embed_tokens.weight").byteArray))
        for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"] {
            #expect(file.file(name) == FileManager.default.contents(atPath: Path.join(fixture("bitnet-2b4t-layout-llama3tok"), name)), "\(name)")
        }
        for layer in 0..<2 {
            for norm in ["input_layernorm", "post_attention_layernorm", "attn_sub_norm", "ffn_sub_norm"] {
                #expect(file.manifest.tensors["layers.\(layer).\(norm)"] != nil)
            }
        }
    }
}
