/// SentencePiece's BPE encoding (bpe_model.cc): the text starts as one symbol per character, with
/// user-defined pieces matched first as frozen symbols; then the adjacent pair whose concatenation is a
/// piece with the highest score is merged, the leftmost on ties, until none is. Pieces of type UNUSED
/// are split back into the halves they were made from; characters that end up in no piece become their
/// UTF-8 bytes as `<0xXX>` pieces (byte fallback) or the unknown piece, consecutive unknowns fused.
final class SentencePieceBPEModel: TokenizerModel {
    let vocabulary: Vocabulary
    private let pieceCount: Int
    private let unkID: Int
    private let byteFallback: Bool
    private let unused: [Bool]
    /// Symbol ids of single characters: their piece, or an id past the pieces for a character that only
    /// occurs inside longer pieces (it can be merged but is not a token by itself).
    private let characterIDs: CharacterTable
    /// (left symbol, right symbol) packed in 64 bits, to the merged piece and its score.
    private let merges: PairTable<Merge>
    private let userDefined: AddedTokenMatcher
    private let byteIDs: [Int32?]

    struct Merge {
        let id: Int32
        /// The score mapped so that a smaller value is a better merge (for `MergeQueue`).
        let priority: UInt32
    }

    init(_ model: SentencePieceModel) throws(TokenizerError) {
        var vocabulary = Vocabulary()
        // Pieces that take part in merging, as SentencePiece's `pieces_` map: normal, user-defined, unused.
        var mergeable: [ByteKey: Int] = [:]
        for (id, piece) in model.pieces.enumerated() {
            let key = ByteKey(piece.text)
            // The first of duplicate pieces keeps the text, as SentencePiece refuses duplicates anyway.
            if vocabulary.ids[key] == nil { vocabulary.ids[key] = id }
            vocabulary.tokens[id] = piece.text
            switch piece.type {
            case .normal, .userDefined, .unused: if mergeable[key] == nil { mergeable[key] = id }
            default: break
            }
        }
        self.vocabulary = vocabulary
        pieceCount = model.pieces.count
        unkID = model.unkID
        byteFallback = model.byteFallback
        unused = model.pieces.map { $0.type == .unused }
        byteIDs = (0..<256).map { byte in
            let id = vocabulary[BPEModel.byteToken(UInt8(byte))]
            return id.flatMap { model.pieces[$0].type == .byte ? Int32($0) : nil }
        }
        userDefined = AddedTokenMatcher(model.pieces.enumerated().compactMap { id, piece in
            piece.type == .userDefined ? AddedToken(content: piece.text, id: id, special: false, normalized: false) : nil
        })

        var characterIDs: [Unicode.Scalar: Int32] = [:]
        for (key, id) in mergeable {
            let scalars = key.string.unicodeScalars
            if scalars.count == 1, let s = scalars.first { characterIDs[s] = Int32(id) }
        }
        var nextPseudo = Int32(model.pieces.count)
        for key in mergeable.keys {
            for s in key.string.unicodeScalars where characterIDs[s] == nil {
                characterIDs[s] = nextPseudo
                nextPseudo += 1
            }
        }
        self.characterIDs = CharacterTable(characterIDs)

        // Every way of cutting a mergeable piece in two whose halves are symbols gives a merge rule.
        var merges: [UInt64: Merge] = [:]
        func symbolID(_ scalars: ArraySlice<Unicode.Scalar>) -> Int32? {
            if scalars.count == 1, let s = scalars.first { return characterIDs[s] }
            return mergeable[ByteKey(scalars)].map { Int32($0) }
        }
        for (key, id) in mergeable {
            let scalars = Array(key.string.unicodeScalars)
            guard scalars.count >= 2 else { continue }
            let priority = Self.priority(model.pieces[id].score)
            for cut in 1..<scalars.count {
                guard let left = symbolID(scalars[..<cut]), let right = symbolID(scalars[cut...]) else { continue }
                merges[Self.pair(left, right)] = Merge(id: Int32(id), priority: priority)
            }
        }
        self.merges = PairTable(merges)
    }

    /// Orders scores from highest to lowest as unsigned integers.
    private static func priority(_ score: Float) -> UInt32 {
        let bits = score.bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return ~ascending
    }

    @inline(__always) private static func pair(_ a: Int32, _ b: Int32) -> UInt64 { PairTable<Merge>.pair(a, b) }

    func tokenize(_ word: [Unicode.Scalar], into ids: inout [Int], cache: inout WordCache) {
        guard !word.isEmpty else { return }
        // Symbols: a scalar range of the word each, a symbol id (-1: a character in no piece), frozen or not.
        var starts: [Int] = [], ends: [Int] = [], symbols: [Int32] = [], frozen: [Bool] = []
        var segments: [Segment] = []
        userDefined.split(TextPiece(scalars: word, atStart: false), into: &segments)
        var offset = 0
        for segment in segments {
            switch segment {
            case .token(let id):
                // The matcher does not strip, so a user-defined piece spans exactly its own text.
                let length = vocabulary.tokens[id]?.unicodeScalars.count ?? 0
                starts.append(offset); ends.append(offset + length); symbols.append(Int32(id)); frozen.append(true)
                offset += length
            case .text(let piece):
                for s in piece.scalars {
                    starts.append(offset); ends.append(offset + 1); symbols.append(characterIDs[s] ?? -1); frozen.append(false)
                    offset += 1
                }
            }
        }
        let n = symbols.count
        var next = (0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var previous = (0..<n).map { $0 - 1 }
        var removed = [Bool](repeating: false, count: n)
        var queue = MergeQueue()
        // The halves a merged UNUSED piece was last queued from, to split it again at the end.
        var halves: [Int32: (Int32, Int32)] = [:]
        func enqueue(_ left: Int) {
            let right = next[left]
            guard left >= 0, right >= 0, !frozen[left], !frozen[right],
                  let m = merges[Self.pair(symbols[left], symbols[right])] else { return }
            queue.push(priority: m.priority, position: Int32(left), id: m.id)
            if unused[Int(m.id)] { halves[m.id] = (symbols[left], symbols[right]) }
        }
        for i in 0..<max(n - 1, 0) { enqueue(i) }
        while let top = queue.pop() {
            let left = Int(top.position)
            guard !removed[left], next[left] >= 0 else { continue }
            let right = next[left]
            guard let m = merges[Self.pair(symbols[left], symbols[right])], m.id == top.id else { continue }
            symbols[left] = m.id
            ends[left] = ends[right]
            removed[right] = true
            next[left] = next[right]
            if next[right] >= 0 { previous[next[right]] = left }
            if previous[left] >= 0 { enqueue(previous[left]) }
            enqueue(left)
        }

        var pendingUnk = false
        func emit(_ id: Int32, _ range: Range<Int>) {
            if id >= 0, Int(id) < pieceCount {
                if unused[Int(id)], let (a, b) = halves[id] {
                    // The halves' text lengths are not needed: unknown halves fall back on their own text below.
                    emitHalves(a, b, range)
                    return
                }
                if pendingUnk { ids.append(unkID); pendingUnk = false }
                ids.append(Int(id))
                return
            }
            if byteFallback {
                let bytes = Scalars.utf8(word[range]).map { byteIDs[Int($0)] }
                if bytes.allSatisfy({ $0 != nil }) {
                    if pendingUnk { ids.append(unkID); pendingUnk = false }
                    ids.append(contentsOf: bytes.compactMap { $0 }.map(Int.init))
                    return
                }
            }
            pendingUnk = true
        }
        func emitHalves(_ a: Int32, _ b: Int32, _ range: Range<Int>) {
            let leftLength = symbolLength(a)
            emit(a, range.lowerBound..<range.lowerBound + leftLength)
            emit(b, range.lowerBound + leftLength..<range.upperBound)
        }
        var i = n > 0 ? 0 : -1
        while i >= 0 {
            emit(symbols[i], starts[i]..<ends[i])
            i = next[i]
        }
        if pendingUnk { ids.append(unkID) }
    }

    /// Characters in a symbol: a piece's length, or 1 for a character's own id.
    private func symbolLength(_ id: Int32) -> Int {
        guard id >= 0, Int(id) < pieceCount else { return 1 }
        return vocabulary.tokens[Int(id)]?.unicodeScalars.count ?? 1
    }
}
