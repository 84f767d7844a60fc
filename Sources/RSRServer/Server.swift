import Foundation
import Hummingbird
import NIOCore
import RSREngine
import RSRFormat
import RSRModel

/// OpenAI's HTTP API over an engine: chat and text completions (whole or streamed as server-sent events),
/// the model list, health and Prometheus metrics.
public struct OpenAIServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Requests (all but /health) must carry `Authorization: Bearer <key>` when set.
        public var apiKey: String?
        /// The name /v1/models lists and answers carry.
        public var modelID = "rsr"
        /// Request bodies larger than this are refused.
        public var maxBodyBytes = 4 << 20

        public init() {}
    }

    let engine: Engine
    let session: GenerationSession
    let options: Options
    let started = Int(Date().timeIntervalSince1970)

    public init(engine: Engine, session: GenerationSession, options: Options) {
        self.engine = engine
        self.session = session
        self.options = options
    }

    /// The HTTP application; `onRunning` hears the port it listens on. Stopping it (SIGTERM, SIGINT through
    /// `runService`) lets running requests end first; the engine is shut down by the caller.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        if let key = options.apiKey { router.add(middleware: APIKeyMiddleware(key: key)) }
        router.get("/health") { _, _ in health() }
        router.get("/v1/models") { _, _ in
            JSON.response(ModelList(data: [.init(id: options.modelID, created: started)]))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: PrometheusText.render(engine.metrics))))
        }
        router.post("/v1/chat/completions") { request, _ in await answer { try await chat(request) } }
        router.post("/v1/completions") { request, _ in await answer { try await complete(request) } }
        return Application(router: router, configuration: .init(address: .hostname(options.host, port: options.port), serverName: "rsr"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) })
    }

    private func health() -> Response {
        switch engine.phase {
        case .ready: JSON.response(["status": "ok"])
        case .loading: JSON.response(["status": "loading"], status: .serviceUnavailable)
        case .failed(let why): JSON.response(["status": "error", "message": why], status: .serviceUnavailable)
        case .stopped: JSON.response(["status": "stopped"], status: .serviceUnavailable)
        }
    }

    /// The handler's response, or its error in OpenAI's shape.
    private func answer(_ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError(error).response
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: options.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.invalid("the request body is larger than \(options.maxBodyBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw APIError.invalid("the request body is not valid JSON")
            }
            throw APIError.invalid(error.fieldDescription)
        }
    }

    private func chat(_ http: Request) async throws -> Response {
        let request = try await decode(ChatCompletionRequest.self, http)
        guard !request.messages.isEmpty else { throw APIError.invalid("messages is empty", param: "messages") }
        let roles = ["system", "user", "assistant", "developer"]
        var messages: [(role: String, content: String)] = []
        for (i, message) in request.messages.enumerated() {
            guard roles.contains(message.role) else {
                throw APIError.invalid("messages[\(i)].role \"\(message.role)\" is not one of system, user, assistant, developer",
                                       param: "messages[\(i)].role")
            }
            messages.append((role: message.role == "developer" ? "system" : message.role, content: message.content))
        }
        let prompt: [Int]
        do {
            prompt = try session.chatPrompt(messages: messages)
        } catch {
            throw APIError.invalid("the chat template cannot be applied: \(error)")
        }
        let (generation, stops, stream, includeUsage) = try GenerationFields(request.sampling, prompt: prompt, defaultMaxTokens: nil, server: self).parts
        let completion = try Completion.start(generation, stopStrings: stops, engine: engine, tokenizer: session.tokenizer)
        let id = "chatcmpl-" + Self.randomID(), created = Int(Date().timeIntervalSince1970), model = options.modelID
        guard stream else {
            let outcome = try await completion.run { _ in }
            return JSON.response(ChatCompletion(id: id, created: created, model: model,
                                                choices: [.init(message: .init(content: outcome.text), finishReason: outcome.finishReason)],
                                                usage: Usage(outcome.usage)))
        }
        return Self.eventStream { writer in
            func chunk(_ delta: ChatCompletionChunk.Delta, finish: String? = nil) -> ChatCompletionChunk {
                ChatCompletionChunk(id: id, created: created, model: model, choices: [.init(delta: delta, finishReason: finish)])
            }
            try await writer.write(JSON.event(chunk(.init(role: "assistant", content: ""))))
            let outcome = try await completion.run { piece in try await writer.write(JSON.event(chunk(.init(content: piece)))) }
            try await writer.write(JSON.event(chunk(.init(), finish: outcome.finishReason)))
            if includeUsage {
                try await writer.write(JSON.event(ChatCompletionChunk(id: id, created: created, model: model, choices: [], usage: Usage(outcome.usage))))
            }
        }
    }

    private func complete(_ http: Request) async throws -> Response {
        let request = try await decode(CompletionRequest.self, http)
        if request.echo == true { throw APIError.invalid("echo is not supported", param: "echo") }
        let prompt: [Int]
        switch request.prompt {
        case .text(let text):
            guard !text.isEmpty else { throw APIError.invalid("prompt is empty", param: "prompt") }
            do { prompt = try session.tokenizer.encode(text) } catch { throw APIError.invalid("the prompt cannot be tokenized: \(error)", param: "prompt") }
        case .tokens(let ids): prompt = ids
        }
        let (generation, stops, stream, includeUsage) = try GenerationFields(request.sampling, prompt: prompt, defaultMaxTokens: 16, server: self).parts
        let completion = try Completion.start(generation, stopStrings: stops, engine: engine, tokenizer: session.tokenizer)
        let id = "cmpl-" + Self.randomID(), created = Int(Date().timeIntervalSince1970), model = options.modelID
        guard stream else {
            let outcome = try await completion.run { _ in }
            return JSON.response(TextCompletion(id: id, created: created, model: model,
                                                choices: [.init(text: outcome.text, finishReason: outcome.finishReason)], usage: Usage(outcome.usage)))
        }
        return Self.eventStream { writer in
            let outcome = try await completion.run { piece in
                try await writer.write(JSON.event(TextCompletion(id: id, created: created, model: model, choices: [.init(text: piece)])))
            }
            try await writer.write(JSON.event(TextCompletion(id: id, created: created, model: model,
                                                             choices: [.init(text: "", finishReason: outcome.finishReason)],
                                                             usage: includeUsage ? Usage(outcome.usage) : nil)))
        }
    }

    /// A `text/event-stream` response: `body` writes the events, then `data: [DONE]` ends it. A write that
    /// fails (the client has gone) ends `body`, whose request is then cancelled.
    private static func eventStream(_ body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: .init { writer in
            try await body(&writer)
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        })
    }

    static func randomID() -> String {
        (0..<24).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement()!) }.joined()
    }
}

extension Usage {
    init(_ usage: GenerationUsage) {
        self.init(promptTokens: usage.promptTokens, completionTokens: usage.generatedTokens, cachedTokens: usage.cachedPromptTokens)
    }
}
