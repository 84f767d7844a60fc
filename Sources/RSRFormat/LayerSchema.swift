/// The parts of one transformer block, named once for everything that lists them: the converter, the
/// forward pass, the CUDA upload, `rsr synth` and `rsr inspect`. Projections come in model order.
public enum LayerSchema {
    public enum Projection: String, CaseIterable, Sendable {
        case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj", gate = "gate_proj", up = "up_proj", down = "down_proj"

        public var isAttention: Bool { [.q, .k, .v, .o].contains(self) }

        /// Its path within a checkpoint's layer: "self_attn.q_proj", "mlp.down_proj".
        public var checkpointPath: String { (isAttention ? "self_attn." : "mlp.") + rawValue }

        /// Output rows x input columns for a model of these sizes.
        public func shape(hidden: Int, intermediate: Int, heads: Int, kvHeads: Int, headDim: Int) -> (rows: Int, cols: Int) {
            switch self {
            case .q: (heads * headDim, hidden)
            case .k, .v: (kvHeads * headDim, hidden)
            case .o: (hidden, heads * headDim)
            case .gate, .up: (intermediate, hidden)
            case .down: (hidden, intermediate)
            }
        }

        public func shape(_ c: ModelConfig) -> (rows: Int, cols: Int) {
            shape(hidden: c.hiddenSize, intermediate: c.intermediateSize, heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim)
        }

        /// Whether the config gives it a bias.
        public func hasBias(_ c: ModelConfig) -> Bool {
            isAttention ? c.attentionBias || (c.qkvBias == true && self != .o) : c.mlpBias
        }
    }

    /// A layer's RMSNorm weights, F32 vectors in the file. The sub-norms exist where `sub_norms` says so.
    public enum Norm: String, CaseIterable, Sendable {
        case input = "input_layernorm", postAttention = "post_attention_layernorm"
        /// Of the attention output, before o_proj; of the GLU output, before down_proj.
        case attentionSub = "attn_sub_norm", mlpSub = "ffn_sub_norm"

        public func length(_ c: ModelConfig) -> Int {
            switch self {
            case .input, .postAttention: c.hiddenSize
            case .attentionSub: c.headCount * c.headDim
            case .mlpSub: c.intermediateSize
            }
        }
    }

    /// A layer's tensor or linear in a model file: "layers.3.q_proj".
    public static func name(_ layer: Int, _ part: String) -> String { "layers.\(layer).\(part)" }

    public static func name(_ layer: Int, _ projection: Projection) -> String { name(layer, projection.rawValue) }

    public static func name(_ layer: Int, _ norm: Norm) -> String { name(layer, norm.rawValue) }

    /// A layer's tensor in a Hugging Face checkpoint: "model.layers.3.self_attn.q_proj.weight".
    public static func checkpointName(_ layer: Int, _ path: String) -> String { "model.layers.\(layer).\(path)" }

    /// Whether file name `a` comes before `b` in model order: by layer, then q, k, v, o, gate, up, down.
    public static func inModelOrder(_ a: String, _ b: String) -> Bool { orderKey(a) < orderKey(b) }

    private static func orderKey(_ name: String) -> (Int, Int, String) {
        let parts = name.split(separator: ".")
        let layer = parts.count > 1 ? Int(parts[1]) ?? Int.max : Int.max
        let projection = parts.last.flatMap { Projection(rawValue: String($0)) }.flatMap { Projection.allCases.firstIndex(of: $0) }
        return (layer, projection ?? Projection.allCases.count, name)
    }
}
