/// The response bodies of OpenAI's API, as its clients decode them.

/// Token counts; `prompt_tokens_details.cached_tokens` counts the prompt tokens whose keys and values were
/// already in the cache (OpenAI's prompt caching field).
struct Usage: Encodable {
    let promptTokens: Int
    let completionTokens: Int
    let cachedTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
    }
    enum DetailKeys: String, CodingKey { case cachedTokens = "cached_tokens" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
        var details = c.nestedContainer(keyedBy: DetailKeys.self, forKey: .promptTokensDetails)
        try details.encode(cachedTokens, forKey: .cachedTokens)
    }
}

struct ChatCompletion: Encodable {
    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage

    struct Choice: Encodable {
        let index = 0
        let message: Message
        let finishReason: String
        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }
    }

    struct Message: Encodable {
        let role = "assistant"
        let content: String
    }
}

struct ChatCompletionChunk: Encodable {
    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let choices: [Choice]
    var usage: Usage?

    struct Choice: Encodable {
        let index = 0
        let delta: Delta
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }
    }

    struct Delta: Encodable {
        var role: String?
        var content: String?
    }
}

struct TextCompletion: Encodable {
    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let choices: [Choice]
    var usage: Usage?

    struct Choice: Encodable {
        let text: String
        let index = 0
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case text, index, finishReason = "finish_reason" }
    }
}

struct ModelList: Encodable {
    let object = "list"
    let data: [Model]

    struct Model: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let ownedBy = "rsr"
        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
    }
}
