import ArgumentParser
import Console
import FileIO
import Foundation
import Hub
import RSRBench
import RSRConvert
import RSRCore
import RSRFormat

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a Hub checkpoint into one rsr model file.",
        discussion: """
            SOURCE is a model directory in the Hub layout or a repo id, which is downloaded first (as rsr \
            download does). \(Converter.supportedCheckpoints.prefix(1).uppercased() + Converter.supportedCheckpoints.dropFirst()). Ternary projections are prepared for the \
            kernels --kernel names; a float model's are kept as stored (F32, F16 or BF16) and run in f32, the \
            reference its quantizations are measured against (rsr eval), unless --quantize asks otherwise. The \
            file also embeds the config and tokenizer files, so it alone is enough \
            to generate. The file is written under a temporary name and renamed into place when complete.
            """
    )

    @Argument(help: "A model directory or a Hub repo id.")
    var source: String

    @Option(name: .shortAndLong, help: "The model file to write.")
    var output: String

    @Option(help: "Kernels to prepare each layer for: auto (fastest measured per phase), rsr, rsr-t, packed-i2, or serve (for rsr serve: layouts for steps of several streams, docs/SERVING.md).")
    var kernel: KernelPolicy = .auto

    @Option(help: "Rows per block of classical RSR layouts: auto (the tuned table) or a number.")
    var k: KChoice = .auto

    @Option(help: "Output head (and tied embeddings) format: auto (with --quantize intN or for a ternary model's head of 64 MiB or more: q6 where rows are whole 256-value blocks, int8 where they are not and the head is 64 MiB or more; else stored), stored, f16, int8, q6 (6.56 bits per weight) or q4.")
    var embeddings: EmbeddingFormat = .auto

    @OptionGroup var threads: ThreadsOption

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(help: "Measure the kernels on this model's shapes instead of using the tuned table (with --kernel auto).")
    var tune = false

    @Option(help: "Quantize a float model: int2 ... int8 (round to nearest per group of input columns; see --integer-layout) or ternary (quality will suffer). Without it a float model stays float.")
    var quantize: QuantizeMode?

    @Option(help: "Input columns per scale group with --quantize intN: a multiple of 8, or channel for one scale per row.")
    var groupSize: GroupSize = .columns(128)

    @Flag(help: "With --quantize intN: a zero point per group (codes over [min, max]) instead of symmetric codes.")
    var asymmetric = false

    @Option(help: "Integer weights (--quantize intN, GPTQ and compressed-tensors imports): packed (codes whole in bytes for 2, 4 and 8 bits in groups of whole blocks, bit-planes for the rest) or bit-planes (for every width).")
    var integerLayout: IntegerLayout = .packed

    @Option(help: "Branch, tag or commit when SOURCE is a repo id.")
    var revision = "main"

    @Flag(help: "Print only the summary.")
    var quiet = false

    enum QuantizeMode: String, ExpressibleByArgument, CaseIterable {
        case ternary, int2, int3, int4, int5, int6, int7, int8

        var bits: Int? { rawValue.hasPrefix("int") ? Int(rawValue.dropFirst(3)) : nil }
    }

    enum GroupSize: ExpressibleByArgument, Equatable {
        case columns(Int), channel

        init?(argument: String) {
            if argument == "channel" { self = .channel; return }
            guard let n = Int(argument), n >= 8, n % 8 == 0, n <= 1 << 22 else { return nil }
            self = .columns(n)
        }

        var defaultValueDescription: String { if case .columns(let n) = self { "\(n)" } else { "channel" } }
    }

    func validate() throws {
        if quantize?.bits == nil && (asymmetric || groupSize != .columns(128)) {
            throw ValidationError("--group-size and --asymmetric apply to --quantize int2 ... int8.")
        }
        if case .fixed(let value) = k, !LayoutKind.rsrKRange(.ternary).contains(value) {
            throw ValidationError("--k \(value) is out of range for ternary weights; use auto or \(LayoutKind.rsrKRange(.ternary)).")
        }
    }

    func run() throws {
        var options = ConvertOptions()
        options.kernel = kernel
        options.k = k
        options.embeddings = embeddings
        if let threads = threads.threads { options.threads = threads }
        options.overwrite = force
        options.tune = tune ? Self.benchTimer : nil
        options.quantizeFloat = quantize == .ternary
        options.integerLayout = integerLayout
        if let bits = quantize?.bits {
            let group: Int? = if case .columns(let n) = groupSize { n } else { nil }
            options.integer = IntegerQuantization(bits: bits, group: group, asymmetric: asymmetric)
        }
        let directory = try resolveSource(&options)
        let converter = try Converter(directory: directory, options: options)
        let bar = ProgressBar(enabled: !quiet, label: "Converting", unit: .items("steps"))
        let summary = try converter.convert(to: output, progress: { done, total in
            bar.update(done: Double(done), total: Double(total))
        }, log: { line in
            if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        })
        bar.finish(always: false)
        for warning in summary.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        print(ConvertReport.render(summary, config: converter.config, output: output))
    }

    /// rsr bench's kernel harness as the converter's `--tune` timer: cold weights, 0.1 s per case.
    static let benchTimer: KernelTimer = { request, progress in
        var bench = KernelBenchmark(shapes: request.shapes, threads: [request.threads], batches: request.batches,
                                    kernels: request.kernels.compactMap(KernelName.init(rawValue:)))
        bench.k = request.k
        bench.isa = request.isa
        bench.minSeconds = 0.1
        bench.measuresBandwidth = false
        var times: KernelTimes = [:]
        for row in try bench.run(progress: progress).rows {
            times[row.shape, default: [:]][row.batch, default: [:]][row.kernel.rawValue] = row.medianSeconds * 1e6
        }
        return times
    }

    /// A directory as given, or the snapshot of a repo id after downloading it.
    private func resolveSource(_ options: inout ConvertOptions) throws -> String {
        if Path.isDirectory(source) { return source }
        guard !Path.exists(source), source.contains("/"), (try? RepoID(source)) != nil else {
            throw ValidationError("SOURCE '\(source)' is neither a model directory nor a Hub repo id (owner/name).")
        }
        var request = DownloadRequest(repo: source)
        request.revision = revision
        let snapshot: String
        do {
            snapshot = try HubDownloader(configuration: .fromEnvironment()).download(request, progress: DownloadProgress(enabled: !quiet))
        } catch let error as HubError {
            throw ValidationError("SOURCE '\(source)' is not a local directory, and fetching it as a Hub repo failed: \(error)")
        }
        options.repo = source
        options.revision = Path.lastComponent(of: snapshot)
        return snapshot
    }
}

extension KernelPolicy: ExpressibleByArgument {}
extension IntegerLayout: ExpressibleByArgument {}
extension EmbeddingFormat: ExpressibleByArgument {}

enum ConvertReport {
    static func render(_ s: ConvertSummary, config: ModelConfig, output: String) -> String {
        if s.integerWeights > 0 {
            let bits = s.integerBits.sorted().map(String.init).joined(separator: "/")
            let layouts = ["packed", "bit-planes"].filter { s.kernels[$0] != nil }
                .map { $0 == "packed" ? "packed codes" : $0 }.joined(separator: " and ")
            return """
                wrote \(output): \(Format.bytes(Double(s.fileBytes))), \(config.architecture.rawValue), \(s.layers) layers, \
                \(Format.count(Double(s.integerWeights))) \(bits)-bit integer weights as \(layouts)
                bits per weight, scales included: \(String(format: "%.3f", Double(s.layoutBytes * 8) / Double(s.integerWeights)))
                converted in \(String(format: "%.1f", s.seconds)) s
                """
        }
        if s.ternaryWeights == 0 {
            return """
                wrote \(output): \(Format.bytes(Double(s.fileBytes))), \(config.architecture.rawValue), \(s.layers) layers, \
                \(Format.count(Double(s.floatWeights))) float projection weights kept as stored (\(Format.bytes(Double(s.layoutBytes))))
                converted in \(String(format: "%.1f", s.seconds)) s
                """
        }
        let weights = Double(s.ternaryWeights)
        let kernels = s.kernels.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        return """
            wrote \(output): \(Format.bytes(Double(s.fileBytes))), \(config.architecture.rawValue), \(s.layers) layers, \
            \(Format.count(weights)) ternary weights
            layouts: \(kernels) (kernel choice: \(s.kernelBasis))
            bits per ternary weight: \(String(format: "%.3f", Double(s.decodeLayoutBytes * 8) / weights)) read per token, \
            \(String(format: "%.3f", Double(s.layoutBytes * 8) / weights)) stored
            converted in \(String(format: "%.1f", s.seconds)) s
            """
    }
}
