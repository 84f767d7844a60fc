import ChatTemplate
import Foundation
import RSRFormat
import RSRModel
import Tokenizers

/// A model file's tokenizer and chat template, and the tokens that end a reply.
package struct GenerationSession {
    package let file: ModelFile
    package let tokenizer: Tokenizer

    package init(file: ModelFile) throws {
        self.file = file
        var files: [String: [UInt8]] = [:]
        for name in Tokenizer.fileNames {
            if let data = file.file(name) { files[name] = Array(data) }
        }
        tokenizer = try Tokenizer(files: files)
    }

    /// The config's eos ids, the tokenizer's eos, and the end-of-turn tokens of the Llama 3 family.
    package var stopTokens: Set<Int> {
        var ids = Set(file.manifest.model.eosTokenIds)
        if let eos = tokenizer.eosTokenID { ids.insert(eos) }
        for token in ["<|eot_id|>", "<|end_of_text|>", "<|im_end|>"] {
            if let id = tokenizer.id(of: token) { ids.insert(id) }
        }
        return ids
    }

    /// The user's message (after an optional system message) in the model's chat template, tokenized as
    /// transformers' apply_chat_template does (the template writes the special tokens itself).
    func chatPrompt(user: String, system: String?) throws -> [Int] {
        guard let source = tokenizer.chatTemplate else {
            throw ModelError("\(file.path) has no chat template (tokenizer_config.json chat_template or chat_template.jinja); drop --chat")
        }
        let template = try ChatTemplate(source)
        var messages: [(role: String, content: String)] = []
        if let system { messages.append((role: "system", content: system)) }
        messages.append((role: "user", content: user))
        let text = try template.render(messages: messages, bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken,
                                       addGenerationPrompt: true)
        return try tokenizer.encode(text, addSpecialTokens: false)
    }
}
