import RSRCore

/// The table of contents of a model file, stored as JSON in its last section: the model's config, and
/// which section holds each embedded file, tensor and layer layout (docs/FORMAT.md).
public struct Manifest: Codable, Equatable, Sendable {
    /// The program that wrote the file, e.g. "rsr 0.1.0".
    public var producer: String
    public var source: Source
    public var model: ModelConfig
    /// Files embedded verbatim (config.json, tokenizer.json, ...): name to section.
    public var files: [String: Int]
    /// Float and quantized tensors by normalised name ("embed_tokens", "layers.0.input_layernorm", ...), and
    /// the projections of a float model kept as stored ("layers.0.q_proj", ...).
    public var tensors: [String: TensorEntry]
    /// Ternary or binary projections by normalised name ("layers.0.q_proj", ...).
    public var linears: [String: LinearEntry]
    /// Projections of 1- to 8-bit integer weights in scale groups, as bit-planes (absent in files without).
    public var integerLinears: [String: IntegerLinearEntry]?

    public init(producer: String, source: Source, model: ModelConfig, files: [String: Int] = [:],
                tensors: [String: TensorEntry] = [:], linears: [String: LinearEntry] = [:]) {
        self.producer = producer
        self.source = source
        self.model = model
        self.files = files
        self.tensors = tensors
        self.linears = linears
    }

    /// Where the weights came from and how they were made ternary.
    public struct Source: Codable, Equatable, Sendable {
        /// Hub repo id and commit, when converted from the Hub.
        public var repo: String?
        public var revision: String?
        /// The checkpoint's class in config.json `architectures`, e.g. "BitNetForCausalLM".
        public var architecture: String
        public var quantization: Quantization

        public init(repo: String? = nil, revision: String? = nil, architecture: String, quantization: Quantization) {
            self.repo = repo
            self.revision = revision
            self.architecture = architecture
            self.quantization = quantization
        }
    }

    public enum Quantization: String, Codable, Sendable {
        /// Ternary weights stored packed in the checkpoint, as trained.
        case packed
        /// Full-precision weights of a ternary-trained model, made ternary by absmean at convert time.
        case absmean
        /// A float model made ternary after training (`--quantize ternary`): expect lower quality.
        case absmeanPostTraining = "absmean-post-training"
        /// A float model kept as stored: its projections are F32, F16 or BF16 tensors, not linears.
        case none
        /// A float model quantized to n-bit integers here (`--quantize intN`): round to nearest per group.
        case roundToNearest = "rtn"
        /// Integer weights as llm-compressor stores them (compressed-tensors `pack-quantized`).
        case compressedTensors = "compressed-tensors"
        /// Integer weights as GPTQ stores them (`qweight`, `qzeros`, `scales`, `g_idx`).
        case gptq
    }

    enum CodingKeys: String, CodingKey {
        case producer, source, model, files, tensors, linears
        case integerLinears = "integer_linears"
    }
}

/// How a tensor's elements are stored.
public enum TensorType: String, Codable, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    /// int8 per row with one f32 scale per row: rows x cols int8, zero padding to 64 bytes, rows f32.
    case q8Row = "Q8_ROW"
    /// ggml's Q4_0: blocks of 32 values along a row, each an f16 scale and 16 bytes of 4-bit values.
    case q4_32 = "Q4_32"
    /// Blocks of 256 values along a row: an f16 scale, an int8 scale per 16 values, then 6-bit values as
    /// nibbles and bit pairs (llama.cpp's Q6_K in another order).
    case q6_256 = "Q6_256"

    /// Bytes a tensor of this shape takes, or nil when the type cannot hold that shape.
    public func byteCount(shape: [Int]) -> Int? {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 && $0 <= 1 << 31 }) else { return nil }
        let (count, overflow) = shape.dropFirst().reduce((shape[0], false)) { acc, d in
            let m = acc.0.multipliedReportingOverflow(by: d)
            return (m.partialValue, acc.1 || m.overflow)
        }
        guard !overflow, count <= 1 << 40 else { return nil }
        // matrices by the kernel library's own rule, so that the file and the kernels agree on every type
        if shape.count == 2, let dense = DenseType(rawValue: rawValue) { return DenseTensor.byteCount(dense, rows: shape[0], cols: shape[1]) }
        switch self {
        case .f32: return count * 4
        case .f16, .bf16: return count * 2
        case .q8Row, .q4_32, .q6_256: return nil // matrices only
        }
    }

    /// Whether elements are floats (as opposed to quantized blocks).
    public var isFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }

    /// Where a Q8_ROW tensor's row scales start.
    public static func q8ScalesOffset(rows: Int, cols: Int) -> Int { (rows * cols + 63) / 64 * 64 }
}

public struct TensorEntry: Codable, Equatable, Sendable {
    public var section: Int
    public var type: TensorType
    public var shape: [Int]
    /// The checkpoint tensor it came from.
    public var source: String?

    public init(section: Int, type: TensorType, shape: [Int], source: String?) {
        self.section = section
        self.type = type
        self.shape = shape
        self.source = source
    }

    enum CodingKeys: String, CodingKey { case section, type = "dtype", shape, source }
}

/// A ternary (or binary) projection y = scale ∘ (W x) with W stored in one or more kernel layouts.
public struct LinearEntry: Codable, Equatable, Sendable {
    /// How `scale` applies to W x: HF's AutoBitLinear multiplies by weight_scale, BitLinear divides by it.
    public enum ScaleMode: String, Codable, Sendable { case multiply, divide }

    public var rows: Int
    public var cols: Int
    public var weights: WeightKind
    public var scale: Float
    public var scaleMode: ScaleMode
    public var layouts: [LayoutEntry]
    /// Tensor name of the bias (added after scaling), if any.
    public var bias: String?
    /// Tensor name of the RMSNorm weight applied to this projection's input (`use_rms_norm`), if any.
    public var inputNorm: String?
    /// The checkpoint tensor it came from.
    public var source: String

    public init(rows: Int, cols: Int, weights: WeightKind, scale: Float, scaleMode: ScaleMode, layouts: [LayoutEntry],
                bias: String? = nil, inputNorm: String? = nil, source: String) {
        self.rows = rows
        self.cols = cols
        self.weights = weights
        self.scale = scale
        self.scaleMode = scaleMode
        self.layouts = layouts
        self.bias = bias
        self.inputNorm = inputNorm
        self.source = source
    }

    /// The factor W x is multiplied by.
    public var outputScale: Float { scaleMode == .multiply ? scale : 1 / scale }

    /// The layout to use for a phase: the one marked for it.
    public func layout(for phase: Phase) -> LayoutEntry? { layouts.first { $0.phases.contains(phase) } }

    enum CodingKeys: String, CodingKey {
        case rows, cols, weights, scale
        case scaleMode = "scale_mode"
        case layouts, bias
        case inputNorm = "input_norm"
        case source
    }
}

/// Single-vector products (token by token) or batches (the prompt).
public enum Phase: String, Codable, Sendable, CaseIterable {
    case decode, prefill
}

public struct LayoutEntry: Codable, Equatable, Sendable {
    public var section: Int
    /// "rsr", "rsr-t", "packed-i2" or "sparse-i2" (`LayoutKind.name`).
    public var kernel: String
    /// Rows per block for "rsr"; the layout's fixed group size otherwise.
    public var k: Int
    public var phases: [Phase]
    /// Layout bytes per weight, index and padding included.
    public var bitsPerWeight: Double

    public init(section: Int, kernel: String, k: Int, phases: [Phase], bitsPerWeight: Double) {
        self.section = section
        self.kernel = kernel
        self.k = k
        self.phases = phases
        self.bitsPerWeight = bitsPerWeight
    }

    enum CodingKeys: String, CodingKey {
        case section, kernel, k, phases
        case bitsPerWeight = "bits_per_weight"
    }
}

/// A projection of n-bit integer weights, w = scale * (code - zero) per group of input columns, stored as
/// one integer layout (bit-planes, or packed codes) that carries its codes, scales, zero points and column
/// permutation (FORMAT.md).
public struct IntegerLinearEntry: Codable, Equatable, Sendable {
    public var section: Int
    public var rows: Int
    public var cols: Int
    public var bits: Int
    /// Input columns per scale group; `cols` for one scale per row.
    public var group: Int
    /// Whether each group stores its zero point (else it is 2^(bits-1): signed codes).
    public var zeroPoints: Bool
    /// Whether the columns are stored in the order of a permutation (GPTQ's act order).
    public var permuted: Bool
    public var scaleType: TensorType
    /// Layout bytes per weight, scales and zero points included.
    public var bitsPerWeight: Double
    /// Whether the codes are packed whole in bytes (2, 4 or 8 bits) rather than split into bit-planes.
    public var packed: Bool { packedCodes ?? false }
    private var packedCodes: Bool?
    /// Tensor name of the bias, if any.
    public var bias: String?
    /// The checkpoint tensor (or tensors' common prefix) it came from.
    public var source: String

    public init(section: Int, rows: Int, cols: Int, bits: Int, group: Int, zeroPoints: Bool, permuted: Bool,
                scaleType: TensorType, bitsPerWeight: Double, packed: Bool = false, bias: String? = nil, source: String) {
        self.section = section
        self.rows = rows
        self.cols = cols
        self.bits = bits
        self.group = group
        self.zeroPoints = zeroPoints
        self.permuted = permuted
        self.scaleType = scaleType
        self.bitsPerWeight = bitsPerWeight
        packedCodes = packed ? true : nil // absent in files with bit-planes only, as before format 1.4
        self.bias = bias
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case section, rows, cols, bits, group
        case zeroPoints = "zero_points"
        case permuted
        case scaleType = "scale_dtype"
        case bitsPerWeight = "bits_per_weight"
        case packedCodes = "packed"
        case bias, source
    }
}
