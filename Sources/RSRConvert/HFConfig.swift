import Foundation
import RSRFormat

/// The fields of a Hub config.json that conversion reads. Everything is optional here; `SourceModel`
/// decides what each architecture requires.
struct HFConfig: Decodable {
    var architectures: [String]?
    var modelType: String?
    var vocabSize: Int?
    var hiddenSize: Int?
    var intermediateSize: Int?
    var numHiddenLayers: Int?
    var numAttentionHeads: Int?
    var numKeyValueHeads: Int?
    var headDim: Int?
    var maxPositionEmbeddings: Int?
    var rmsNormEps: Double?
    var ropeTheta: Double?
    var ropeParameters: RopeParameters?
    var ropeScaling: RopeParameters?
    var hiddenAct: String?
    var tieWordEmbeddings: Bool?
    var attentionBias: Bool?
    var mlpBias: Bool?
    var bosTokenId: TokenIDs?
    var eosTokenId: TokenIDs?
    var padTokenId: TokenIDs?
    var slidingWindow: Int?
    var useSlidingWindow: Bool?
    var quantizationConfig: QuantizationConfig?

    /// transformers 5 keeps rope_theta and the scaling in `rope_parameters`; older configs use top-level
    /// `rope_theta` and `rope_scaling`.
    struct RopeParameters: Decodable {
        var ropeTheta: Double?
        var ropeType: String?
        var type: String?
        var factor: Double?
        var lowFreqFactor: Double?
        var highFreqFactor: Double?
        var originalMaxPositionEmbeddings: Int?

        enum CodingKeys: String, CodingKey {
            case ropeTheta = "rope_theta", ropeType = "rope_type", type, factor
            case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
            case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        }
    }

    struct QuantizationConfig: Decodable {
        var quantMethod: String?
        var linearClass: String?
        var quantizationMode: String?
        var useRmsNorm: Bool?
        var rmsNormEps: Double?
        var modulesToNotConvert: [String]?
        // compressed-tensors
        var format: String?
        var configGroups: [String: CompressedTensorsGroup]?
        var ignore: [String]?
        // GPTQ
        var bits: Int?
        var groupSize: Int?
        var sym: Bool?
        var checkpointFormat: String?
        var lmHead: Bool?

        enum CodingKeys: String, CodingKey {
            case quantMethod = "quant_method", linearClass = "linear_class", quantizationMode = "quantization_mode"
            case useRmsNorm = "use_rms_norm", rmsNormEps = "rms_norm_eps", modulesToNotConvert = "modules_to_not_convert"
            case format, configGroups = "config_groups", ignore
            case bits, groupSize = "group_size", sym, checkpointFormat = "checkpoint_format", lmHead = "lm_head"
        }
    }

    /// One of compressed-tensors' `config_groups`: which modules, and how their weights are quantized.
    struct CompressedTensorsGroup: Decodable {
        var targets: [String]?
        var format: String?
        var weights: Weights?
        var inputActivations: Ignored?

        struct Weights: Decodable {
            var numBits: Int?
            var type: String?
            var symmetric: Bool?
            var strategy: String?
            var groupSize: Int?

            enum CodingKeys: String, CodingKey {
                case numBits = "num_bits", type, symmetric, strategy, groupSize = "group_size"
            }
        }

        /// Present or null: only whether it is set matters.
        struct Ignored: Decodable {}

        enum CodingKeys: String, CodingKey { case targets, format, weights, inputActivations = "input_activations" }
    }

    /// A token id field: a number, a list of numbers, or null.
    struct TokenIDs: Decodable {
        var ids: [Int]

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                ids = []
            } else if let id = try? container.decode(Int.self) {
                ids = [id]
            } else {
                ids = try container.decode([Int].self)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case architectures, modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling", hiddenAct = "hidden_act"
        case tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias", mlpBias = "mlp_bias"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
        case slidingWindow = "sliding_window", useSlidingWindow = "use_sliding_window", quantizationConfig = "quantization_config"
    }

    static func read(_ path: String) throws -> HFConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConvertError(path, "cannot be read; a model directory needs its config.json")
        }
        do {
            return try JSONDecoder().decode(HFConfig.self, from: data)
        } catch let error as DecodingError {
            throw ConvertError(path, "is not a model config: \(error.fieldDescription)")
        } catch {
            throw ConvertError(path, "is not valid JSON")
        }
    }

    /// generation_config.json's token ids, which `generate` in transformers prefers to config.json's.
    struct Generation: Decodable {
        var bosTokenId: TokenIDs?
        var eosTokenId: TokenIDs?

        enum CodingKeys: String, CodingKey { case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id" }
    }
}
