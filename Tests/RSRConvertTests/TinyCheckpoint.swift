import FileIO
import Foundation
import RSRCore
import SafeTensors
import TestSupport

/// Small float checkpoints in the layouts no shared fixture covers: 1bitLLM's BitnetForCausalLM (fp16,
/// inner_attn_ln / ffn_layernorm) and a plain float LlamaForCausalLM.
struct TinyCheckpoint {
    enum Kind { case oneBitLLM, floatLlama }

    static let hidden = 64, intermediate = 96, layers = 2, heads = 4, kvHeads = 2, vocab = 300

    static func write(_ kind: Kind, to directory: String, hidden: Int = Self.hidden, vocab: Int = Self.vocab,
                      configChanges: [String: Any] = [:], skip: Set<String> = [], override: [String: [Float]] = [:]) throws {
        try Path.makeDirectories(directory)
        var config: [String: Any] = [
            "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": intermediate, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": kvHeads, "hidden_act": "silu", "rms_norm_eps": 1e-5,
            "max_position_embeddings": 256, "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2,
        ]
        switch kind {
        case .oneBitLLM:
            config["architectures"] = ["BitnetForCausalLM"]
            config["model_type"] = "llama"
            config["rope_theta"] = 10000.0
            config["weight_bits"] = 1
            config["input_bits"] = 8
        case .floatLlama:
            config["architectures"] = ["LlamaForCausalLM"]
            config["model_type"] = "llama"
            config["rope_scaling"] = ["rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 128]
            config["rope_theta"] = 500000
        }
        for (key, value) in configChanges { config[key] = value }
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: config, options: .sortedKeys), to: Path.join(directory, "config.json"))

        let dtype: DType = kind == .oneBitLLM ? .f16 : .f32
        var rng = SplitMix64(seed: 42)
        func random(_ count: Int, around: Float = 0) -> [Float] {
            (0..<count).map { _ in around + Float(Int(rng.next() % 2001) - 1000) / 20000 }
        }
        // values are drawn only for the tensors written, in this order
        var tensors: [(String, [Int], () -> [Float])] = [
            ("model.embed_tokens.weight", [vocab, hidden], { random(vocab * hidden) }),
            ("lm_head.weight", [vocab, hidden], { random(vocab * hidden) }),
            ("model.norm.weight", [hidden], { random(hidden, around: 1) }),
        ]
        for l in 0..<layers {
            let p = "model.layers.\(l)."
            let kv = kvHeads * hidden / heads
            tensors += [
                (p + "input_layernorm.weight", [hidden], { random(hidden, around: 1) }),
                (p + "post_attention_layernorm.weight", [hidden], { random(hidden, around: 1) }),
                (p + "self_attn.q_proj.weight", [hidden, hidden], { random(hidden * hidden) }),
                (p + "self_attn.k_proj.weight", [kv, hidden], { random(kv * hidden) }),
                (p + "self_attn.v_proj.weight", [kv, hidden], { random(kv * hidden) }),
                (p + "self_attn.o_proj.weight", [hidden, hidden], { random(hidden * hidden) }),
                (p + "mlp.gate_proj.weight", [intermediate, hidden], { random(intermediate * hidden) }),
                (p + "mlp.up_proj.weight", [intermediate, hidden], { random(intermediate * hidden) }),
                (p + "mlp.down_proj.weight", [hidden, intermediate], { random(hidden * intermediate) }),
            ]
            if kind == .oneBitLLM {
                tensors += [(p + "self_attn.inner_attn_ln.weight", [hidden], { random(hidden, around: 1) }),
                            (p + "mlp.ffn_layernorm.weight", [intermediate], { random(intermediate, around: 1) })]
            }
        }
        let entries = tensors.filter { !skip.contains($0.0) }.map { name, shape, values in
            SafeTensorsWriter.Entry(name: name, floats: override[name] ?? values(), shape: shape, as: dtype)
        }
        try SafeTensorsWriter.write(entries, metadata: ["format": "pt"], to: Path.join(directory, "model.safetensors"))
    }
}
