/// A token from tokenizer.json's `added_tokens`: matched in the text before anything else runs.
struct AddedToken: Sendable {
    var content: String
    var id: Int
    var special: Bool
    var singleWord = false
    var lstrip = false
    var rstrip = false
    /// Whether it is matched in normalized text (after the normalizer) rather than in the raw input.
    var normalized = false

    init(content: String, id: Int, special: Bool, normalized: Bool) {
        self.content = content
        self.id = id
        self.special = special
        self.normalized = normalized
    }

    init(_ node: ConfigNode) throws(TokenizerError) {
        content = try node.required("content").string()
        id = try node.required("id").int()
        special = try node.bool("special", default: false)
        singleWord = try node.bool("single_word", default: false)
        lstrip = try node.bool("lstrip", default: false)
        rstrip = try node.bool("rstrip", default: false)
        normalized = try node.bool("normalized", default: !special)
    }
}

/// One stretch of input after added tokens are cut out: text still to tokenize, or a finished token.
enum Segment {
    case text(TextPiece)
    case token(Int)
}

/// Finds added tokens in text as `tokenizers`' AddedVocabulary does: leftmost-longest matching (a trie
/// walked from each position, like its Aho-Corasick automaton), then `single_word` (the match is skipped
/// unless it is not inside a word), `lstrip` and `rstrip` (neighbouring whitespace joins the token).
struct AddedTokenMatcher: Sendable {
    private var children: [[Unicode.Scalar: Int32]] = [[:]]
    private var terminal: [Int32] = [-1]
    private var tokens: [AddedToken] = []
    /// Whether an ASCII scalar can begin a token; other scalars are looked up in the root.
    private var asciiStarts = [Bool](repeating: false, count: 128)

    var isEmpty: Bool { tokens.isEmpty }

    init(_ tokens: [AddedToken]) {
        for token in tokens where !token.content.isEmpty {
            var node = 0
            for s in token.content.unicodeScalars {
                if let child = children[node][s] {
                    node = Int(child)
                } else {
                    children.append([:])
                    terminal.append(-1)
                    children[node][s] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            // A repeated content keeps its first entry.
            if terminal[node] < 0 {
                terminal[node] = Int32(self.tokens.count)
                self.tokens.append(token)
            }
            if let first = token.content.unicodeScalars.first, first.value < 128 { asciiStarts[Int(first.value)] = true }
        }
    }

    /// The longest token starting at `i`: its index in `tokens` and its end.
    private func longestMatch(_ s: [Unicode.Scalar], at i: Int) -> (token: Int, end: Int)? {
        let first = s[i]
        if first.value < 128, !asciiStarts[Int(first.value)] { return nil }
        var node = 0
        var best: (Int, Int)?
        var j = i
        while j < s.count, let child = children[node][s[j]] {
            node = Int(child)
            j += 1
            if terminal[node] >= 0 { best = (Int(terminal[node]), j) }
        }
        return best
    }

    /// Cuts `piece` at the added tokens in it.
    func split(_ piece: TextPiece, into output: inout [Segment]) {
        let s = piece.scalars
        guard !tokens.isEmpty, !s.isEmpty else {
            if !s.isEmpty { output.append(.text(piece)) }
            return
        }
        var textStart = 0
        var i = 0
        while i < s.count {
            guard let (index, matchEnd) = longestMatch(s, at: i) else { i += 1; continue }
            let token = tokens[index]
            var start = i, stop = matchEnd
            // The scan goes on after the match whether or not it is used, as an Aho-Corasick iterator does.
            i = matchEnd
            if token.singleWord {
                let wordBefore = start > 0 && Scalars.isWordCharacter(s[start - 1])
                let wordAfter = stop < s.count && Scalars.isWordCharacter(s[stop])
                if wordBefore || wordAfter { continue }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0, Scalars.isWhitespace(s[newStart - 1]) { newStart -= 1 }
                start = max(newStart, textStart)
            }
            if token.rstrip {
                while stop < s.count, Scalars.isWhitespace(s[stop]) { stop += 1 }
            }
            if textStart < start { output.append(.text(piece.slice(textStart..<start))) }
            output.append(.token(token.id))
            textStart = max(textStart, stop)
        }
        if textStart < s.count { output.append(.text(piece.slice(textStart..<s.count))) }
    }
}
