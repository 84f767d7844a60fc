import CRSRKernels
import FileIO
import Foundation
import RSRCore
import RSRFormat
import SafeTensors

/// What `rsr convert` was asked for.
public struct ConvertOptions: Sendable {
    public var kernel: KernelPolicy = .auto
    public var k: KChoice = .auto
    public var embeddings: EmbeddingFormat = .auto
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Replace an existing output file.
    public var overwrite = false
    /// Measure the kernels on this model's shapes instead of reading the tuned table, with this timer.
    public var tune: KernelTimer?
    /// Ternarise a float model that was not trained ternary (`--quantize ternary`).
    public var quantizeFloat = false
    /// Quantize a float model's projections to n-bit integers (`--quantize intN`).
    public var integer: IntegerQuantization?
    /// How integer weights are stored: packed codes where their bits allow, or bit-planes everywhere.
    public var integerLayout: IntegerLayout = .packed
    /// The Hub repo and commit the directory came from, recorded in the file.
    public var repo: String?
    public var revision: String?

    public init() {}
}

/// What a conversion produced.
public struct ConvertSummary: Sendable {
    public var layers = 0
    public var ternaryWeights = 0
    /// Projection weights stored as n-bit integers, and their bits.
    public var integerWeights = 0
    public var integerBits: Set<Int> = []
    /// Projection weights kept in float (a float model converted without --quantize).
    public var floatWeights = 0
    /// Bytes of all layouts (a float model: of its projection tensors), and of the decode layouts alone (what
    /// a token reads).
    public var layoutBytes = 0
    public var decodeLayoutBytes = 0
    public var fileBytes: Int64 = 0
    public var seconds = 0.0
    /// How `--kernel auto` decided: "the tuned table", "measured now", or the fixed choice for an
    /// instruction set the table was not measured on.
    public var kernelBasis = ""
    public var kernels: [String: Int] = [:]
    public var warnings: [String] = []
}

/// Converts a Hub-layout model directory into one model file (docs/FORMAT.md).
public final class Converter {
    /// Files embedded verbatim when the directory has them: enough to tokenize, template and generate.
    public static let embeddedFiles = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                                       "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
                                       "chat_template.json", "tokenizer.model"]

    let directory: String
    let options: ConvertOptions
    let source: SourceModel
    let checkpoint: Checkpoint
    private var used = Set<String>()
    private var summary = ConvertSummary()
    /// Whether any projection came packed (else all were ternarised here).
    private var usedPacked = false

    public init(directory: String, options: ConvertOptions) throws {
        self.directory = directory
        self.options = options
        let configPath = Path.join(directory, "config.json")
        let generationPath = Path.join(directory, "generation_config.json")
        var generation: HFConfig.Generation?
        if Path.exists(generationPath) {
            do {
                generation = try JSONDecoder().decode(HFConfig.Generation.self, from: Data(contentsOf: URL(fileURLWithPath: generationPath)))
            } catch {
                throw ConvertError(generationPath, "is not a generation config: \((error as? DecodingError)?.fieldDescription ?? "not valid JSON")")
            }
        }
        source = try SourceModel.detect(try HFConfig.read(configPath), generation: generation, configPath: configPath,
                                        quantizeFloat: options.quantizeFloat, integer: options.integer)
        checkpoint = try Checkpoint(directory: directory)
    }

    public var config: ModelConfig { source.config }

    /// The checkpoint architectures conversion accepts, as a sentence.
    public static var supportedCheckpoints: String { SourceModel.supported }

    /// Writes the model file to `output`. `progress` is called with (steps done, steps in all).
    public func convert(to output: String, progress: @escaping (Int, Int) -> Void = { _, _ in },
                        log: @escaping (String) -> Void = { _ in }) throws -> ConvertSummary {
        let start = Date()
        summary = ConvertSummary()
        used = []
        usedPacked = false
        if Path.isDirectory(output) { throw ConvertError(output, "is a directory; give the model file's path") }
        let exists = ConvertError(output, "already exists; pass --force to replace it")
        if Path.exists(output) && !options.overwrite { throw exists }
        let pool = try ThreadPool(threads: options.threads)
        let planner = KernelPlanner(policy: options.kernel, k: options.k, isa: pool.isa)
        let projections = LayerWeights.projections(config)
        if let timer = options.tune, options.kernel == .auto {
            log("measuring kernels on this model's shapes")
            try planner.measure(Array(Set(projections.map { MatrixShape(rows: $0.rows, cols: $0.cols) })), threads: options.threads,
                                timer: timer, progress: log)
        }
        summary.kernelBasis = planner.basis

        let writer = try ModelFileWriter(destination: output, replacing: options.overwrite)
        var manifest = Manifest(producer: "rsr \(RSRVersion.current)",
                                source: .init(repo: options.repo, revision: options.revision, architecture: source.hfArchitecture,
                                              quantization: .packed),
                                model: config)
        let steps = config.layerCount * projections.count + 2
        var done = 0
        manifest.files = try embedFiles(writer)
        try writeEmbeddings(&manifest, writer)
        done += 1
        progress(done, steps)
        for layer in 0..<config.layerCount {
            try writeLayerVectors(layer, &manifest, writer)
            for projection in projections {
                try writeLinear(projection, layer: layer, &manifest, writer, planner: planner, pool: pool)
                done += 1
                progress(done, steps)
            }
        }
        manifest.tensors["norm"] = try writeVector("model.norm.weight", length: config.hiddenSize, writer)
        try writeHead(&manifest, writer)
        done += 1
        progress(done, steps)

        let unused = Set(checkpoint.tensorNames).subtracting(used).filter { !$0.hasSuffix("rotary_emb.inv_freq") && !(config.tiedEmbeddings && $0 == "lm_head.weight") }
        if !unused.isEmpty {
            summary.warnings.append("\(unused.count) checkpoint tensor(s) not used: \(unused.sorted().prefix(5).joined(separator: ", "))\(unused.count > 5 ? ", ..." : "")")
        }
        if manifest.files["tokenizer.json"] == nil && manifest.files["tokenizer.model"] == nil {
            summary.warnings.append("no tokenizer.json or tokenizer.model in \(directory): the file cannot tokenize text")
        }
        if source.floatQuantization == .absmeanPostTraining {
            summary.warnings.append("\(source.hfArchitecture) was trained in float; ternarising it after training loses much of its quality")
        }
        manifest.source.quantization = summary.ternaryWeights > 0 && usedPacked ? .packed : source.floatQuantization
        do {
            try writer.finish(manifest: manifest)
        } catch let error as FileIOError where error.isExists {
            throw exists // it appeared while this file was written: kept, not replaced
        }
        summary.layers = config.layerCount
        summary.fileBytes = Path.fileSize(output) ?? 0
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private func embedFiles(_ writer: ModelFileWriter) throws -> [String: Int] {
        var files: [String: Int] = [:]
        for name in Self.embeddedFiles {
            let path = Path.join(directory, name)
            guard Path.exists(path) else { continue }
            guard let bytes = Path.read(path) else { throw ConvertError(path, "cannot be read") }
            files[name] = try writer.addSection(.file, bytes)
        }
        return files
    }

    /// The embedding table; when tied to the head and `--embeddings` asks for a format, stored once in it.
    private func writeEmbeddings(_ manifest: inout Manifest, _ writer: ModelFileWriter) throws {
        let tensor = try matrixTensor("model.embed_tokens.weight", rows: config.vocabSize, cols: config.hiddenSize)
        let format = config.tiedEmbeddings ? embeddings : .stored
        manifest.tensors["embed_tokens"] = try TensorEncoding.write(tensor, as: format.type(storing: tensor.info.dtype), to: writer)
    }

    private func writeHead(_ manifest: inout Manifest, _ writer: ModelFileWriter) throws {
        guard !config.tiedEmbeddings else { return }
        let tensor = try matrixTensor("lm_head.weight", rows: config.vocabSize, cols: config.hiddenSize)
        manifest.tensors["lm_head"] = try TensorEncoding.write(tensor, as: embeddings.type(storing: tensor.info.dtype), to: writer)
    }

    /// The head's format, `auto` resolved.
    private var embeddings: EmbeddingFormat {
        let head = checkpoint.info(config.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight")
        let ternary = config.architecture != .llama || options.quantizeFloat
        return options.embeddings.resolved(quantizingIntegers: options.integer != nil, ternary: ternary,
                                           headBytes: config.vocabSize * config.hiddenSize * (head?.dtype.size ?? 0), cols: config.hiddenSize)
    }

    private func matrixTensor(_ name: String, rows: Int, cols: Int, head: Bool = true) throws -> Tensor {
        let tensor = try checkpoint.tensor(name)
        guard tensor.info.dtype.isFloat, tensor.info.shape == [rows, cols] else {
            throw ConvertError(tensor.file, "tensor \(name) is \(tensor.info.dtype.rawValue) \(tensor.info.shape); expected a float [\(rows), \(cols)]")
        }
        if head, let multiple = embeddings.columnMultiple, cols % multiple != 0 {
            throw ConvertError(tensor.file, "tensor \(name) has \(cols) columns; --embeddings \(embeddings.rawValue) needs a multiple of \(multiple)")
        }
        used.insert(name)
        return tensor
    }

    /// Norm weights (widened to F32, which is exact) of one layer.
    private func writeLayerVectors(_ layer: Int, _ manifest: inout Manifest, _ writer: ModelFileWriter) throws {
        var sources: [(LayerSchema.Norm, String)] = [(.input, "input_layernorm"), (.postAttention, "post_attention_layernorm")]
        if let (attention, mlp) = source.subNormNames { sources += [(.attentionSub, attention), (.mlpSub, mlp)] }
        for (norm, path) in sources {
            manifest.tensors[LayerSchema.name(layer, norm)] =
                try writeVector(LayerWeights.hf(layer, path + ".weight"), length: norm.length(config), writer)
        }
    }

    private func writeVector(_ name: String, length: Int, _ writer: ModelFileWriter) throws -> TensorEntry {
        let tensor = try checkpoint.tensor(name)
        guard tensor.info.dtype.isFloat, tensor.info.shape == [length] else {
            throw ConvertError(tensor.file, "tensor \(name) is \(tensor.info.dtype.rawValue) \(tensor.info.shape); expected a float [\(length)]")
        }
        used.insert(name)
        return try TensorEncoding.write(tensor, as: .f32, to: writer)
    }

    private func writeLinear(_ projection: LayerWeights.Projection, layer: Int, _ manifest: inout Manifest,
                             _ writer: ModelFileWriter, planner: KernelPlanner, pool: ThreadPool) throws {
        if let imported = source.integerCheckpoint {
            let path = LayerWeights.hf(layer, projection.path)
            guard let (matrix, tensors) = try imported.decode(path, rows: projection.rows, cols: projection.cols, from: checkpoint) else {
                return try writeFloatLinear(projection, layer: layer, &manifest, writer) // left in float by the quantizer
            }
            used.formUnion(tensors)
            return try addIntegerLinear(matrix, name: LayerWeights.file(layer, projection.name), source: path, projection: projection,
                                        layer: layer, &manifest, writer, pool: pool)
        }
        if source.floatQuantization == .none {
            return try writeFloatLinear(projection, layer: layer, &manifest, writer)
        }
        if let integer = options.integer {
            return try writeIntegerLinear(projection, layer: layer, integer, &manifest, writer, pool: pool)
        }
        let weights = try TernaryWeights.decode(projection, layer: layer, from: checkpoint, source: source, pool: pool)
        used.insert(LayerWeights.hf(layer, projection.path + ".weight"))
        used.insert(LayerWeights.hf(layer, projection.path + ".weight_scale"))
        usedPacked = usedPacked || weights.quantization == .packed
        let name = LayerWeights.file(layer, projection.name)
        let plan = planner.plan(MatrixShape(rows: projection.rows, cols: projection.cols), weights: .ternary,
                                sparseInputs: projection.kind == .down && config.activation == .relu2)
        var layouts: [LayoutEntry] = []
        for (kind, phases) in [(plan.decode, plan.prefill == nil ? Phase.allCases : [.decode])] + (plan.prefill.map { [($0, [Phase.prefill])] } ?? []) {
            let layout = try Layout(weights.matrix, as: kind, pool: pool)
            let section = try layout.withBytes { try writer.addSection(.layout, $0) }
            layouts.append(LayoutEntry(section: section, kernel: kind.name, k: layout.k, phases: phases, bitsPerWeight: layout.bitsPerWeight))
            summary.layoutBytes += layout.byteCount
            if phases.contains(.decode) { summary.decodeLayoutBytes += layout.byteCount }
            summary.kernels[kind.description, default: 0] += 1
        }
        var entry = LinearEntry(rows: projection.rows, cols: projection.cols, weights: .ternary, scale: weights.scale,
                                scaleMode: weights.scaleMode, layouts: layouts, source: LayerWeights.hf(layer, projection.path + ".weight"))
        if projection.kind.hasBias(config) {
            entry.bias = name + ".bias"
            manifest.tensors[name + ".bias"] = try writeVector(LayerWeights.hf(layer, projection.path + ".bias"), length: projection.rows, writer)
        }
        if config.linearInputNormEps != nil {
            entry.inputNorm = name + ".input_norm"
            manifest.tensors[name + ".input_norm"] =
                try writeVector(LayerWeights.hf(layer, projection.path + ".rms_norm.weight"), length: projection.cols, writer)
        }
        manifest.linears[name] = entry
        summary.ternaryWeights += projection.rows * projection.cols
    }

    /// A float model's projection quantized to n-bit integers and written as bit-planes, with its bias.
    private func writeIntegerLinear(_ projection: LayerWeights.Projection, layer: Int, _ integer: IntegerQuantization,
                                    _ manifest: inout Manifest, _ writer: ModelFileWriter, pool: ThreadPool) throws {
        let name = LayerWeights.file(layer, projection.name)
        let source = LayerWeights.hf(layer, projection.path + ".weight")
        let tensor = try matrixTensor(source, rows: projection.rows, cols: projection.cols, head: false)
        let matrix: IntegerMatrix
        do {
            matrix = try IntegerMatrix.quantizing(try tensor.floats(), rows: projection.rows, cols: projection.cols, bits: integer.bits,
                                                  group: integer.group ?? projection.cols, asymmetric: integer.asymmetric, pool: pool)
        } catch let error as KernelError where error.status == RSR_ERR_VALUE {
            throw ConvertError(tensor.file, "tensor \(source) holds NaN or infinite values")
        }
        try addIntegerLinear(matrix, name: name, source: source, projection: projection, layer: layer, &manifest, writer, pool: pool)
    }

    func addIntegerLinear(_ matrix: IntegerMatrix, name: String, source: String, projection: LayerWeights.Projection, layer: Int,
                          _ manifest: inout Manifest, _ writer: ModelFileWriter, pool: ThreadPool) throws {
        let planes: BitPlaneLayout
        let packed = options.integerLayout == .packed && BitPlaneLayout.canPack(matrix)
        do {
            planes = try BitPlaneLayout(matrix, packed: packed, pool: pool)
        } catch let error as KernelError where error.status == RSR_ERR_OVERFLOW {
            throw ConvertError(source, "\(matrix.bits)-bit weights in groups of \(matrix.group) columns could overflow the kernels' int32 sums; use smaller groups")
        }
        let section = try planes.withBytes { try writer.addSection(.layout, $0) }
        var entry = IntegerLinearEntry(section: section, rows: matrix.rows, cols: matrix.cols, bits: matrix.bits, group: matrix.group,
                                       zeroPoints: matrix.zeros != nil, permuted: matrix.permutation != nil,
                                       scaleType: TensorType(rawValue: matrix.scaleType.rawValue)!, bitsPerWeight: planes.bitsPerWeight,
                                       packed: packed, source: source)
        if projection.kind.hasBias(config) {
            entry.bias = name + ".bias"
            manifest.tensors[name + ".bias"] = try writeVector(LayerWeights.hf(layer, projection.path + ".bias"), length: projection.rows, writer)
        }
        manifest.integerLinears = (manifest.integerLinears ?? [:]).merging([name: entry]) { $1 }
        summary.integerWeights += matrix.rows * matrix.cols
        summary.integerBits.insert(matrix.bits)
        summary.layoutBytes += planes.byteCount
        summary.decodeLayoutBytes += planes.byteCount
        summary.kernels[packed ? "packed" : "bit-planes", default: 0] += 1
    }

    /// A float model's projection kept as stored (F32, F16 or BF16) under the linear's name, with its bias.
    private func writeFloatLinear(_ projection: LayerWeights.Projection, layer: Int, _ manifest: inout Manifest,
                                  _ writer: ModelFileWriter) throws {
        let name = LayerWeights.file(layer, projection.name)
        let tensor = try matrixTensor(LayerWeights.hf(layer, projection.path + ".weight"), rows: projection.rows, cols: projection.cols,
                                  head: false)
        let entry = try TensorEncoding.write(tensor, as: EmbeddingFormat.stored.type(storing: tensor.info.dtype), to: writer)
        manifest.tensors[name] = entry
        summary.floatWeights += projection.rows * projection.cols
        let bytes = entry.type.byteCount(shape: entry.shape) ?? 0
        summary.layoutBytes += bytes
        summary.decodeLayoutBytes += bytes // every token reads them
        if projection.kind.hasBias(config) {
            manifest.tensors[name + ".bias"] = try writeVector(LayerWeights.hf(layer, projection.path + ".bias"), length: projection.rows, writer)
        }
    }
}
