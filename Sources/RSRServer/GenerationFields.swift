import RSREngine
import RSRModel

/// The fields both endpoints share, checked and turned into an engine request.
struct GenerationFields {
    let parts: (request: GenerationRequest, stopStrings: [String], stream: Bool, includeUsage: Bool)
    static let longestStop = 256

    /// `defaultMaxTokens`: what max_tokens is when absent (nil: as many as the context leaves, OpenAI's
    /// chat default).
    init(_ f: SamplingFields, prompt: [Int], defaultMaxTokens: Int?, server: OpenAIServer) throws {
        if let n = f.n, n != 1 { throw APIError.invalid("n must be 1 (one choice per request)", param: "n") }
        var sampling = SamplingOptions()
        let temperature = f.temperature ?? 1
        guard temperature >= 0 && temperature <= 2 else { throw APIError.invalid("temperature must be between 0 and 2", param: "temperature") }
        if temperature == 0 {
            sampling.greedy = true
        } else {
            sampling.greedy = false
            sampling.temperature = Float(temperature)
        }
        if let p = f.topP {
            guard p > 0 && p <= 1 else { throw APIError.invalid("top_p must be in (0, 1]", param: "top_p") }
            sampling.topP = Float(p)
        }
        sampling.seed = f.seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64.max)
        let stops = f.stop?.list ?? []
        // bounded, since each new token is checked against every stop string's prefixes
        guard stops.count <= 4, stops.allSatisfy({ (1...Self.longestStop).contains($0.utf8.count) }) else {
            throw APIError.invalid("stop takes up to 4 non-empty strings of at most \(Self.longestStop) bytes", param: "stop")
        }
        let maxTokens = f.maxCompletionTokens ?? f.maxTokens ?? defaultMaxTokens ?? Int.max  // the context window ends it
        guard maxTokens >= 0 else { throw APIError.invalid("max_tokens must not be negative", param: "max_tokens") }
        let request = GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling,
                                        stopTokens: f.ignoreEos == true ? [] : server.session.stopTokens)
        parts = (request, stops, f.stream ?? false, f.streamOptions?.includeUsage ?? false)
    }
}
