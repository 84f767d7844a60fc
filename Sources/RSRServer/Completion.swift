import Foundation
import RSREngine
import RSRModel
import Tokenizers

/// One request's run through the engine as text: tokens decoded as they come, stop strings found across
/// token boundaries (text that might begin one is held back until it cannot), and the finish reason.
/// `start` queues it, so that a full queue or an impossible request is answered before any response begins.
struct Completion: Sendable {
    let engine: Engine
    let tokenizer: Tokenizer
    let request: GenerationRequest
    let stopStrings: [String]
    private let events: AsyncStream<GenerationEvent>
    private let id: UInt64

    struct Outcome {
        var text = ""
        var finishReason = "stop"
        var usage = GenerationUsage()
    }

    static func start(_ request: GenerationRequest, stopStrings: [String], engine: Engine, tokenizer: Tokenizer) throws -> Completion {
        let (events, continuation) = AsyncStream<GenerationEvent>.makeStream()
        let id: UInt64
        do {
            id = try engine.submit(request) { event in
                continuation.yield(event)
                if case .token = event { return }
                continuation.finish()
            }
        } catch {
            throw apiError(error)
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination { engine.cancel(id) }
        }
        return Completion(engine: engine, tokenizer: tokenizer, request: request, stopStrings: stopStrings, events: events, id: id)
    }

    /// Runs the request, handing each piece of text that is final to `emit` (which may throw, for example
    /// when the client has gone: the request is then cancelled). Returns the whole text and how it ended.
    func run(emit: (String) async throws -> Void) async throws -> Outcome {
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var outcome = Outcome()
        var sent = 0  // UTF-8 bytes of outcome.text already emitted
        var generated = 0
        func flush(holdingBack holdback: Int) async throws {
            let end = outcome.text.utf8.count - holdback
            guard end > sent else { return }
            let piece = String(decoding: Array(outcome.text.utf8)[sent..<end], as: UTF8.self)
            sent = end
            try await emit(piece)
        }
        do {
            for await event in events {
                switch event {
                case .token(let token):
                    generated += 1
                    outcome.text += decoder.append(token)
                    if let cut = earliestStop(in: outcome.text) {
                        outcome.text = String(outcome.text[..<cut])
                        engine.cancel(id)
                        try await flush(holdingBack: 0)
                        outcome.finishReason = "stop"
                        outcome.usage.promptTokens = request.prompt.count
                        outcome.usage.generatedTokens = generated
                        return outcome  // the engine's own end is not awaited: it follows at its next step
                    }
                    try await flush(holdingBack: heldBack(outcome.text))
                case .finished(let reason, let usage):
                    outcome.text += decoder.finish()
                    if let cut = earliestStop(in: outcome.text) { outcome.text = String(outcome.text[..<cut]) }
                    try await flush(holdingBack: 0)
                    outcome.finishReason = reason == .length || reason == .contextFull ? "length" : "stop"
                    outcome.usage = usage
                    return outcome
                case .failed(let message):
                    throw APIError(status: .internalServerError, message: "generation failed: \(message)", type: "server_error")
                }
            }
        } catch {
            engine.cancel(id)
            throw error
        }
        throw APIError(status: .internalServerError, message: "generation ended without a result", type: "server_error")
    }

    /// Where the first stop string begins in `text`, if one occurs.
    private func earliestStop(in text: String) -> String.Index? {
        stopStrings.compactMap { text.range(of: $0)?.lowerBound }.min()
    }

    /// UTF-8 bytes at the end of `text` that begin some stop string, and so may not be sent yet.
    private func heldBack(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        var longest = 0
        for stop in stopStrings {
            let s = Array(stop.utf8)
            for k in stride(from: min(s.count - 1, bytes.count), to: longest, by: -1) where bytes.suffix(k).elementsEqual(s.prefix(k)) {
                longest = k
                break
            }
        }
        return longest
    }

    static func apiError(_ error: any Error) -> APIError {
        switch error as? EngineError {
        case .queueFull(let waiting):
            var e = APIError(status: .tooManyRequests, message: "the server is busy: \(waiting) requests are waiting", type: "rate_limit_error")
            e.retryAfter = 1
            return e
        case .unavailable(let why):
            var e = APIError(status: .serviceUnavailable, message: why, type: "server_error")
            e.retryAfter = 1
            return e
        case .invalid(let why):
            return .invalid(why)
        case nil:
            return APIError(status: .internalServerError, message: "\(error)", type: "server_error")
        }
    }
}
