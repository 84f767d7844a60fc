import RSREngine

/// The engine's counters in Prometheus' text format. They are kept as one snapshot under the engine's lock;
/// writing the format from it takes these lines, where a metrics library would need each counter mirrored
/// into its registry.
enum PrometheusText {
    static func render(_ m: EngineMetrics) -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ value: some CustomStringConvertible, labels: String = "") {
            if !lines.contains("# TYPE rsr_\(name) \(type)") {
                lines.append("# HELP rsr_\(name) \(help)")
                lines.append("# TYPE rsr_\(name) \(type)")
            }
            lines.append("rsr_\(name)\(labels) \(value)")
        }
        for (outcome, value) in [("accepted", m.requestsAccepted), ("rejected", m.requestsRejected), ("finished", m.requestsFinished),
                                 ("failed", m.requestsFailed), ("cancelled", m.requestsCancelled)] {
            metric("requests_total", "counter", "Requests by outcome.", value, labels: "{outcome=\"\(outcome)\"}")
        }
        metric("prompt_tokens_total", "counter", "Prompt tokens prefilled.", m.promptTokens)
        metric("prompt_tokens_cached_total", "counter", "Prompt tokens found in the KV cache's pages instead of prefilled.", m.cachedPromptTokens)
        metric("generated_tokens_total", "counter", "Tokens generated.", m.generatedTokens)
        metric("queue_depth", "gauge", "Requests waiting for a sequence slot.", m.waiting)
        metric("active_sequences", "gauge", "Sequences prefilling or decoding.", m.active)
        metric("kv_pages_used", "gauge", "KV cache pages that running sequences hold.", m.kvPagesInUse)
        metric("kv_pages_cached", "gauge", "KV cache pages kept for their prompt prefix, held by no sequence.", m.kvPagesCached)
        metric("kv_pages", "gauge", "KV cache pages in all.", m.kvPages)
        metric("steps_total", "counter", "Batched model steps.", m.steps)
        metric("step_tokens_total", "counter", "Tokens (rows) run in all steps; over steps_total, the mean batch size.", m.stepRows)
        metric("step_sequences_total", "counter", "Sequences in all steps; over steps_total, the mean sequences per step.", m.stepSequences)
        metric("time_to_first_token_seconds_sum", "counter", "Seconds from submission to the first token, summed over requests.", m.secondsToFirstTokenSum)
        metric("time_to_first_token_seconds_count", "counter", "Requests that got a first token.", m.firstTokens)
        return lines.joined(separator: "\n") + "\n"
    }
}
