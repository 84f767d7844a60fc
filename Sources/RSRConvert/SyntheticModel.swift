import FileIO
import Foundation
import RSRCore
import RSRFormat
import SafeTensors

/// Writes a model directory in the Hub layout of a real model, with its real shapes and random weights: for
/// timing conversion and generation at full scale without downloading gigabytes. Ternary presets follow
/// their repos' packing; float presets write BF16 projections, or with `bits` integer ones as llm-compressor
/// stores them (compressed-tensors pack-quantized, symmetric, groups of `group` columns).
public struct SyntheticModel: Sendable {
    public enum Preset: String, CaseIterable, Sendable {
        case bitnet2B4T = "bitnet-2b4t"
        case llama3_8B = "llama3-8b-1.58"
        case bitnetLarge = "bitnet-large"
        case bitnet3B = "bitnet-3b"
        case falcon3_1B = "falcon3-1b-1.58"
        case falcon3_3B = "falcon3-3b-1.58"
        case falcon3_7B = "falcon3-7b-1.58"
        case falcon3_10B = "falcon3-10b-1.58"
        case llama32_1B = "llama3.2-1b"
        case llama32_3B = "llama3.2-3b"
        case llama3_8BFloat = "llama3-8b"
        case qwen25_1_5B = "qwen2.5-1.5b"
        case qwen25_7B = "qwen2.5-7b"

        /// Whether the preset is a float model (quantized by `bits`, or by rsr convert --quantize).
        public var isFloat: Bool { [.llama32_1B, .llama32_3B, .llama3_8BFloat, .qwen25_1_5B, .qwen25_7B].contains(self) }

        /// The repo whose config.json the preset follows.
        public var repo: String {
            switch self {
            case .bitnet2B4T: "microsoft/bitnet-b1.58-2B-4T"
            case .llama3_8B: "HF1BitLLM/Llama3-8B-1.58-100B-tokens"
            case .bitnetLarge: "1bitLLM/bitnet_b1_58-large"
            case .bitnet3B: "1bitLLM/bitnet_b1_58-3B"
            case .falcon3_1B: "tiiuae/Falcon3-1B-Instruct-1.58bit"
            case .falcon3_3B: "tiiuae/Falcon3-3B-Instruct-1.58bit"
            case .falcon3_7B: "tiiuae/Falcon3-7B-Instruct-1.58bit"
            case .falcon3_10B: "tiiuae/Falcon3-10B-Instruct-1.58bit"
            case .llama32_1B: "meta-llama/Llama-3.2-1B"
            case .llama32_3B: "meta-llama/Llama-3.2-3B"
            case .llama3_8BFloat: "meta-llama/Meta-Llama-3-8B"
            case .qwen25_1_5B: "Qwen/Qwen2.5-1.5B"
            case .qwen25_7B: "Qwen/Qwen2.5-7B"
            }
        }
    }

    public let preset: Preset
    /// Fewer layers than the real model, for quick runs.
    public var layers: Int?
    public var seed: UInt64 = 1
    /// Float presets: integer projections of this many bits (2 to 8) in groups of `group` columns.
    public var bits: Int?
    public var group = 128

    public init(preset: Preset) { self.preset = preset }

    /// config.json of the preset.
    public var config: [String: Any] {
        var c: [String: Any]
        switch preset {
        case .bitnet2B4T:
            c = ["architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "vocab_size": 128256, "hidden_size": 2560,
                 "intermediate_size": 6912, "num_hidden_layers": 30, "num_attention_heads": 20, "num_key_value_heads": 5,
                 "hidden_act": "relu2", "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
                 "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16",
                 "quantization_config": ["quant_method": "bitnet", "linear_class": "autobitlinear", "quantization_mode": "offline"]]
        case .llama3_8B:
            c = ["architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": 4096,
                 "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                 "hidden_act": "silu", "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
                 "tie_word_embeddings": false, "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16",
                 "quantization_config": ["quant_method": "bitnet", "linear_class": "bitlinear", "quantization_mode": "offline"]]
        case .bitnetLarge, .bitnet3B:
            let large = preset == .bitnetLarge
            c = ["architectures": ["BitnetForCausalLM"], "model_type": "llama", "vocab_size": 32002,
                 "hidden_size": large ? 1536 : 3200, "intermediate_size": large ? 4096 : 8640,
                 "num_hidden_layers": large ? 24 : 26, "num_attention_heads": large ? 16 : 32,
                 "num_key_value_heads": large ? 16 : 32, "hidden_act": "silu", "max_position_embeddings": 2048,
                 "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": false, "bos_token_id": 1,
                 "eos_token_id": 2, "pad_token_id": 32000, "torch_dtype": "float16", "weight_bits": 1, "input_bits": 8]
        case .falcon3_1B, .falcon3_3B, .falcon3_7B, .falcon3_10B:
            // Llama blocks with packed BitLinear weights; the sizes of the Falcon3 family (head_dim 256)
            let (hidden, intermediate, layers, heads) = switch preset {
            case .falcon3_1B: (2048, 8192, 18, 8)
            case .falcon3_3B: (3072, 9216, 22, 12)
            case .falcon3_7B: (3072, 23040, 28, 12)
            default: (3072, 23040, 40, 12)
            }
            c = ["architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 131072, "hidden_size": hidden,
                 "intermediate_size": intermediate, "num_hidden_layers": layers, "num_attention_heads": heads,
                 "num_key_value_heads": 4, "head_dim": 256, "hidden_act": "silu", "max_position_embeddings": 8192,
                 "rms_norm_eps": 1e-6, "rope_theta": 1000042.0, "tie_word_embeddings": false, "bos_token_id": 11,
                 "eos_token_id": 11, "torch_dtype": "bfloat16", "quantization_config": ["quant_method": "bitnet"]]
        case .llama32_1B, .llama32_3B, .llama3_8BFloat:
            let (hidden, intermediate, layers, heads, tied) = switch preset {
            case .llama32_1B: (2048, 8192, 16, 32, true)
            case .llama32_3B: (3072, 8192, 28, 24, true)
            default: (4096, 14336, 32, 32, false)
            }
            c = ["architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256, "hidden_size": hidden,
                 "intermediate_size": intermediate, "num_hidden_layers": layers, "num_attention_heads": heads,
                 "num_key_value_heads": 8, "head_dim": 128 * hidden / (heads * 128), "hidden_act": "silu",
                 "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": tied,
                 "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16"]
        case .qwen25_1_5B, .qwen25_7B:
            let small = preset == .qwen25_1_5B
            c = ["architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": small ? 151936 : 152064,
                 "hidden_size": small ? 1536 : 3584, "intermediate_size": small ? 8960 : 18944, "num_hidden_layers": 28,
                 "num_attention_heads": small ? 12 : 28, "num_key_value_heads": small ? 2 : 4, "hidden_act": "silu",
                 "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": small,
                 "use_sliding_window": false, "bos_token_id": 151643, "eos_token_id": 151643, "torch_dtype": "bfloat16"]
        }
        if let layers { c["num_hidden_layers"] = layers }
        if let bits, preset.isFloat {
            c["quantization_config"] = [
                "quant_method": "compressed-tensors", "format": "pack-quantized", "quantization_status": "compressed",
                "ignore": ["lm_head"],
                "config_groups": ["group_0": ["targets": ["Linear"], "format": "pack-quantized",
                                              "weights": ["num_bits": bits, "type": "int", "symmetric": true, "strategy": "group",
                                                          "group_size": group]]],
            ] as [String: Any]
        }
        return c
    }

    /// Writes config.json, generation_config.json, a byte-level tokenizer and model.safetensors into `directory`.
    public func write(to directory: String) throws {
        try Path.makeDirectories(directory)
        let c = config
        let json = { (object: Any) in try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) }
        try AtomicFile.write(json(c), to: Path.join(directory, "config.json"))
        try AtomicFile.write(json(["bos_token_id": c["bos_token_id"]!, "eos_token_id": c["eos_token_id"]!]),
                             to: Path.join(directory, "generation_config.json"))
        let bos = c["bos_token_id"] as! Int, eos = c["eos_token_id"] as! Int
        try AtomicFile.write(json(ByteLevelTokenizer.json(bos: bos, eos: eos)), to: Path.join(directory, "tokenizer.json"))
        try AtomicFile.write(json(ByteLevelTokenizer.config(bos: bos, eos: eos)), to: Path.join(directory, "tokenizer_config.json"))
        try writeWeights(c, to: Path.join(directory, "model.safetensors"))
    }

    private func writeWeights(_ c: [String: Any], to path: String) throws {
        let int = { (key: String) in c[key] as! Int }
        let hidden = int("hidden_size"), heads = int("num_attention_heads"), kv = int("num_key_value_heads")
        let headDim = c["head_dim"] as? Int ?? hidden / heads, inter = int("intermediate_size"), vocab = int("vocab_size")
        let packed = preset != .bitnetLarge && preset != .bitnet3B && !preset.isFloat
        let floatType: DType = preset == .bitnetLarge || preset == .bitnet3B ? .f16 : .bf16
        var specs = [SafeTensorsWriter.TensorSpec(name: "model.embed_tokens.weight", dtype: floatType, shape: [vocab, hidden]),
                     .init(name: "model.norm.weight", dtype: floatType, shape: [hidden])]
        if !(c["tie_word_embeddings"] as! Bool) { specs.append(.init(name: "lm_head.weight", dtype: floatType, shape: [vocab, hidden])) }
        let projections = LayerSchema.Projection.allCases.map { kind in
            let (rows, cols) = kind.shape(hidden: hidden, intermediate: inter, heads: heads, kvHeads: kv, headDim: headDim)
            return (kind.checkpointPath, rows, cols)
        }
        var shapes: [String: (rows: Int, cols: Int)] = [:] // of packed projections, by name prefix
        for layer in 0..<int("num_hidden_layers") {
            let prefix = "model.layers.\(layer)."
            specs += [.init(name: prefix + "input_layernorm.weight", dtype: floatType, shape: [hidden]),
                      .init(name: prefix + "post_attention_layernorm.weight", dtype: floatType, shape: [hidden])]
            switch preset {
            case .bitnet2B4T:
                specs += [.init(name: prefix + "self_attn.attn_sub_norm.weight", dtype: floatType, shape: [hidden]),
                          .init(name: prefix + "mlp.ffn_sub_norm.weight", dtype: floatType, shape: [inter])]
            case .bitnetLarge, .bitnet3B:
                specs += [.init(name: prefix + "self_attn.inner_attn_ln.weight", dtype: floatType, shape: [hidden]),
                          .init(name: prefix + "mlp.ffn_layernorm.weight", dtype: floatType, shape: [inter])]
            default:
                break
            }
            for (path, rows, cols) in projections {
                if preset.isFloat, c["model_type"] as? String == "qwen2", path.hasSuffix("q_proj") || path.hasSuffix("k_proj") || path.hasSuffix("v_proj") {
                    specs.append(.init(name: prefix + path + ".bias", dtype: floatType, shape: [rows]))
                }
                if preset.isFloat, let bits {
                    shapes[prefix + path + "."] = (rows, cols)
                    specs += [.init(name: prefix + path + ".weight_packed", dtype: .i32, shape: [rows, (cols * bits + 31) / 32]),
                              .init(name: prefix + path + ".weight_scale", dtype: floatType, shape: [rows, (cols + group - 1) / group]),
                              .init(name: prefix + path + ".weight_shape", dtype: .i64, shape: [2])]
                } else if packed {
                    specs += [.init(name: prefix + path + ".weight", dtype: .u8, shape: [rows / 4, cols]),
                              .init(name: prefix + path + ".weight_scale", dtype: floatType, shape: [1])]
                } else {
                    specs.append(.init(name: prefix + path + ".weight", dtype: floatType, shape: [rows, cols]))
                }
            }
        }
        try SafeTensorsWriter.write(specs, metadata: ["format": "pt"], to: path) { spec in
            let seed = seed &+ Self.stableHash(spec.name)
            if spec.dtype == .u8 { return RandomTensor.packedTernary(count: spec.byteCount, seed: seed) }
            if spec.dtype == .i32 { return RandomTensor.bytes(count: spec.byteCount, seed: seed) } // any bits are valid codes
            if spec.dtype == .i64 { // weight_shape: [rows, cols]
                let shape = shapes[String(spec.name.dropLast("weight_shape".count))]!
                return [Int64(shape.rows), Int64(shape.cols)].flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
            }
            if spec.name.hasSuffix("weight_scale") && spec.shape.count == 2 {
                return RandomTensor.uniform(count: spec.byteCount / 2, around: 0.004, spread: 0.002, seed: seed, as: spec.dtype)
            }
            let count = spec.byteCount / 2
            if spec.name.hasSuffix("weight_scale") { return RandomTensor.floats([Float(0.5 + Double(seed % 1000) / 1000)], as: spec.dtype) }
            if spec.shape.count == 1 { return RandomTensor.uniform(count: count, around: 1, spread: 0.1, seed: seed, as: spec.dtype) }
            return RandomTensor.uniform(count: count, around: 0, spread: 0.05, seed: seed, as: spec.dtype)
        }
    }

    /// FNV-1a, so each tensor's random stream depends on its name, not on the process.
    static func stableHash(_ s: String) -> UInt64 {
        s.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// Random tensor contents, generated on all cores.
enum RandomTensor {
    private static let chunk = 1 << 20

    /// Bytes of four 2-bit codes in {0, 1, 2} (ternary -1, 0, +1 packed as transformers does).
    static func packedTernary(count: Int, seed: UInt64) -> [UInt8] {
        let valid = (0..<256).map(UInt8.init).filter { b in (0..<4).allSatisfy { (b >> (2 * $0)) & 3 != 3 } }
        return generate(count: count, elementSize: 1, seed: seed) { rng, out in
            for i in 0..<out.count { out[i] = valid[Int(rng.next() % UInt64(valid.count))] }
        }
    }

    /// Random bytes.
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        generate(count: count, elementSize: 1, seed: seed) { rng, out in
            for i in 0..<out.count { out[i] = UInt8(truncatingIfNeeded: rng.next() >> 24) }
        }
    }

    /// Uniform values in [around - spread, around + spread] as F16 or BF16.
    static func uniform(count: Int, around: Float, spread: Float, seed: UInt64, as dtype: DType) -> [UInt8] {
        generate(count: count * 2, elementSize: 2, seed: seed) { rng, out in
            for i in stride(from: 0, to: out.count, by: 2) {
                let v = around + spread * (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1)
                let bits = dtype == .f16 ? Float16(v).bitPattern : v.bfloat16Bits
                out[i] = UInt8(bits & 0xff)
                out[i + 1] = UInt8(bits >> 8)
            }
        }
    }

    static func floats(_ values: [Float], as dtype: DType) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let bits = dtype == .f16 ? Float16(v).bitPattern : v.bfloat16Bits
            return [UInt8(bits & 0xff), UInt8(bits >> 8)]
        }
    }

    private static func generate(count: Int, elementSize: Int, seed: UInt64,
                                 _ fill: @Sendable (inout SplitMix64, UnsafeMutableBufferPointer<UInt8>) -> Void) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer  // each task fills its own chunk
            let chunks = (count + chunk - 1) / chunk
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                var rng = SplitMix64(seed: seed &+ UInt64(i) &* 0x9E37_79B9)
                let start = i * chunk, end = min(count, start + chunk)
                fill(&rng, UnsafeMutableBufferPointer(rebasing: buffer[start..<end]))
            }
        }
        return out
    }
}
