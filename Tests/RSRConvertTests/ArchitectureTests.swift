import FileIO
import Foundation
import RSRConvert
import RSRCore
import RSRFormat
import SafeTensors
import TestSupport
import Testing

/// The architectures and variants beyond the fixtures (TinyCheckpoint), the fixtures that need options, and
/// the checkpoints conversion must refuse.
@Suite struct ArchitectureTests {
    let dir = TemporaryDirectory()

    @Test func oneBitLLMIsTernarisedWithAbsmeanAndKeepsItsSubNorms() throws {
        try TinyCheckpoint.write(.oneBitLLM, to: dir.file("1bit"))
        let (file, summary) = try convert(dir.file("1bit"), to: dir.file("1bit.rsr"))
        #expect(summary.warnings.contains { $0.contains("tokenizer") })
        let model = file.manifest.model
        #expect(model.architecture == .bitnet1bitLLM && model.activation == .silu && model.subNorms && model.ropeTheta == 10000)
        #expect(file.manifest.source.quantization == .absmean)
        #expect(file.tensor("layers.1.attn_sub_norm")?.entry.source == "model.layers.1.self_attn.inner_attn_ln.weight")
        #expect(file.tensor("layers.1.ffn_sub_norm")?.entry.shape == [TinyCheckpoint.intermediate])
        let checkpoint = try Checkpoint(directory: dir.file("1bit"))
        for linear in file.manifest.linears.values {
            let expected = try Reference.projection(checkpoint, linear.source, rows: linear.rows, cols: linear.cols)
            #expect(linear.scale == expected.scale && linear.scaleMode == .divide)
            for entry in linear.layouts { #expect(firstDifference(try file.layout(entry).unpack().values, expected.values) == nil) }
        }
    }

    /// Without --quantize a float Llama stays float: every projection a tensor in the checkpoint's type.
    @Test func aFloatLlamaStaysFloatUnlessQuantizeTernary() throws {
        try TinyCheckpoint.write(.floatLlama, to: dir.file("llama"))
        let (float, floatSummary) = try convert(dir.file("llama"), to: dir.file("llama-float.rsr"))
        try float.verify()
        #expect(float.manifest.source.quantization == .none && float.manifest.linears.isEmpty)
        #expect(floatSummary.ternaryWeights == 0 && floatSummary.floatWeights > 0 && !floatSummary.warnings.contains { $0.contains("quality") })
        let checkpoint = try Checkpoint(directory: dir.file("llama"))
        let q = try #require(float.tensor("layers.1.q_proj"))
        #expect(q.entry.source == "model.layers.1.self_attn.q_proj.weight")
        #expect(q.entry.type.rawValue == (try checkpoint.tensor("model.layers.1.self_attn.q_proj.weight")).info.dtype.rawValue)
        let (file, summary) = try convert(dir.file("llama"), to: dir.file("llama.rsr")) { $0.quantizeFloat = true }
        #expect(summary.warnings.contains { $0.contains("quality") })
        #expect(file.manifest.model.architecture == .llama && file.manifest.source.quantization == .absmeanPostTraining)
        let scaling = try #require(file.manifest.model.ropeScaling)
        #expect(scaling.kind == .llama3 && scaling.factor == 8 && scaling.originalMaxPositionEmbeddings == 128)
    }

    /// 1bitLLM's repos ship a SentencePiece tokenizer.model and no tokenizer.json: it travels along.
    @Test func oneBitLLMFixtureCarriesItsTokenizerModel() throws {
        let (file, summary) = try convert(fixture(oneBitLLMFixture), to: dir.file("1bit-fixture.rsr"))
        #expect(!summary.warnings.contains { $0.contains("tokenizer") }, "\(summary.warnings)")
        #expect(file.file("tokenizer.model") != nil && file.file("tokenizer.json") == nil)
        #expect(file.tensor("layers.0.attn_sub_norm")?.entry.source == "model.layers.0.self_attn.inner_attn_ln.weight")
    }

    /// The float Llama trained on the KJV with --quantize ternary: every projection is its absmean ternary
    /// matrix.
    @Test func floatLlamaFixtureConvertsWithQuantizeTernary() throws {
        let (file, summary) = try convert(fixture(floatLlamaFixture), to: dir.file("kjv.rsr")) { $0.quantizeFloat = true }
        try file.verify()
        #expect(summary.warnings.contains { $0.contains("quality") })
        let model = file.manifest.model
        #expect(model.architecture == .llama && model.layerCount == 4 && model.kvHeadCount == 2 && model.contextLength == 256)
        #expect(file.manifest.source.quantization == .absmeanPostTraining)
        #expect(file.manifest.linears.count == 28)
        let checkpoint = try Checkpoint(directory: fixture(floatLlamaFixture))
        for linear in file.manifest.linears.values {
            let expected = try Reference.projection(checkpoint, linear.source, rows: linear.rows, cols: linear.cols)
            #expect(linear.scale == expected.scale && linear.scaleMode == .divide)
            for entry in linear.layouts { #expect(firstDifference(try file.layout(entry).unpack().values, expected.values) == nil) }
        }
    }

    @Test func biasesAndBitLinearInputNormsAreCarried() throws {
        let path = dir.file("biased")
        try TinyCheckpoint.write(.floatLlama, to: path)
        // Add q/k/v/o biases and use_rms_norm weights to the float checkpoint.
        let checkpoint = try Checkpoint(directory: path)
        var entries = try checkpoint.tensorNames.map { name in
            let t = try checkpoint.tensor(name)
            return SafeTensorsWriter.Entry(name: name, dtype: t.info.dtype, shape: t.info.shape, data: t.byteArray)
        }
        for l in 0..<TinyCheckpoint.layers {
            for p in ["q_proj", "k_proj", "v_proj", "o_proj"] {
                let rows = p == "k_proj" || p == "v_proj" ? 32 : 64
                entries.append(.init(name: "model.layers.\(l).self_attn.\(p).bias", floats: (0..<rows).map { Float($0) }, shape: [rows]))
            }
            for p in ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"] {
                let cols = p == "mlp.down_proj" ? TinyCheckpoint.intermediate : TinyCheckpoint.hidden
                entries.append(.init(name: "model.layers.\(l).\(p).rms_norm.weight", floats: [Float](repeating: 2, count: cols), shape: [cols]))
            }
        }
        try SafeTensorsWriter.write(entries, to: Path.join(path, "model.safetensors"))
        try TinyCheckpoint.write(.floatLlama, to: dir.file("config-only"), configChanges: [
            "attention_bias": true,
            "quantization_config": ["quant_method": "bitnet", "linear_class": "bitlinear", "use_rms_norm": true, "rms_norm_eps": 1e-6],
        ])
        try FileManager.default.removeItem(atPath: Path.join(path, "config.json"))
        try FileManager.default.copyItem(atPath: dir.file("config-only/config.json"), toPath: Path.join(path, "config.json"))

        let (file, summary) = try convert(path, to: dir.file("biased.rsr"))
        #expect(summary.warnings.allSatisfy { !$0.contains("not used") }, "\(summary.warnings)")
        #expect(file.manifest.model.linearInputNormEps == 1e-6 && file.manifest.model.architecture == .llamaBitLinear)
        let k = try #require(file.manifest.linears["layers.1.k_proj"])
        #expect(k.bias == "layers.1.k_proj.bias" && k.inputNorm == "layers.1.k_proj.input_norm")
        let (_, bias) = try #require(file.tensor("layers.1.k_proj.bias"))
        #expect(Array(bias.bindMemory(to: Float.self)) == (0..<32).map(Float.init))
        #expect(file.manifest.linears["layers.0.down_proj"]?.bias == nil)
        #expect(file.tensor("layers.0.down_proj.input_norm")?.entry.shape == [TinyCheckpoint.intermediate])
    }

    @Test(arguments: [
        (#"{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}"#,
         "architecture GPT2LMHeadModel (model_type gpt2) is not supported; supported checkpoints: BitNetForCausalLM"),
        (#"{"quantization_config": {"quant_method": "awq"}}"#, "quant_method \"awq\" is not supported"),
        (#"{"quantization_config": {"quant_method": "gptq"}}"#, "quantization_config.bits is missing"),
        (#"{"quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 12}}"#, "group_size 12 is not supported"),
        (#"{"hidden_act": "gelu"}"#, "hidden_act \"gelu\" is not supported"),
        (#"{"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}"#, "rope scaling \"yarn\" is not supported"),
        (#"{"num_key_value_heads": 3}"#, "not a multiple of num_key_value_heads"),
        (#"{"hidden_size": "wide"}"#, "field hidden_size"),
    ])
    func unsupportedConfigsAreNamed(changes: String, message: String) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(changes.utf8)) as? [String: Any])
        try TinyCheckpoint.write(.oneBitLLM, to: dir.file("bad"), configChanges: object)
        let error = try #require(throws: ConvertError.self) { try convert(dir.file("bad"), to: dir.file("bad.rsr")) }
        #expect(error.source.hasSuffix("config.json"))
        #expect(error.problem.contains(message), "\(error)")
    }

    @Test func missingOrMisshapenTensorsAreNamed() throws {
        try TinyCheckpoint.write(.oneBitLLM, to: dir.file("missing"), skip: ["model.layers.1.mlp.up_proj.weight"])
        let missing = try #require(throws: SafeTensorsError.self) { try convert(dir.file("missing"), to: dir.file("m.rsr")) }
        #expect("\(missing)".contains("model.layers.1.mlp.up_proj.weight"))
        #expect(!Path.exists(dir.file("m.rsr")))

        try TinyCheckpoint.write(.oneBitLLM, to: dir.file("nan"), override: ["model.layers.0.self_attn.v_proj.weight": [Float](repeating: .nan, count: 32 * 64)])
        let nan = try #require(throws: ConvertError.self) { try convert(dir.file("nan"), to: dir.file("n.rsr")) }
        #expect(nan.problem.contains("model.layers.0.self_attn.v_proj.weight holds NaN"))
    }

    @Test func packedCodeThreeIsRefused() throws {
        let source = fixture("llama-bitlinear-packed")
        let path = dir.file("three")
        try Path.makeDirectories(path)
        for name in ["config.json", "tokenizer.json"] {
            try FileManager.default.copyItem(atPath: Path.join(source, name), toPath: Path.join(path, name))
        }
        let checkpoint = try Checkpoint(directory: source)
        let entries = try checkpoint.tensorNames.map { name in
            let t = try checkpoint.tensor(name)
            var data = t.byteArray
            if name == "model.layers.2.mlp.up_proj.weight" { data[5] = 0xFF }
            return SafeTensorsWriter.Entry(name: name, dtype: t.info.dtype, shape: t.info.shape, data: data)
        }
        try SafeTensorsWriter.write(entries, to: Path.join(path, "model.safetensors"))
        let error = try #require(throws: ConvertError.self) { try convert(path, to: dir.file("t.rsr")) }
        #expect(error.problem.contains("model.layers.2.mlp.up_proj.weight holds the 2-bit code 3"))
    }

    @Test func anExistingOutputIsKeptWithoutOverwrite() throws {
        let output = dir.file("exists.rsr")
        try AtomicFile.write(Array("keep me".utf8), to: output)
        let error = try #require(throws: ConvertError.self) { try convert(fixture("llama-bitlinear-packed"), to: output) }
        #expect(error.problem.contains("--force"))
        #expect(Path.read(output) == Array("keep me".utf8))
        _ = try convert(fixture("llama-bitlinear-packed"), to: output) { $0.overwrite = true }
        #expect(try ModelFile(path: output).manifest.model.architecture == .llamaBitLinear)
    }
}
