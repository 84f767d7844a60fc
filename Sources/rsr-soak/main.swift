// rsr-soak: many generations in one process through the library API, watching resident memory and open file
// descriptors. A server runs generation after generation for days; memory or descriptors that grow with each
// one would end it. Prints one JSON object; exits 1 when memory grows past the bound or descriptors leak.
//
//     rsr-soak MODEL.rsr [--runs 1000] [--warmup 300] [--threads 2] [--max-growth 0.05]
import Foundation
import RSRCLI
import RSREngine
import RSRFormat
import RSRModel
import Tokenizers

struct SoakOptions {
    var model = ""
    var runs = 1000
    var warmup = 300
    var threads = 2
    var maxGrowth = 0.05

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let v = rest.popFirst() else { throw ModelError("\(flag) needs a value") }
            return v
        }
        func number(_ flag: String) throws -> Int {
            guard let n = Int(try value(flag)), n >= 0 else { throw ModelError("\(flag) takes a whole number") }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--runs": runs = try number(argument)
            case "--warmup": warmup = try number(argument)
            case "--threads": threads = max(1, try number(argument))
            case "--max-growth":
                guard let g = Double(try value(argument)), g >= 0 else { throw ModelError("--max-growth takes a fraction such as 0.05") }
                maxGrowth = g
            default:
                guard model.isEmpty, !argument.hasPrefix("-") else { throw ModelError("unexpected argument \(argument)") }
                model = argument
            }
        }
        guard !model.isEmpty else { throw ModelError("usage: rsr-soak MODEL.rsr [--runs N] [--warmup N] [--threads N] [--max-growth F]") }
        guard warmup < runs else { throw ModelError("--warmup (\(warmup)) must be below --runs (\(runs))") }
    }
}

/// Resident set size in bytes, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }

/// One generation: a prompt of mixed length, greedy or sampled, streamed through the tokenizer's decoder.
/// Every 50th run opens the model file anew, as a server that reloads would. The variations repeat every
/// 300 runs (prompt lengths every 60, reply lengths every 4, reloads every 50), so the default warm-up is one
/// full cycle: by its end every buffer size the workload needs has been allocated once.
struct Workload {
    let options: SoakOptions
    var session: GenerationSession
    var model: Transformer
    var tokens = 0

    init(_ options: SoakOptions) throws {
        self.options = options
        let file = try ModelFile(path: options.model)
        session = try GenerationSession(file: file)
        model = try Transformer(file: file, threads: options.threads)
    }

    mutating func run(_ index: Int) throws {
        if index % 50 == 49 {
            let file = try ModelFile(path: options.model)
            session = try GenerationSession(file: file)
            model = try Transformer(file: file, threads: options.threads)
        }
        let words = ["And", "God", "said", "let", "there", "be", "light", "in", "the", "beginning", "unto", "them"]
        let prompt = (0...(index * 7) % 60).map { words[($0 * 5 + index) % words.count] }.joined(separator: " ")
        var sampling = SamplingOptions()
        if index % 2 == 1 {
            sampling.greedy = false
            sampling.temperature = 0.8
            sampling.topK = 40
            sampling.topP = 0.95
            sampling.repetitionPenalty = 1.1
            sampling.seed = UInt64(index)
        }
        let generator = Generator(model: model, options: sampling, stopTokens: session.stopTokens)
        var decoder = StreamingDecoder(tokenizer: session.tokenizer)
        var text = ""
        let ids = try session.tokenizer.encode(prompt, addSpecialTokens: true)
        let (stats, _) = try generator.generate(prompt: ids, maxTokens: [4, 16, 48, 96][index % 4]) { id in
            text += decoder.append(id)
            return true
        }
        text += decoder.finish()
        tokens += stats.generatedTokens
    }
}

do {
    let options = try SoakOptions(Array(CommandLine.arguments.dropFirst()))
    var workload = try Workload(options)
    let start = Date()
    // Resident memory swings by a few MiB within a cycle (a reload holds two models for a moment), so growth
    // compares peaks: the highest after warm-up against the highest during it, which the whole cycle set.
    var warm = (rss: 0, fds: 0)
    var peak = 0
    var samples: [Int] = [] // resident MiB every 100 runs, to show a trend
    for index in 0..<options.runs {
        try workload.run(index)
        if index < options.warmup { warm.rss = max(warm.rss, residentBytes()) }
        if index + 1 == options.warmup { warm.fds = openDescriptors() }
        if index + 1 > options.warmup { peak = max(peak, residentBytes()) }
        if (index + 1) % 100 == 0 { samples.append(residentBytes() >> 20) }
    }
    let end = (rss: residentBytes(), fds: openDescriptors())
    let growth = Double(peak - warm.rss) / Double(max(warm.rss, 1))
    let report: [String: Any] = [
        "runs": options.runs, "warmup": options.warmup, "generated_tokens": workload.tokens,
        "seconds": Date().timeIntervalSince(start),
        "rss_warmup_peak_bytes": warm.rss, "rss_peak_bytes": peak, "rss_end_bytes": end.rss, "rss_growth": growth,
        "fds_after_warmup": warm.fds, "fds_end": end.fds, "rss_mib_every_100_runs": samples,
    ]
    let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
    if growth > options.maxGrowth || end.fds != warm.fds {
        FileHandle.standardError.write(Data("rsr-soak: resident memory grew \(String(format: "%.1f", growth * 100))% after warm-up (bound \(options.maxGrowth * 100)%), descriptors \(warm.fds) -> \(end.fds)\n".utf8))
        exit(1)
    }
} catch {
    FileHandle.standardError.write(Data("rsr-soak: \(error)\n".utf8))
    exit(2)
}
