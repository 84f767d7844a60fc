/// What tokenizer_config.json and special_tokens_map.json add to the pipeline: the names of BOS and EOS,
/// the chat template, and (for a bare tokenizer.model) whether BOS and EOS are added when encoding.
struct TokenizerConfig {
    var bosToken: String?
    var eosToken: String?
    var chatTemplate: String?
    var addBOSToken: Bool?
    var addEOSToken: Bool?

    init(tokenizerConfig: [UInt8]?, specialTokensMap: [UInt8]?, chatTemplateFile: [UInt8]?) throws(TokenizerError) {
        let config = try tokenizerConfig.map { (b) throws(TokenizerError) in try ConfigNode.parse(b, file: "tokenizer_config.json") }
        let map = try specialTokensMap.map { (b) throws(TokenizerError) in try ConfigNode.parse(b, file: "special_tokens_map.json") }
        let bosFromMap = try Self.token(map?["bos_token"]), eosFromMap = try Self.token(map?["eos_token"])
        bosToken = try Self.token(config?["bos_token"]) ?? bosFromMap
        eosToken = try Self.token(config?["eos_token"]) ?? eosFromMap
        addBOSToken = try config?["add_bos_token"]?.bool()
        addEOSToken = try config?["add_eos_token"]?.bool()
        if let template = config?["chat_template"] {
            chatTemplate = try Self.template(template)
        } else if let file = chatTemplateFile {
            guard let text = String(validating: file, as: UTF8.self) else {
                throw TokenizerError(file: "chat_template.jinja", "is not valid UTF-8")
            }
            chatTemplate = text
        }
    }

    /// A special token is written as a string or as an AddedToken object with `content`.
    private static func token(_ node: ConfigNode?) throws(TokenizerError) -> String? {
        guard let node else { return nil }
        if case .object = node.value { return try node.required("content").string() }
        return try node.string()
    }

    /// `chat_template` is a string, or a list of {"name", "template"} of which "default" is the one used.
    private static func template(_ node: ConfigNode) throws(TokenizerError) -> String? {
        if case .string(let text) = node.value { return text }
        for entry in try node.array() where try entry.required("name").string() == "default" {
            return try entry.required("template").string()
        }
        return nil
    }
}
