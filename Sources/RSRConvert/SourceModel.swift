import RSRFormat

/// A checkpoint's architecture as conversion understands it: the normalised config and where each
/// weight lives in the checkpoint. `detect` is the registry of supported architectures.
struct SourceModel {
    let config: ModelConfig
    /// config.json `architectures[0]`.
    let hfArchitecture: String
    /// How a packed checkpoint's `weight_scale` applies: AutoBitLinear multiplies, BitLinear divides.
    let packedScaleMode: LinearEntry.ScaleMode
    /// Float projections are ternarised with absmean; a float model not trained ternary says so, and one
    /// converted without `--quantize` keeps them (`.none`).
    let floatQuantization: Manifest.Quantization
    /// Checkpoint names of the sub-norms within a layer (attention output, GLU output), if any.
    let subNormNames: (attention: String, mlp: String)?
    /// How the checkpoint stores integer projections (compressed-tensors, GPTQ), if it does.
    let integerCheckpoint: IntegerCheckpoint?

    static let supported = """
        supported checkpoints: BitNetForCausalLM (model_type bitnet: microsoft/bitnet-b1.58-2B-4T and -bf16); \
        LlamaForCausalLM with quantization_config.quant_method "bitnet" (HF1BitLLM/Llama3-8B-1.58-100B-tokens, \
        tiiuae/Falcon3-*-1.58bit); BitnetForCausalLM (1bitLLM/bitnet_b1_58-large, -3B); LlamaForCausalLM, \
        MistralForCausalLM or Qwen2ForCausalLM quantized to integers by llm-compressor (compressed-tensors \
        pack-quantized) or GPTQ; and \
        float LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM, kept as stored or quantized with --quantize \
        (int2 ... int8, ternary)
        """

    static func detect(_ hf: HFConfig, generation: HFConfig.Generation?, configPath: String,
                       quantizeFloat: Bool, integer: IntegerQuantization? = nil) throws -> SourceModel {
        let fail = { (problem: String) in ConvertError(configPath, problem) }
        let architecture = hf.architectures?.first ?? ""
        let quantization = hf.quantizationConfig
        let imported = try IntegerCheckpoint.detect(quantization, fail: fail)
        if let method = quantization?.quantMethod, method != "bitnet", imported == nil {
            throw fail("quantization_config.quant_method \"\(method)\" is not supported (bitnet, compressed-tensors, gptq); \(supported)")
        }
        let bitnetQuantized = quantization?.quantMethod == "bitnet"
        let family: ModelConfig.Architecture
        var subNorms: (String, String)?
        let qwen2 = architecture == "Qwen2ForCausalLM"
        let llamaFamily = architecture == "LlamaForCausalLM" || architecture == "MistralForCausalLM" || qwen2
        if architecture == "BitNetForCausalLM" {
            family = .bitnet
            subNorms = ("self_attn.attn_sub_norm", "mlp.ffn_sub_norm")
        } else if architecture == "BitnetForCausalLM" {
            family = .bitnet1bitLLM
            subNorms = ("self_attn.inner_attn_ln", "mlp.ffn_layernorm")
        } else if llamaFamily && bitnetQuantized {
            family = .llamaBitLinear
        } else if llamaFamily {
            if let window = hf.slidingWindow, window < (hf.maxPositionEmbeddings ?? 2048), hf.useSlidingWindow ?? !qwen2 {
                throw fail("sliding_window \(window) is not supported (attention here is over the whole context)")
            }
            family = .llama
        } else {
            let name = architecture.isEmpty ? "no architectures entry" : "architecture \(architecture)"
            throw fail("\(name) (model_type \(hf.modelType ?? "missing")) is not supported; \(supported)")
        }
        if imported != nil && family != .llama {
            throw fail("\(architecture) with quant_method \"\(quantization?.quantMethod ?? "")\" is not supported (integer checkpoints of LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM are)")
        }
        if (integer != nil || quantizeFloat) && (family != .llama || imported != nil) {
            throw fail("--quantize applies to float models; \(architecture) is already quantized")
        }
        var config = try normalise(hf, family: family, generation: generation, fail: fail)
        if qwen2 { config.qkvBias = true } // Qwen2's q, k and v always have biases; o has none
        return SourceModel(config: config, hfArchitecture: architecture,
                           packedScaleMode: quantization?.linearClass == "autobitlinear" ? .multiply : .divide,
                           floatQuantization: family != .llama ? .absmean : imported?.quantization ?? (integer != nil ? .roundToNearest
                               : quantizeFloat ? .absmeanPostTraining : .none),
                           subNormNames: subNorms, integerCheckpoint: imported)
    }

    private static func normalise(_ hf: HFConfig, family: ModelConfig.Architecture, generation: HFConfig.Generation?,
                                  fail: (String) -> ConvertError) throws -> ModelConfig {
        func required(_ value: Int?, _ field: String) throws -> Int {
            guard let value else { throw fail("missing \(field)") }
            return value
        }
        let hidden = try required(hf.hiddenSize, "hidden_size")
        let heads = try required(hf.numAttentionHeads, "num_attention_heads")
        guard heads > 0, hidden > 0 else { throw fail("hidden_size and num_attention_heads must be positive") }
        let expectedAct: ModelConfig.Activation = family == .bitnet ? .relu2 : .silu
        let act = hf.hiddenAct ?? expectedAct.rawValue
        guard act == expectedAct.rawValue else {
            throw fail("hidden_act \"\(act)\" is not supported for \(family.rawValue) (expected \"\(expectedAct.rawValue)\")")
        }
        let quantization = hf.quantizationConfig
        let eos = Array(Set((hf.eosTokenId?.ids ?? []) + (generation?.eosTokenId?.ids ?? []))).sorted()
        let config = ModelConfig(
            architecture: family,
            vocabSize: try required(hf.vocabSize, "vocab_size"),
            hiddenSize: hidden,
            intermediateSize: try required(hf.intermediateSize, "intermediate_size"),
            layerCount: try required(hf.numHiddenLayers, "num_hidden_layers"),
            headCount: heads,
            kvHeadCount: hf.numKeyValueHeads ?? heads,
            headDim: hf.headDim ?? hidden / heads,
            contextLength: hf.maxPositionEmbeddings ?? 2048,
            rmsNormEps: Float(hf.rmsNormEps ?? (family == .bitnet ? 1e-5 : 1e-6)),
            ropeTheta: hf.ropeTheta ?? hf.ropeParameters?.ropeTheta ?? 10000,
            ropeScaling: try ropeScaling(hf.ropeParameters ?? hf.ropeScaling, fail: fail),
            activation: expectedAct,
            tiedEmbeddings: hf.tieWordEmbeddings ?? false,
            subNorms: family == .bitnet || family == .bitnet1bitLLM,
            linearInputNormEps: quantization?.useRmsNorm == true ? Float(quantization?.rmsNormEps ?? 1e-6) : nil,
            attentionBias: hf.attentionBias ?? false,
            mlpBias: hf.mlpBias ?? false,
            bosTokenId: hf.bosTokenId?.ids.first ?? generation?.bosTokenId?.ids.first,
            eosTokenIds: eos,
            padTokenId: hf.padTokenId?.ids.first)
        if let problem = config.problem { throw fail(problem) }
        return config
    }

    private static func ropeScaling(_ p: HFConfig.RopeParameters?, fail: (String) -> ConvertError) throws -> ModelConfig.RopeScaling? {
        guard let p else { return nil }
        switch p.ropeType ?? p.type ?? "default" {
        case "default":
            return nil
        case "linear":
            guard let factor = p.factor, factor > 0 else { throw fail("rope scaling \"linear\" needs a positive factor") }
            return .init(kind: .linear, factor: factor)
        case "llama3":
            guard let factor = p.factor, let low = p.lowFreqFactor, let high = p.highFreqFactor,
                  let original = p.originalMaxPositionEmbeddings, factor > 0, low > 0, high > low, original > 0 else {
                throw fail("rope scaling \"llama3\" needs factor, low_freq_factor < high_freq_factor and original_max_position_embeddings")
            }
            return .init(kind: .llama3, factor: factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: original)
        case let other:
            throw fail("rope scaling \"\(other)\" is not supported (default, linear, llama3)")
        }
    }
}

/// The checkpoint names of a layer's weights, and their names in the model file (LayerSchema).
struct LayerWeights {
    /// A projection: its name in the file, its path in the checkpoint layer, and its shape.
    struct Projection {
        let kind: LayerSchema.Projection
        let rows: Int
        let cols: Int

        var name: String { kind.rawValue }
        var path: String { kind.checkpointPath }
    }

    static func projections(_ c: ModelConfig) -> [Projection] {
        LayerSchema.Projection.allCases.map { kind in
            let (rows, cols) = kind.shape(c)
            return Projection(kind: kind, rows: rows, cols: cols)
        }
    }

    static func hf(_ layer: Int, _ path: String) -> String { LayerSchema.checkpointName(layer, path) }
    static func file(_ layer: Int, _ name: String) -> String { LayerSchema.name(layer, name) }
}
