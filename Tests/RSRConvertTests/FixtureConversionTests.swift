import FileIO
import Foundation
import RSRConvert
import RSRCore
import RSRFormat
import SafeTensors
import TestSupport
import Testing

/// Every ternary fixture converts, and every layout in the file is exactly the checkpoint's ternary matrix.
@Suite struct FixtureConversionTests {
    let dir = TemporaryDirectory()

    @Test(arguments: ternaryFixtureNames, [KernelPolicy.auto, .rsr, .packedI2])
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

    /// Under `auto` on x86, a relu² model's down projections decode through sparse-i2 (their inputs are mostly
    /// zeros), and prefill through it too with AVX-512, where AVX2 keeps a layout of their own for prefill; a
    /// SiLU model's do not, nor any other projection.
    @Test func reluSquaredDownProjectionsDecodeThroughSparseI2OnX86() throws {
        let sparse = ISA.best == .avx2 || ISA.best == .avx512
        for (name, relu2) in [("bitnet-2b4t-packed", true), ("llama-bitlinear-packed", false)] {
            let (file, _) = try convert(fixture(name), to: dir.file("\(name).rsr"))
            #expect(file.features.contains(.sparseI2Layouts) == (sparse && relu2), "\(name)")
            for (linearName, linear) in file.manifest.linears {
                let decode = try #require(linear.layout(for: .decode)), prefill = try #require(linear.layout(for: .prefill))
                let expected = sparse && relu2 && linearName.hasSuffix(".down_proj")
                #expect((decode.kernel == "sparse-i2") == expected, "\(name) \(linearName)")
                #expect((prefill.kernel == "sparse-i2") == (expected && ISA.best == .avx512), "\(name) \(linearName)")
            }
        }
    }

    @Test func scaleModesFollowTheLinearClass() throws {
        let (bitnet, _) = try convert(fixture("bitnet-2b4t-packed"), to: dir.file("a.rsr"))
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
        let (bitnet, _) = try convert(fixture("bitnet-2b4t-packed"), to: dir.file("a.rsr"))
        let b = bitnet.manifest.model
        #expect(b.architecture == .bitnet && b.activation == .relu2 && b.subNorms && b.tiedEmbeddings)
        #expect(b.ropeTheta == 500000 && b.headDim == 32 && b.kvHeadCount == 1 && b.vocabSize == 1280)
        // config.json's eos (<|end_of_text|>) and generation_config.json's (<|end_of_text|>, <|eot_id|>), as 2B-4T's
        #expect(b.eosTokenIds == [1025, 1033] && b.bosTokenId == 1024)
        let (llama, _) = try convert(fixture("llama-bitlinear-packed"), to: dir.file("c.rsr"))
        let l = llama.manifest.model
        #expect(l.architecture == .llamaBitLinear && l.activation == .silu && !l.subNorms && !l.tiedEmbeddings)
        #expect(l.headDim == 32 && l.headCount == 4 && l.kvHeadCount == 2 && l.linearInputNormEps == nil)
        #expect(llama.manifest.tensors["lm_head"] != nil && bitnet.manifest.tensors["lm_head"] == nil)
        let (falcon, _) = try convert(fixture("llama-bitlinear-rmsnorm"), to: dir.file("d.rsr"))
        let f = falcon.manifest.model
        #expect(f.architecture == .llamaBitLinear && f.headDim == 16 && f.linearInputNormEps == 1e-6)
        #expect(falcon.manifest.linears.values.allSatisfy { $0.inputNorm != nil && $0.scaleMode == .divide })
        #expect(falcon.manifest.source.quantization == .packed)
        let (oneBit, _) = try convert(fixture(oneBitLLMFixture), to: dir.file("e.rsr"))
        let o = oneBit.manifest.model
        #expect(o.architecture == .bitnet1bitLLM && o.activation == .silu && o.subNorms && !o.tiedEmbeddings && o.ropeTheta == 10000)
        #expect(o.bosTokenId == 1 && o.eosTokenIds == [2] && o.vocabSize == 1024)
        #expect(oneBit.manifest.linears.values.allSatisfy { $0.scaleMode == .divide && $0.inputNorm == nil })
        #expect(oneBit.manifest.source.quantization == .absmean)
        #expect(oneBit.file("tokenizer.model") == FileManager.default.contents(atPath: Path.join(fixture(oneBitLLMFixture), "tokenizer.model")))
    }

    /// Norms are widened to F32 exactly; embeddings are kept byte for byte; the tokenizer files travel along.
    @Test func otherTensorsAndFilesAreKept() throws {
        let name = "bitnet-2b4t-packed"
        let (file, _) = try convert(fixture(name), to: dir.file("a.rsr"))
        let checkpoint = try Checkpoint(directory: fixture(name))
        let (norm, normBytes) = try #require(file.tensor("layers.1.attn_sub_norm"))
        #expect(norm.type == .f32 && norm.source == "model.layers.1.self_attn.attn_sub_norm.weight")
        #expect(Array(normBytes.bindMemory(to: Float.self)) == (try checkpoint.tensor(norm.source!).floats()))
        let (embed, embedBytes) = try #require(file.tensor("embed_tokens"))
        #expect(embed.type == .bf16 && embed.shape == [1280, 64])
        #expect(Array(embedBytes) == (try checkpoint.tensor("model.embed_tokens.weight").byteArray))
        for name in ["config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"] {
            #expect(file.file(name) == FileManager.default.contents(atPath: Path.join(fixture("bitnet-2b4t-packed"), name)), "\(name)")
        }
        for layer in 0..<2 {
            for norm in ["input_layernorm", "post_attention_layernorm", "attn_sub_norm", "ffn_sub_norm"] {
                #expect(file.manifest.tensors["layers.\(layer).\(norm)"] != nil)
            }
        }
    }
}
