import ChatTemplate
import Foundation
import RSRFormat
import RSRModel
import Tokenizers

/// A model file's text side: its tokenizer, its chat template and the tokens that end a reply.
public struct GenerationSession: Sendable {
    /// The model file's path, for messages.
    public let path: String
    public let tokenizer: Tokenizer
    /// The config's eos ids, the tokenizer's eos, and the end-of-turn tokens of the Llama 3 and ChatML families.
    public let stopTokens: Set<Int>
    private let template: Result<ChatTemplate, ChatTemplateProblem>?

    struct ChatTemplateProblem: Error { let message: String }

    public init(file: ModelFile) throws {
        path = file.path
        var files: [String: [UInt8]] = [:]
        for name in Tokenizer.fileNames {
            if let data = file.file(name) { files[name] = Array(data) }
        }
        tokenizer = try Tokenizer(files: files)
        var ids = Set(file.manifest.model.eosTokenIds)
        if let eos = tokenizer.eosTokenID { ids.insert(eos) }
        for token in ["<|eot_id|>", "<|end_of_text|>", "<|im_end|>"] {
            if let id = tokenizer.id(of: token) { ids.insert(id) }
        }
        stopTokens = ids
        template = tokenizer.chatTemplate.map { source in
            Result { try ChatTemplate(source) }.mapError { ChatTemplateProblem(message: "\($0)") }
        }
    }

    /// Whether the model has a chat template.
    public var hasChatTemplate: Bool { template != nil }

    /// `messages` in the model's chat template, with the assistant's turn opened, tokenized as
    /// transformers' apply_chat_template does (the template writes the special tokens itself).
    public func chatPrompt(messages: [(role: String, content: String)]) throws -> [Int] {
        guard let template else {
            throw ModelError("\(path) has no chat template (tokenizer_config.json chat_template or chat_template.jinja)")
        }
        let text = try template.get().render(messages: messages, bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken,
                                             addGenerationPrompt: true)
        return try tokenizer.encode(text, addSpecialTokens: false)
    }

    /// The user's message after an optional system message, as `chatPrompt(messages:)` writes it.
    public func chatPrompt(user: String, system: String?) throws -> [Int] {
        var messages: [(role: String, content: String)] = []
        if let system { messages.append((role: "system", content: system)) }
        messages.append((role: "user", content: user))
        return try chatPrompt(messages: messages)
    }
}
