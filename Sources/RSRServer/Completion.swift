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
            throw APIError(error)
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
        var text: [UInt8] = []  // UTF-8; a stop string found in it is cut off
        var sent = 0            // bytes of text already emitted
        var generated = 0
        let stops = stopStrings.map { Array($0.utf8) }
        let longestStop = stops.map(\.count).max() ?? 0
        func flush(holdingBack holdback: Int) async throws {
            let end = text.count - holdback
            guard end > sent else { return }
            let piece = String(decoding: text[sent..<end], as: UTF8.self)
            sent = end
            try await emit(piece)
        }
        /// Appends decoded text; true when it completed a stop string (the text is then cut before it).
        func append(_ piece: String) -> Bool {
            let from = max(0, text.count - longestStop + 1)  // a stop string may begin in earlier text
            text += piece.utf8
            guard let cut = Self.firstMatch(of: stops, in: text, from: from) else { return false }
            text.removeLast(text.count - cut)
            return true
        }
        do {
            for await event in events {
                switch event {
                case .token(let token):
                    generated += 1
                    if append(decoder.append(token)) {
                        engine.cancel(id)  // its end is not awaited: it follows at the engine's next step
                        try await flush(holdingBack: 0)
                        outcome.text = String(decoding: text, as: UTF8.self)
                        outcome.finishReason = "stop"
                        outcome.usage.promptTokens = request.prompt.count
                        outcome.usage.generatedTokens = generated
                        return outcome
                    }
                    try await flush(holdingBack: Self.heldBack(text, stops))
                case .finished(let reason, let usage):
                    _ = append(decoder.finish())
                    try await flush(holdingBack: 0)
                    outcome.text = String(decoding: text, as: UTF8.self)
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

    /// Where the first of `needles` begins in `bytes` at or after `from`. UTF-8 needles only match at
    /// character boundaries (they begin with a lead byte, which no continuation byte equals).
    static func firstMatch(of needles: [[UInt8]], in bytes: [UInt8], from: Int) -> Int? {
        var best: Int?
        for needle in needles where needle.count <= bytes.count {
            var i = from
            while i + needle.count <= bytes.count && i < (best ?? Int.max) {
                if bytes[i] == needle[0] && bytes[i..<i + needle.count].elementsEqual(needle) {
                    best = i
                    break
                }
                i += 1
            }
        }
        return best
    }

    /// Bytes at the end of `text` that begin one of `stops`, and so may not be sent yet.
    static func heldBack(_ text: [UInt8], _ stops: [[UInt8]]) -> Int {
        var longest = 0
        for stop in stops {
            for k in stride(from: min(stop.count - 1, text.count), to: longest, by: -1) where text.suffix(k).elementsEqual(stop.prefix(k)) {
                longest = k
                break
            }
        }
        return longest
    }
}
