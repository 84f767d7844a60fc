/// Turns one pre-tokenized word into token ids (tokenizer.json's `model`).
protocol TokenizerModel: Sendable {
    /// Appends the ids of `word` to `ids`. `cache` belongs to one encode call, so the model itself stays
    /// immutable and shareable across threads without locks.
    func tokenize(_ word: [Unicode.Scalar], into ids: inout [Int], cache: inout WordCache)
    var vocabulary: Vocabulary { get }
}

/// The tokens of one encode call's words, so a word repeated in a long text is merged once, and the
/// merge buffers that the words share.
struct WordCache {
    var entries: [ByteKey: [Int]] = [:]
    var scratch = MergeScratch()

    /// Longer words are not worth keeping: they rarely repeat and would hold a lot of memory.
    static let maxWordLength = 256
    static let maxEntries = 200_000

    mutating func store(_ key: ByteKey, _ ids: [Int]) {
        if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
        entries[key] = ids
    }
}

/// A model's own token strings and ids, both ways.
struct Vocabulary: Sendable {
    var ids: [ByteKey: Int] = [:]
    var tokens: [Int: String] = [:]

    subscript(token: ByteKey) -> Int? { ids[token] }
    subscript(token: String) -> Int? { ids[ByteKey(token)] }
}

/// tokenizer.json's model `type` names.
enum ModelType: String, CaseIterable {
    case bpe = "BPE"
}

enum Models {
    /// Builds the model from tokenizer.json's `model` object. Unigram, WordPiece and WordLevel models are
    /// refused by name.
    static func make(_ node: ConfigNode) throws(TokenizerError) -> any TokenizerModel {
        // Files from early versions of `tokenizers` have no `type`; a BPE model is the one with merges.
        if node["type"] == nil, node["merges"] != nil { return try BPEModel(node) }
        switch try node.type(ModelType.self, stage: "model") {
        case .bpe: return try BPEModel(node)
        }
    }

    /// Reads a `vocab` object of token to id.
    static func vocabulary(_ node: ConfigNode) throws(TokenizerError) -> Vocabulary {
        var vocabulary = Vocabulary()
        let members = try node.members()
        vocabulary.ids.reserveCapacity(members.count)
        vocabulary.tokens.reserveCapacity(members.count)
        for (token, idNode) in members {
            let id = try idNode.int()
            vocabulary.ids[ByteKey(token)] = id
            vocabulary.tokens[id] = token
        }
        return vocabulary
    }
}
