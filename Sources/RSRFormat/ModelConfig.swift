/// The transformer a model file describes, normalised from the checkpoint's config.json so that the
/// runtime reads one shape of config whatever the source architecture was.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// The block structure, which decides the forward pass.
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// microsoft/bitnet-b1.58-2B-4T: relu² GLU, sub-norms before o_proj and down_proj.
        case bitnet
        /// Llama with BitLinear projections (HF1BitLLM, Falcon3-1.58bit): SiLU GLU.
        case llamaBitLinear = "llama-bitlinear"
        /// 1bitLLM/bitnet_b1_58: SiLU GLU with sub-norms (inner_attn_ln, ffn_layernorm).
        case bitnet1bitLLM = "bitnet-1bitllm"
        /// A float Llama ternarised after training (`--quantize ternary`).
        case llama
    }

    public enum Activation: String, Codable, Sendable {
        case relu2, silu
    }

    /// Llama 3.1-style frequency scaling of RoPE (`rope_type` "llama3"), or linear position scaling.
    public struct RopeScaling: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable { case llama3, linear }
        public var kind: Kind
        public var factor: Double
        public var lowFreqFactor: Double?
        public var highFreqFactor: Double?
        public var originalMaxPositionEmbeddings: Int?

        public init(kind: Kind, factor: Double, lowFreqFactor: Double? = nil, highFreqFactor: Double? = nil,
                    originalMaxPositionEmbeddings: Int? = nil) {
            self.kind = kind
            self.factor = factor
            self.lowFreqFactor = lowFreqFactor
            self.highFreqFactor = highFreqFactor
            self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
        }

        enum CodingKeys: String, CodingKey {
            case kind = "rope_type", factor
            case lowFreqFactor = "low_freq_factor"
            case highFreqFactor = "high_freq_factor"
            case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        }
    }

    public var architecture: Architecture
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var contextLength: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    public var activation: Activation
    public var tiedEmbeddings: Bool
    /// RMSNorms before o_proj (on the attention output) and before down_proj (on the GLU output).
    public var subNorms: Bool
    /// Epsilon of the RMSNorm each BitLinear applies to its own input (`use_rms_norm`), nil when off.
    public var linearInputNormEps: Float?
    public var attentionBias: Bool
    /// Biases on q, k and v but not o (Qwen2); absent in files that predate it.
    public var qkvBias: Bool?
    public var mlpBias: Bool
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]
    public var padTokenId: Int?

    public init(architecture: Architecture, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
                headCount: Int, kvHeadCount: Int, headDim: Int, contextLength: Int, rmsNormEps: Float, ropeTheta: Double,
                ropeScaling: RopeScaling?, activation: Activation, tiedEmbeddings: Bool, subNorms: Bool,
                linearInputNormEps: Float?, attentionBias: Bool, mlpBias: Bool, bosTokenId: Int?, eosTokenIds: [Int],
                padTokenId: Int?) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.contextLength = contextLength
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.activation = activation
        self.tiedEmbeddings = tiedEmbeddings
        self.subNorms = subNorms
        self.linearInputNormEps = linearInputNormEps
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
        self.padTokenId = padTokenId
    }

    enum CodingKeys: String, CodingKey {
        case architecture
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case kvHeadCount = "num_key_value_heads"
        case headDim = "head_dim"
        case contextLength = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case activation = "hidden_act"
        case tiedEmbeddings = "tie_word_embeddings"
        case subNorms = "sub_norms"
        case linearInputNormEps = "linear_input_norm_eps"
        case attentionBias = "attention_bias"
        case qkvBias = "qkv_bias"
        case mlpBias = "mlp_bias"
        case bosTokenId = "bos_token_id"
        case eosTokenIds = "eos_token_ids"
        case padTokenId = "pad_token_id"
    }

    /// The first inconsistency in the numbers, as a sentence naming the field; nil when they fit together.
    public var problem: String? {
        let positive: [(String, Int)] = [("vocab_size", vocabSize), ("hidden_size", hiddenSize),
                                         ("intermediate_size", intermediateSize), ("num_hidden_layers", layerCount),
                                         ("num_attention_heads", headCount), ("num_key_value_heads", kvHeadCount),
                                         ("head_dim", headDim), ("max_position_embeddings", contextLength)]
        for (name, value) in positive where value <= 0 || value > 1 << 24 {
            return "\(name) is \(value); expected a positive size"
        }
        if headCount % kvHeadCount != 0 {
            return "num_attention_heads (\(headCount)) is not a multiple of num_key_value_heads (\(kvHeadCount))"
        }
        if headDim % 2 != 0 { return "head_dim (\(headDim)) must be even for rotary embeddings" }
        if headDim > 8192 { return "head_dim (\(headDim)) is above 8192, the most attention takes" }
        if !(rmsNormEps > 0 && rmsNormEps.isFinite) { return "rms_norm_eps (\(rmsNormEps)) must be a positive number" }
        if !(ropeTheta > 0 && ropeTheta.isFinite) { return "rope_theta (\(ropeTheta)) must be a positive number" }
        if let eps = linearInputNormEps, !(eps > 0 && eps.isFinite) { return "the BitLinear input norm epsilon (\(eps)) must be positive" }
        for id in [bosTokenId].compactMap({ $0 }) + eosTokenIds where id < 0 || id >= vocabSize {
            return "token id \(id) is outside the vocabulary of \(vocabSize)"
        }
        return nil
    }
}
