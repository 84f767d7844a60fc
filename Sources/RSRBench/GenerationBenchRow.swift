import Foundation

/// One model, kernel and thread count's results.
public struct GenerationBenchRow: Sendable, Encodable {
    public let model: String
    public let kernel: String
    public let threads: Int
    public let promptTokens: Int
    public let decodeTokens: Int
    public let prefillTokensPerSecond: Double
    public let decodeTokensPerSecond: Double
    /// Bytes one decoded token reads: weights as this kernel stores them, the head, an embedding row, the KV cache.
    public let bytesPerToken: Double
    /// Bytes per second.
    public let readBandwidth: Double
    /// rsr's (kernel "index") tok/s over this row's, for the same model and threads.
    public var rsrDecodeSpeedup: Double?
    public var rsrPrefillSpeedup: Double?

    /// Tokens per second if decoding only streamed its bytes at the measured bandwidth.
    public var boundTokensPerSecond: Double { readBandwidth / bytesPerToken }
    public var fractionOfBound: Double { decodeTokensPerSecond / boundTokensPerSecond }
    /// How much faster a prompt token goes than a decoded one.
    public var prefillSpeedup: Double { prefillTokensPerSecond / decodeTokensPerSecond }

    enum CodingKeys: String, CodingKey {
        case model, kernel, threads, promptTokens = "prompt_tokens", decodeTokens = "decode_tokens"
        case prefillTokensPerSecond = "prefill_tok_s", decodeTokensPerSecond = "decode_tok_s"
        case bytesPerToken = "bytes_per_token", readBandwidth = "read_bandwidth_bytes_s"
        case boundTokensPerSecond = "bound_tok_s", fractionOfBound = "fraction_of_bound", prefillSpeedup = "prefill_speedup"
        case rsrDecodeSpeedup = "rsr_decode_speedup", rsrPrefillSpeedup = "rsr_prefill_speedup"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(kernel, forKey: .kernel)
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
        try c.encodeIfPresent(rsrDecodeSpeedup, forKey: .rsrDecodeSpeedup)
        try c.encodeIfPresent(rsrPrefillSpeedup, forKey: .rsrPrefillSpeedup)
    }

    static let header = ["model", "kernel", "threads", "prompt", "prefill tok/s", "decode tok/s", "MB read per token", "read GB/s",
                         "bound tok/s", "decode of bound", "prefill / decode per token", "rsr decode speedup", "rsr prefill speedup"]

    var cells: [String] {
        [model, kernel, "\(threads)", "\(promptTokens)", String(format: "%.1f", prefillTokensPerSecond),
         String(format: "%.2f", decodeTokensPerSecond), String(format: "%.1f", bytesPerToken / 1e6),
         String(format: "%.1f", readBandwidth / 1e9), String(format: "%.2f", boundTokensPerSecond),
         String(format: "%.2f", fractionOfBound), String(format: "%.1f", prefillSpeedup),
         rsrDecodeSpeedup.map { String(format: "%.2f", $0) } ?? "", rsrPrefillSpeedup.map { String(format: "%.2f", $0) } ?? ""]
    }

    /// A Markdown table of rows.
    public static func markdown(_ rows: [GenerationBenchRow]) -> String {
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for r in rows {
            var c = r.cells
            c[9] = String(format: "%.0f%%", 100 * r.fractionOfBound)
            for i in [10, 11, 12] where !c[i].isEmpty { c[i] += "x" }
            lines.append("| " + c.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    public static func csv(_ rows: [GenerationBenchRow]) -> String {
        let columns = header.map { $0.replacingOccurrences(of: " / ", with: "_per_").replacingOccurrences(of: "/", with: "_per_")
            .replacingOccurrences(of: " ", with: "_").lowercased() }
        // RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled
        func field(_ s: String) -> String {
            s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([columns.joined(separator: ",")] + rows.map { $0.cells.map(field).joined(separator: ",") }).joined(separator: "\n")
    }
}
