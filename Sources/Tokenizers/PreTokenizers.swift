/// A stretch of text between added tokens, as it moves through normalisation and pre-tokenisation.
struct TextPiece {
    var scalars: [Unicode.Scalar]
    /// Whether the piece begins at the very start of the input (Metaspace's `prepend_scheme: "first"`).
    var atStart: Bool

    func slice(_ range: Range<Int>) -> TextPiece {
        TextPiece(scalars: Array(scalars[range]), atStart: atStart && range.lowerBound == 0)
    }
}

/// Cuts text into the words that the model tokenizes one by one (tokenizer.json's `pre_tokenizer`).
protocol PreTokenizer: Sendable {
    /// Appends the pieces of `piece` to `output`; empty pieces are never appended.
    func preTokenize(_ piece: TextPiece, into output: inout [TextPiece]) throws(TokenizerError)
}

/// tokenizer.json's pre-tokenizer `type` names.
enum PreTokenizerType: String, CaseIterable {
    case sequence = "Sequence"
    case split = "Split"
    case byteLevel = "ByteLevel"
    case metaspace = "Metaspace"
    case digits = "Digits"
    case whitespace = "Whitespace"
    case whitespaceSplit = "WhitespaceSplit"
    case punctuation = "Punctuation"
}

enum PreTokenizers {
    /// Builds a pre-tokenizer from its tokenizer.json object; throws on an unknown type or a bad field.
    static func make(_ node: ConfigNode) throws(TokenizerError) -> any PreTokenizer {
        switch try node.type(PreTokenizerType.self, stage: "pre-tokenizer") {
        case .sequence:
            return SequencePreTokenizer(steps: try node.required("pretokenizers").array().map { (n) throws(TokenizerError) in try make(n) })
        case .split:
            let behavior = try node.required("behavior").string()
            guard let kind = SplitBehavior(rawValue: behavior) else {
                throw node.fail("unsupported split behavior '\(behavior)'")
            }
            return SplitPreTokenizer(pattern: try SplitPattern(node.required("pattern")), behavior: kind,
                                     invert: try node.bool("invert", default: false))
        case .byteLevel:
            return ByteLevelPreTokenizer(addPrefixSpace: try node.bool("add_prefix_space", default: true),
                                         useRegex: try node.bool("use_regex", default: true))
        case .metaspace:
            return try MetaspacePreTokenizer(node)
        case .digits:
            return CharacterClassPreTokenizer(kind: try node.bool("individual_digits", default: false) ? .eachDigit : .digitRuns)
        case .whitespace:
            return CharacterClassPreTokenizer(kind: .wordsAndPunctuation)
        case .whitespaceSplit:
            return CharacterClassPreTokenizer(kind: .whitespaceSplit)
        case .punctuation:
            let behavior = try node.string("behavior") ?? "Isolated"
            guard let kind = SplitBehavior(rawValue: behavior) else { throw node.fail("unsupported split behavior '\(behavior)'") }
            return CharacterClassPreTokenizer(kind: .punctuation(kind))
        }
    }
}

struct SequencePreTokenizer: PreTokenizer {
    let steps: [any PreTokenizer]

    func preTokenize(_ piece: TextPiece, into output: inout [TextPiece]) throws(TokenizerError) {
        var current = [piece]
        for step in steps {
            var next: [TextPiece] = []
            next.reserveCapacity(current.count)
            for p in current { try step.preTokenize(p, into: &next) }
            current = next
        }
        output.append(contentsOf: current.filter { !$0.scalars.isEmpty })
    }
}

/// `Split`: cuts at the matches of a pattern, keeping or merging the delimiters as `behavior` says.
struct SplitPreTokenizer: PreTokenizer {
    let pattern: SplitPattern
    let behavior: SplitBehavior
    let invert: Bool

    func preTokenize(_ piece: TextPiece, into output: inout [TextPiece]) throws(TokenizerError) {
        let matches = try pattern.matches(in: piece.scalars)
        for range in behavior.pieces(count: piece.scalars.count, matches: matches, invert: invert) {
            output.append(piece.slice(range))
        }
    }
}

/// `ByteLevel`: optionally a leading space and the GPT-2 split, then every UTF-8 byte spelled as one
/// character of the byte-level alphabet.
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool

    func preTokenize(_ piece: TextPiece, into output: inout [TextPiece]) {
        var piece = piece
        if addPrefixSpace, piece.scalars.first != " " { piece.scalars.insert(" ", at: 0) }
        guard useRegex else {
            if !piece.scalars.isEmpty { output.append(TextPiece(scalars: ByteLevelAlphabet.encode(piece.scalars), atStart: piece.atStart)) }
            return
        }
        let ranges = SplitBehavior.isolated.pieces(count: piece.scalars.count, matches: PatternScanner.gpt2.matches(in: piece.scalars))
        for range in ranges {
            output.append(TextPiece(scalars: ByteLevelAlphabet.encode(Array(piece.scalars[range])),
                                    atStart: piece.atStart && range.lowerBound == 0))
        }
    }
}

/// `Metaspace`: spaces become the replacement character (normally "▁"), one is prepended as
/// `prepend_scheme` says, and the text is split before each replacement character.
struct MetaspacePreTokenizer: PreTokenizer {
    enum PrependScheme: String { case always, never, first }
    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme
    let split: Bool

    init(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
    }

    init(_ node: ConfigNode) throws(TokenizerError) {
        replacement = try Self.replacement(node)
        if let scheme = node["prepend_scheme"] {
            let name = try scheme.string()
            guard let value = PrependScheme(rawValue: name) else { throw scheme.fail("expected always, never or first, found '\(name)'") }
            prependScheme = value
        } else {
            // Files written before prepend_scheme existed say add_prefix_space instead.
            prependScheme = try node.bool("add_prefix_space", default: true) ? .always : .never
        }
        split = try node.bool("split", default: true)
    }

    /// The one-character `replacement` (older files call it `str_rep`).
    static func replacement(_ node: ConfigNode) throws(TokenizerError) -> Unicode.Scalar {
        guard let field = node["replacement"] ?? node["str_rep"] else { return "\u{2581}" }
        let text = try field.string()
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw field.fail("expected a single character, found '\(text)'")
        }
        return scalar
    }

    func preTokenize(_ piece: TextPiece, into output: inout [TextPiece]) {
        var piece = piece
        for i in piece.scalars.indices where piece.scalars[i] == " " { piece.scalars[i] = replacement }
        let prepend: Bool
        switch prependScheme {
        case .always: prepend = piece.scalars.first != replacement
        case .first: prepend = piece.scalars.first != replacement && piece.atStart
        case .never: prepend = false
        }
        if prepend { piece.scalars.insert(replacement, at: 0) }
        guard split else {
            if !piece.scalars.isEmpty { output.append(piece) }
            return
        }
        let matches = piece.scalars.indices.filter { piece.scalars[$0] == replacement }.map { $0..<$0 + 1 }
        for range in SplitBehavior.mergedWithNext.pieces(count: piece.scalars.count, matches: matches) {
            output.append(piece.slice(range))
        }
    }
}

/// The pre-tokenizers that split on a character class: `Digits`, `Whitespace`, `WhitespaceSplit`, `Punctuation`.
struct CharacterClassPreTokenizer: PreTokenizer {
    enum Kind {
        case eachDigit, digitRuns
        /// `Whitespace`: runs of `\w` and runs of other non-space characters; whitespace is dropped.
        case wordsAndPunctuation
        case whitespaceSplit
        case punctuation(SplitBehavior)
    }
    let kind: Kind

    func preTokenize(_ piece: TextPiece, into output: inout [TextPiece]) {
        let s = piece.scalars
        let ranges: [Range<Int>]
        switch kind {
        case .eachDigit:
            ranges = SplitBehavior.isolated.pieces(count: s.count, matches: Self.each(s, Scalars.isNumber))
        case .digitRuns:
            ranges = SplitBehavior.contiguous.pieces(count: s.count, matches: Self.each(s, Scalars.isNumber))
        case .whitespaceSplit:
            ranges = SplitBehavior.removed.pieces(count: s.count, matches: Self.each(s, Scalars.isWhitespace))
        case .punctuation(let behavior):
            ranges = behavior.pieces(count: s.count, matches: Self.each(s, Scalars.isPunctuation))
        case .wordsAndPunctuation:
            // `\w+|[^\w\s]+`, inverted and removed: the matches are kept, the whitespace between them dropped.
            var runs: [Range<Int>] = []
            var i = 0
            while i < s.count {
                if Scalars.isWhitespace(s[i]) && !Scalars.isWordCharacter(s[i]) { i += 1; continue }
                let word = Scalars.isWordCharacter(s[i])
                var j = i + 1
                while j < s.count, Scalars.isWordCharacter(s[j]) == word, word || !Scalars.isWhitespace(s[j]) { j += 1 }
                runs.append(i..<j)
                i = j
            }
            ranges = runs
        }
        for range in ranges { output.append(piece.slice(range)) }
    }

    /// Every character that satisfies `test`, as a one-character match.
    private static func each(_ s: [Unicode.Scalar], _ test: (Unicode.Scalar) -> Bool) -> [Range<Int>] {
        s.indices.filter { test(s[$0]) }.map { $0..<$0 + 1 }
    }
}
