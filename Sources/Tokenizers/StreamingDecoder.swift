/// Decodes token by token for streaming output. Each `append` returns the text that the new token
/// completes, and never half of a multi-byte UTF-8 character: while the decoded text ends in U+FFFD (an
/// incomplete character, as far as can be told yet), the text is held back until a later token completes
/// it or `finish` is called. It keeps a short window of ids rather than all of them, so each step costs
/// the same however long the output: the window is the tokens since the last emitted text, plus the
/// tokens of that text as context (decoders such as SentencePiece's strip the first space of a text, so
/// context is needed to decode a continuation the way the whole sequence decodes).
public struct StreamingDecoder {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var ids: [Int] = []
    /// Decoded text of `ids[..<prefixCount]`, already emitted.
    private var prefix: [UInt8] = []
    private var prefixCount = 0

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one token; returns the newly completed text (often empty while a character is incomplete).
    public mutating func append(_ id: Int) -> String {
        ids.append(id)
        // A byte-fallback piece (<0xNN>): the ByteFallback decoder turns a whole run of them that is not
        // UTF-8 into U+FFFD, the valid bytes in it too, so a run is held back until it ends.
        if let piece = tokenizer.token(for: id), Self.isBytePiece(piece) { return "" }
        let text = Array(tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens).utf8)
        // U+FFFD is EF BF BD in UTF-8.
        guard text.count > prefix.count, !text.suffix(3).elementsEqual([0xEF, 0xBF, 0xBD]) else { return "" }
        return emit(text)
    }

    /// Returns whatever is still held back (an incomplete character at the end decodes as U+FFFD) and
    /// starts over.
    public mutating func finish() -> String {
        defer {
            ids.removeAll()
            prefix.removeAll()
            prefixCount = 0
        }
        let text = Array(tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens).utf8)
        guard text.count > prefix.count else { return "" }
        return emit(text)
    }

    static func isBytePiece(_ piece: String) -> Bool {
        let u = Array(piece.utf8)
        return u.count == 6 && u.starts(with: Array("<0x".utf8)) && u[5] == UInt8(ascii: ">")
            && u[3...4].allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }
    }

    private mutating func emit(_ text: [UInt8]) -> String {
        let fresh: ArraySlice<UInt8>
        if text.starts(with: prefix) {
            fresh = text[prefix.count...]
        } else {
            // The context decoded differently once followed by more tokens; emit what follows the
            // longest common prefix, cut back to a character boundary.
            var common = zip(text, prefix).prefix { $0 == $1 }.count
            while common > 0, common < text.count, text[common] & 0xC0 == 0x80 { common -= 1 }
            fresh = text[common...]
        }
        // The emitted tokens become the context of the next step.
        ids.removeFirst(prefixCount)
        prefixCount = ids.count
        prefix = Array(tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens).utf8)
        return String(decoding: fresh, as: UTF8.self)
    }
}
