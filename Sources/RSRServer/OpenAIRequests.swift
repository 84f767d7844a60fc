/// The request bodies of OpenAI's API that rsr serves, decoded strictly where it matters (types, roles,
/// ranges) and leniently where clients differ (unknown fields are ignored, as OpenAI's own server does).

/// A string or a list of strings (`stop`).
enum StringOrList: Decodable, Equatable {
    case one(String)
    case many([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) { self = .one(one) } else { self = .many(try container.decode([String].self)) }
    }

    var list: [String] {
        switch self {
        case .one(let s): [s]
        case .many(let l): l
        }
    }
}

/// The sampling and length fields both endpoints share.
struct SamplingFields: Decodable {
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var seed: Int64?
    var stop: StringOrList?
    var stream: Bool?
    var n: Int?
    /// vLLM's and llama-server's extension for benchmarks: do not stop at end-of-sequence tokens.
    var ignoreEos: Bool?
    var streamOptions: StreamOptions?

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    enum CodingKeys: String, CodingKey {
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", temperature, topP = "top_p", seed, stop
        case stream, n, ignoreEos = "ignore_eos", streamOptions = "stream_options"
    }
}

/// POST /v1/chat/completions.
struct ChatCompletionRequest: Decodable {
    var model: String?
    var messages: [Message]
    var sampling: SamplingFields

    struct Message: Decodable {
        var role: String
        var content: String

        enum CodingKeys: String, CodingKey { case role, content }

        /// `content` as a string, or as a list of parts of which only text ones are accepted.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            role = try c.decode(String.self, forKey: .role)
            if let text = try? c.decode(String.self, forKey: .content) {
                content = text
            } else if try c.decodeNil(forKey: .content) {
                content = ""
            } else {
                let parts = try c.decode([Part].self, forKey: .content)
                content = try parts.map { part in
                    guard part.type == "text", let text = part.text else {
                        throw DecodingError.dataCorruptedError(forKey: .content, in: c,
                                                               debugDescription: "only text content parts are supported, not \(part.type)")
                    }
                    return text
                }.joined()
            }
        }

        struct Part: Decodable {
            var type: String
            var text: String?
        }
    }

    enum CodingKeys: String, CodingKey { case model, messages }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        messages = try c.decode([Message].self, forKey: .messages)
        sampling = try SamplingFields(from: decoder)
    }
}

/// POST /v1/completions: `prompt` is text or a list of token ids (one prompt; n = 1).
struct CompletionRequest: Decodable {
    var model: String?
    var prompt: Prompt
    var echo: Bool?
    var sampling: SamplingFields

    enum Prompt {
        case text(String)
        case tokens([Int])
    }

    enum CodingKeys: String, CodingKey { case model, prompt, echo }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo)
        if let text = try? c.decode(String.self, forKey: .prompt) {
            prompt = .text(text)
        } else if let texts = try? c.decode([String].self, forKey: .prompt), texts.count == 1 {
            prompt = .text(texts[0])
        } else if let ids = try? c.decode([Int].self, forKey: .prompt) {
            prompt = .tokens(ids)
        } else {
            throw DecodingError.dataCorruptedError(forKey: .prompt, in: c,
                                                   debugDescription: "expected a string, a list of one string, or a list of token ids")
        }
        sampling = try SamplingFields(from: decoder)
    }
}
