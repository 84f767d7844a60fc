import Dispatch
import Foundation
import RSRCore
import RSREngine
import RSRModel
import Synchronization

/// `rsr bench serve`: N requests at once through the batching engine, each a random prompt then greedy
/// tokens (end-of-sequence ignored), timed token by token.
public struct ServeBenchmark: Sendable {
    public var modelPath: String
    public var threads: Int
    public var promptTokens: Int
    public var tokens: Int
    /// The engine's step budget (`Engine.Options.stepTokens`).
    public var batchTokens: Int
    /// Tokens at the start of every prompt that are the same (a system prompt).
    public var sharedPrefix = 0
    public var prefixCaching = true
    public var cacheType = KVCacheType.f32

    public init(modelPath: String, threads: Int, promptTokens: Int, tokens: Int, batchTokens: Int = 64) {
        self.modelPath = modelPath
        self.threads = threads
        self.promptTokens = promptTokens
        self.tokens = tokens
        self.batchTokens = batchTokens
    }

    /// One concurrency level's results.
    public struct Row: Sendable, Encodable {
        public let streams: Int
        /// Tokens of all streams over the wall time from submitting them to the last one's end.
        public let totalTokensPerSecond: Double
        /// Sum over streams of each one's decode rate (tokens after its first over the time they took).
        public let decodeTokensPerSecond: Double
        /// Tokens of all streams per second while every stream decodes: from the last first token to the
        /// first last token, so no prompt is being read (nil when that window holds no token).
        public let steadyTokensPerSecond: Double?
        /// Gaps between consecutive tokens inside that window.
        public let steadyInterTokenP99: Double?
        public let timeToFirstTokenP50, timeToFirstTokenP99: Double
        /// Gaps between consecutive tokens of a stream, over all streams.
        public let interTokenP50, interTokenP99: Double
        /// Sequences per step on average.
        public let meanBatch: Double

        enum CodingKeys: String, CodingKey {
            case streams, totalTokensPerSecond = "total_tok_s", decodeTokensPerSecond = "decode_tok_s"
            case steadyTokensPerSecond = "all_decoding_tok_s", steadyInterTokenP99 = "all_decoding_itl_p99_s"
            case timeToFirstTokenP50 = "ttft_p50_s", timeToFirstTokenP99 = "ttft_p99_s"
            case interTokenP50 = "itl_p50_s", interTokenP99 = "itl_p99_s", meanBatch = "mean_sequences_per_step"
        }
    }

    /// Runs `streams` requests at once on a fresh engine.
    public func run(streams: Int) throws -> Row {
        var options = Engine.Options()
        options.threads = threads
        options.parallel = streams
        options.stepTokens = batchTokens
        options.prefixCaching = prefixCaching
        options.cacheType = cacheType
        let engine = Engine(modelPath: modelPath, options: options)
        defer { engine.shutdown() }
        guard case .ready(let config, _) = engine.waitUntilLoaded() else { throw EngineError.unavailable("\(engine.phase)") }
        let times = Mutex<[[UInt64]]>(Array(repeating: [], count: streams))
        let ended = DispatchSemaphore(value: 0)
        var rng = SystemRandomNumberGenerator()
        let random = { (count: Int) in (0..<count).map { _ in Int.random(in: 0..<config.vocabSize, using: &rng) } }
        let shared = random(min(sharedPrefix, promptTokens))
        let start = DispatchTime.now().uptimeNanoseconds
        for s in 0..<streams {
            let prompt = shared + random(promptTokens - shared.count)
            try engine.submit(GenerationRequest(prompt: prompt, maxTokens: tokens)) { event in
                switch event {
                case .token: times.withLock { $0[s].append(DispatchTime.now().uptimeNanoseconds) }
                case .finished, .failed: ended.signal()
                }
            }
        }
        for _ in 0..<streams { ended.wait() }
        let stamps = times.withLock { $0 }
        let metrics = engine.metrics
        guard stamps.allSatisfy({ $0.count == tokens }) else { throw EngineError.unavailable("a stream ended early") }
        let end = stamps.compactMap(\.last).max() ?? start
        let seconds = { (a: UInt64, b: UInt64) in Double(b - a) / 1e9 }
        let firsts = stamps.map { seconds(start, $0[0]) }
        let gaps = stamps.flatMap { s in zip(s, s.dropFirst()).map { seconds($0, $1) } }
        let decode = stamps.reduce(0.0) { sum, s in sum + Double(s.count - 1) / seconds(s[0], s[s.count - 1]) }
        let (steady, steadyGaps) = Self.allDecoding(stamps)
        return Row(streams: streams, totalTokensPerSecond: Double(streams * tokens) / seconds(start, end), decodeTokensPerSecond: decode,
                   steadyTokensPerSecond: steady, steadyInterTokenP99: steadyGaps.isEmpty ? nil : Self.percentile(steadyGaps, 0.99),
                   timeToFirstTokenP50: Self.percentile(firsts, 0.5), timeToFirstTokenP99: Self.percentile(firsts, 0.99),
                   interTokenP50: Self.percentile(gaps, 0.5), interTokenP99: Self.percentile(gaps, 0.99),
                   meanBatch: Double(metrics.stepSequences) / Double(max(metrics.steps, 1)))
    }

    /// Tokens per second and inter-token gaps between the last stream's first token and the first stream's
    /// last one, when every stream is decoding.
    public static func allDecoding(_ stamps: [[UInt64]]) -> (Double?, [Double]) {
        guard let from = stamps.compactMap(\.first).max(), let to = stamps.compactMap(\.last).min(), to > from else { return (nil, []) }
        let inside = stamps.map { $0.filter { $0 > from && $0 <= to } }
        let count = inside.reduce(0) { $0 + $1.count }
        let gaps = stamps.flatMap { s in zip(s, s.dropFirst()).filter { $0.0 >= from && $0.1 <= to }.map { Double($0.1 - $0.0) / 1e9 } }
        return (count > 0 ? Double(count) / (Double(to - from) / 1e9) : nil, gaps)
    }

    /// The value below which a fraction `p` of `values` lie (nearest rank).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }

    public static func markdown(_ rows: [Row], model: String, threads: Int) -> String {
        let single = rows.first { $0.streams == 1 }
        var lines = ["| model | threads | streams | decode tok/s (sum) | vs 1 stream | all decoding tok/s | vs 1 stream | all decoding ITL p99 ms | all tokens / wall | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | ITL p99 ms | ITL p99 vs 1 stream | sequences per step |",
                     "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        let optional = { (value: Double?, scale: Double, format: String) in value.map { String(format: format, $0 * scale) } ?? "-" }
        for r in rows {
            let ratio = single.map { String(format: "%.2fx", r.decodeTokensPerSecond / $0.decodeTokensPerSecond) } ?? "-"
            let steadyRatio = single.flatMap { s in r.steadyTokensPerSecond.flatMap { v in s.steadyTokensPerSecond.map { String(format: "%.2fx", v / $0) } } } ?? "-"
            let latency = single.map { String(format: "%.2fx", r.interTokenP99 / $0.interTokenP99) } ?? "-"
            lines.append(String(format: "| %@ | %d | %d | %.1f | %@ | %@ | %@ | %@ | %.1f | %.0f | %.0f | %.1f | %.1f | %@ | %.2f |", model, threads, r.streams,
                                r.decodeTokensPerSecond, ratio, optional(r.steadyTokensPerSecond, 1, "%.1f"), steadyRatio,
                                optional(r.steadyInterTokenP99, 1e3, "%.1f"), r.totalTokensPerSecond, r.timeToFirstTokenP50 * 1e3,
                                r.timeToFirstTokenP99 * 1e3, r.interTokenP50 * 1e3, r.interTokenP99 * 1e3, latency, r.meanBatch))
        }
        return lines.joined(separator: "\n")
    }
}
