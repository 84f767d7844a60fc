import Foundation
import RSRCore
import RSRFormat
import RSRModel

/// `rsr bench generate`: prefill and decode speed of a model file, and decode speed against the bound
/// the memory bus sets (measured read bandwidth / bytes one decoded token reads).
public struct GenerationBenchmark: Sendable {
    public var promptTokens = 128
    public var decodeTokens = 128
    public var threads = [1, 2]
    public var rounds = 3
    public var seed: UInt64 = 1

    public init() {}

    public func run(_ file: ModelFile, progress: (String) -> Void = { _ in }) throws -> [GenerationBenchRow] {
        let config = file.manifest.model
        var rng = SplitMix64(seed: seed)
        let prompt = (0..<promptTokens).map { _ in Int.random(in: 0..<config.vocabSize, using: &rng) }
        var rows: [GenerationBenchRow] = []
        for t in threads {
            let bandwidth = try MemoryBandwidth.read(pool: try ThreadPool(threads: t))
            progress("read bandwidth, \(t) thread\(t == 1 ? "" : "s"): \(String(format: "%.1f", bandwidth / 1e9)) GB/s")
            let model = try Transformer(file: file, threads: t)
            var prefill: [Double] = [], decode: [Double] = []
            for round in 0..<rounds {
                let (stats, _) = try Generator(model: model).generate(prompt: prompt, maxTokens: decodeTokens) { _ in true }
                prefill.append(stats.prefillTokensPerSecond)
                decode.append(stats.decodeTokensPerSecond)
                progress(String(format: "%d thread%@, round %d: prefill %.1f tok/s, decode %.2f tok/s", t, t == 1 ? "" : "s",
                                round + 1, stats.prefillTokensPerSecond, stats.decodeTokensPerSecond))
            }
            // a decoded token reads the weights once and the keys and values of every earlier position
            let kvPerPosition = 2 * config.layerCount * config.kvHeadCount * config.headDim * MemoryLayout<Float>.size
            let meanPositions = Double(promptTokens) + Double(decodeTokens) / 2
            let bytes = Double(model.bytesPerToken) + meanPositions * Double(kvPerPosition)
            rows.append(GenerationBenchRow(threads: t, promptTokens: promptTokens, decodeTokens: decodeTokens,
                                           prefillTokensPerSecond: Self.median(prefill), decodeTokensPerSecond: Self.median(decode),
                                           bytesPerToken: bytes, readBandwidth: bandwidth))
        }
        return rows
    }

    private static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

/// One thread count's results.
public struct GenerationBenchRow: Sendable, Encodable {
    public let threads: Int
    public let promptTokens: Int
    public let decodeTokens: Int
    public let prefillTokensPerSecond: Double
    public let decodeTokensPerSecond: Double
    /// Bytes one decoded token reads: decode layouts, the head, an embedding row, the KV cache.
    public let bytesPerToken: Double
    /// Bytes per second.
    public let readBandwidth: Double

    /// Tokens per second if decoding only streamed its bytes at the measured bandwidth.
    public var boundTokensPerSecond: Double { readBandwidth / bytesPerToken }
    public var fractionOfBound: Double { decodeTokensPerSecond / boundTokensPerSecond }
    /// How much faster a prompt token goes than a decoded one.
    public var prefillSpeedup: Double { prefillTokensPerSecond / decodeTokensPerSecond }

    enum CodingKeys: String, CodingKey {
        case threads, promptTokens = "prompt_tokens", decodeTokens = "decode_tokens"
        case prefillTokensPerSecond = "prefill_tok_s", decodeTokensPerSecond = "decode_tok_s"
        case bytesPerToken = "bytes_per_token", readBandwidth = "read_bandwidth_bytes_s"
        case boundTokensPerSecond = "bound_tok_s", fractionOfBound = "fraction_of_bound", prefillSpeedup = "prefill_speedup"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(threads, forKey: .threads)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(decodeTokens, forKey: .decodeTokens)
        try c.encode(prefillTokensPerSecond, forKey: .prefillTokensPerSecond)
        try c.encode(decodeTokensPerSecond, forKey: .decodeTokensPerSecond)
        try c.encode(bytesPerToken, forKey: .bytesPerToken)
        try c.encode(readBandwidth, forKey: .readBandwidth)
        try c.encode(boundTokensPerSecond, forKey: .boundTokensPerSecond)
        try c.encode(fractionOfBound, forKey: .fractionOfBound)
        try c.encode(prefillSpeedup, forKey: .prefillSpeedup)
    }

    /// A Markdown table of rows.
    public static func markdown(_ rows: [GenerationBenchRow]) -> String {
        var lines = ["| threads | prompt | prefill tok/s | decode tok/s | MB read per token | read GB/s | bound tok/s | decode of bound | prefill / decode per token |",
                     "|---|---|---|---|---|---|---|---|---|"]
        for r in rows {
            lines.append(String(format: "| %d | %d | %.1f | %.2f | %.1f | %.1f | %.2f | %.0f%% | %.1fx |", r.threads, r.promptTokens,
                                r.prefillTokensPerSecond, r.decodeTokensPerSecond, r.bytesPerToken / 1e6, r.readBandwidth / 1e9,
                                r.boundTokensPerSecond, 100 * r.fractionOfBound, r.prefillSpeedup))
        }
        return lines.joined(separator: "\n")
    }
}
