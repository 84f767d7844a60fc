import ChatTemplate
import FuzzSupport

/// A chat template (Jinja, from tokenizer_config.json or chat_template.jinja) parsed, then rendered with
/// fixed messages, with and without the generation prompt. The input is the template's text.
@main enum FuzzChatTemplate {
    static let messages: [(role: String, content: String)] = [
        (role: "system", content: "You are a helpful assistant."),
        (role: "user", content: "Hello! {{ not a template }} {% raw %}"),
        (role: "assistant", content: "Hi. <|eot_id|>"),
        (role: "user", content: "What is 2 + 2?"),
    ]

    static func main() {
        FuzzDriver.run { input in
            let template = try ChatTemplate(String(decoding: input, as: UTF8.self))
            _ = try template.render(messages: messages, bosToken: "<s>", eosToken: "</s>", addGenerationPrompt: true)
            _ = try template.render(messages: Array(messages.prefix(2)), bosToken: nil, eosToken: nil, addGenerationPrompt: false,
                                    extra: ["tools": .array([.object([("name", .string("f")), ("parameters", .object([]))])])])
        }
    }
}
