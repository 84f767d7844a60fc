import FileIO

/// A Hugging Face tokenizer: tokenizer.json's pipeline (added tokens, normalizer, pre-tokenizer, model,
/// post-processor, decoder), or a SentencePiece `tokenizer.model` when that is all a repository ships.
/// Token ids match Hugging Face `tokenizers` exactly for the supported stages. Immutable after init, so
/// one instance can serve many threads.
public final class Tokenizer: @unchecked Sendable {
    private let pipeline: Pipeline
    /// Tokens cut out of raw text, and those matched after normalization.
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let addedByID: [Int: AddedToken]
    private let addedByContent: [ByteKey: Int]

    public let bosToken: String?
    public let eosToken: String?
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    /// Ids of the added tokens marked special: what `skipSpecialTokens` leaves out.
    public let specialTokenIDs: Set<Int>
    /// tokenizer_config.json's `chat_template` (the "default" one when it lists several), else chat_template.jinja.
    public let chatTemplate: String?
    /// One more than the largest token id of the model and the added tokens: the embedding rows it needs.
    public let vocabularySize: Int

    /// The files a tokenizer may be read from, in the order they are consulted.
    public static let fileNames = ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"]

    /// From the files of a model directory or model file: keys are file names ("tokenizer.json",
    /// "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "chat_template.jinja"),
    /// values their bytes. Uses tokenizer.json when present, else tokenizer.model (SentencePiece protobuf).
    public init(files: [String: [UInt8]]) throws {
        let config = try TokenizerConfig(tokenizerConfig: files["tokenizer_config.json"],
                                         specialTokensMap: files["special_tokens_map.json"],
                                         chatTemplateFile: files["chat_template.jinja"])
        let pipeline: Pipeline
        if let json = files["tokenizer.json"] {
            pipeline = try Pipeline(tokenizerJSON: json)
        } else if let model = files["tokenizer.model"] {
            pipeline = try SentencePieceModel(bytes: model).pipeline(addBOS: config.addBOSToken ?? true, addEOS: config.addEOSToken ?? false)
        } else {
            throw TokenizerError(file: "tokenizer.json", "not found, and there is no tokenizer.model either")
        }
        self.pipeline = pipeline
        // Tokens matched in normalized text are looked for in their own normalized form, and (as upstream)
        // that form is also their text when decoding; `id(of:)` still takes the form the file gives.
        let normalizedForm = try pipeline.addedTokens.map { token in
            var token = token
            if token.normalized, let normalizer = pipeline.normalizer {
                token.content = Scalars.string(try normalizer.normalize(Array(token.content.unicodeScalars)))
            }
            return token
        }
        rawMatcher = AddedTokenMatcher(normalizedForm.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(normalizedForm.filter(\.normalized))
        var byID: [Int: AddedToken] = [:], byContent: [ByteKey: Int] = [:]
        for (token, normalized) in zip(pipeline.addedTokens, normalizedForm) {
            byID[token.id] = normalized
            byContent[ByteKey(token.content)] = token.id
        }
        addedByID = byID
        addedByContent = byContent
        specialTokenIDs = Set(pipeline.addedTokens.filter(\.special).map(\.id))
        vocabularySize = max(pipeline.model.vocabulary.tokens.keys.max() ?? -1, pipeline.addedTokens.map(\.id).max() ?? -1) + 1

        bosToken = config.bosToken ?? pipeline.defaultBOS
        eosToken = config.eosToken ?? pipeline.defaultEOS
        chatTemplate = config.chatTemplate
        bosTokenID = bosToken.flatMap { byContent[ByteKey($0)] ?? pipeline.model.vocabulary[$0] }
        eosTokenID = eosToken.flatMap { byContent[ByteKey($0)] ?? pipeline.model.vocabulary[$0] }
    }

    /// Reads the tokenizer files of a model directory (see `fileNames`).
    public convenience init(directory: String) throws {
        guard Path.isDirectory(directory) else { throw TokenizerError(file: directory, "is not a directory") }
        var files: [String: [UInt8]] = [:]
        for name in Self.fileNames {
            let path = Path.join(directory, name)
            guard Path.exists(path) else { continue }
            guard let bytes = Path.read(path) else { throw TokenizerError(file: path, "cannot be read") }
            files[name] = bytes
        }
        do {
            try self.init(files: files)
        } catch let error as TokenizerError {
            // Name the file by its full path.
            throw TokenizerError(file: Path.join(directory, error.file), field: error.field, error.problem)
        }
    }

    /// Token ids of `text`; with `addSpecialTokens`, the post-processor adds the model's special tokens
    /// (BOS for Llama). Special-token text inside `text` is recognised as those tokens. Throws only when a
    /// regex of the tokenizer file runs past its time budget on `text`.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws(TokenizerError) -> [Int] {
        var segments: [Segment] = []
        rawMatcher.split(TextPiece(scalars: Array(text.unicodeScalars), atStart: true), into: &segments)
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3)
        var cache = WordCache()
        var words: [TextPiece] = []
        for segment in segments {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(var piece):
                if let normalizer = pipeline.normalizer { piece.scalars = try normalizer.normalize(piece.scalars) }
                var inner: [Segment] = []
                normalizedMatcher.split(piece, into: &inner)
                for part in inner {
                    switch part {
                    case .token(let id):
                        ids.append(id)
                    case .text(let piece):
                        words.removeAll(keepingCapacity: true)
                        if let preTokenizer = pipeline.preTokenizer {
                            try preTokenizer.preTokenize(piece, into: &words)
                        } else {
                            words.append(piece)
                        }
                        for word in words { pipeline.model.tokenize(word.scalars, into: &ids, cache: &cache) }
                    }
                }
            }
        }
        if addSpecialTokens, let postProcessor = pipeline.postProcessor { ids = postProcessor.process(ids) }
        return ids
    }

    /// Text of `ids` through the decoder; ids that are not tokens are skipped, and so are special
    /// tokens with `skipSpecialTokens`. Bytes that are not valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens, specialTokenIDs.contains(id) { continue }
            if let token = token(for: id) { tokens.append(token) }
        }
        return Decoders.decode(tokens, with: pipeline.decoder)
    }

    /// The id of a token string (added tokens first, then the model's vocabulary).
    public func id(of token: String) -> Int? {
        addedByContent[ByteKey(token)] ?? pipeline.model.vocabulary[token]
    }

    /// The token string of an id, as the vocabulary spells it (byte-level tokens in the GPT-2 alphabet).
    public func token(for id: Int) -> String? {
        addedByID[id]?.content ?? pipeline.model.vocabulary.tokens[id]
    }
}

/// The stages of a tokenizer, however they were read.
struct Pipeline {
    var addedTokens: [AddedToken] = []
    var normalizer: (any Normalizer)?
    var preTokenizer: (any PreTokenizer)?
    var model: any TokenizerModel
    var postProcessor: (any PostProcessor)?
    var decoder: (any Decoder)?
    /// BOS and EOS named by the model file itself (SentencePiece), used when no config names them.
    var defaultBOS: String?
    var defaultEOS: String?

    init(model: any TokenizerModel) { self.model = model }

    init(tokenizerJSON bytes: [UInt8]) throws(TokenizerError) {
        let root = try ConfigNode.parse(bytes, file: "tokenizer.json")
        guard case .object = root.value else { throw root.fail("expected a JSON object at the top level") }
        model = try Models.make(root.required("model"))
        addedTokens = try root["added_tokens"]?.array().map { (n) throws(TokenizerError) in try AddedToken(n) } ?? []
        normalizer = try root["normalizer"].map { (n) throws(TokenizerError) in try Normalizers.make(n) }
        preTokenizer = try root["pre_tokenizer"].map { (n) throws(TokenizerError) in try PreTokenizers.make(n) }
        postProcessor = try root["post_processor"].map { (n) throws(TokenizerError) in try PostProcessors.make(n) }
        decoder = try root["decoder"].map { (n) throws(TokenizerError) in try Decoders.make(n) }
    }
}
