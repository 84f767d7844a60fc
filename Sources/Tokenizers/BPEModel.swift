/// Byte-pair encoding as Hugging Face `tokenizers` runs it: a word starts as one symbol per character
/// (or byte-fallback bytes, or unk), then the adjacent pair with the lowest merge rank is merged,
/// leftmost first, until no pair has a merge. Supports `ignore_merges` (a word in the vocabulary is one
/// token), `continuing_subword_prefix`, `end_of_word_suffix`, `unk_token`, `fuse_unk` and `byte_fallback`.
/// `dropout` is ignored: inference is deterministic.
final class BPEModel: TokenizerModel {
    let vocabulary: Vocabulary
    /// (left id, right id) packed in 64 bits, to (rank, merged id).
    private let merges: PairTable<Merge>
    private let unkID: Int?
    private let fuseUnk: Bool
    private let byteFallback: Bool
    private let ignoreMerges: Bool
    private let prefix: String?
    private let suffix: String?
    /// Ids of the single-character tokens, the common case's first lookup (when there is no prefix or suffix).
    private let characterIDs: CharacterTable
    /// `<0xXX>` token ids for byte fallback.
    private let byteIDs: [Int32?]

    struct Merge {
        let rank: Int32
        let id: Int32
    }

    init(_ node: ConfigNode) throws(TokenizerError) {
        let vocabulary = try Models.vocabulary(node.required("vocab"))
        self.vocabulary = vocabulary
        if let maxID = vocabulary.tokens.keys.max(), maxID >= Int(Int32.max) {
            throw node.fail("token id \(maxID) is too large")
        }
        fuseUnk = try node.bool("fuse_unk", default: false)
        byteFallback = try node.bool("byte_fallback", default: false)
        ignoreMerges = try node.bool("ignore_merges", default: false)
        prefix = try node.string("continuing_subword_prefix")
        suffix = try node.string("end_of_word_suffix")
        unkID = try node.string("unk_token").flatMap { vocabulary[$0] }

        var merges: [UInt64: Merge] = [:]
        let list = try node["merges"]?.array() ?? []
        merges.reserveCapacity(list.count)
        let prefixLength = prefix?.utf8.count ?? 0
        for (rank, item) in list.enumerated() {
            let (left, right) = try Self.mergePair(item)
            guard let a = vocabulary[left] else { throw item.fail("merge refers to '\(left)', which is not in model.vocab") }
            guard let b = vocabulary[right] else { throw item.fail("merge refers to '\(right)', which is not in model.vocab") }
            // The merged token drops the right part's continuing-subword prefix.
            var tail = Array(right.utf8)
            if let prefix, !prefix.isEmpty, tail.starts(with: prefix.utf8) { tail.removeFirst(prefixLength) }
            let merged = ByteKey(Array(left.utf8) + tail)
            guard let id = vocabulary[merged] else {
                throw item.fail("merge result '\(merged.string)' is not in model.vocab")
            }
            merges[PairTable<Merge>.pair(Int32(a), Int32(b))] = Merge(rank: Int32(clamping: rank), id: Int32(id))
        }
        self.merges = PairTable(merges)

        var characterIDs: [Unicode.Scalar: Int32] = [:]
        for (key, id) in vocabulary.ids where key.bytes.count <= 4 {
            let scalars = key.string.unicodeScalars
            if scalars.count == 1, let s = scalars.first { characterIDs[s] = Int32(id) }
        }
        self.characterIDs = CharacterTable(characterIDs)
        byteIDs = (0..<256).map { byte in
            vocabulary[ByteKey(Array(Self.byteToken(UInt8(byte)).utf8))].map { Int32($0) }
        }
    }

    /// A merge is `"left right"` (one space) or `["left", "right"]`.
    private static func mergePair(_ item: ConfigNode) throws(TokenizerError) -> (String, String) {
        if case .array = item.value {
            let parts = try item.array()
            guard parts.count == 2 else { throw item.fail("expected a pair of tokens, found \(parts.count) items") }
            return (try parts[0].string(), try parts[1].string())
        }
        let text = try item.string()
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw item.fail("expected two tokens separated by one space, found '\(text)'") }
        return (String(parts[0]), String(parts[1]))
    }

    /// The byte-fallback token for a byte: `<0x0A>`.
    static func byteToken(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x\(hex.count == 1 ? "0" + hex : hex)>"
    }

    @inline(__always) private static func pair(_ a: Int32, _ b: Int32) -> UInt64 { PairTable<Merge>.pair(a, b) }

    func tokenize(_ word: [Unicode.Scalar], into ids: inout [Int], cache: inout WordCache) {
        guard !word.isEmpty else { return }
        let key = ByteKey(word)
        // A word in the vocabulary is one lookup, cheaper than the cache.
        if ignoreMerges, let id = vocabulary[key] {
            ids.append(id)
            return
        }
        if let hit = cache.entries[key] {
            ids.append(contentsOf: hit)
            return
        }
        let result = merge(word, scratch: &cache.scratch)
        if word.count <= WordCache.maxWordLength { cache.store(key, result) }
        ids.append(contentsOf: result)
    }
    /// The id of one character of a word, with the prefix and suffix that its position calls for.
    private func symbolText(_ c: Unicode.Scalar, first: Bool, last: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        if !first, let prefix { bytes.append(contentsOf: prefix.utf8) }
        Scalars.appendUTF8(c, to: &bytes)
        if last, let suffix { bytes.append(contentsOf: suffix.utf8) }
        return bytes
    }

    private func merge(_ word: [Unicode.Scalar], scratch: inout MergeScratch) -> [Int] {
        var symbols = scratch.takeSymbols()
        defer { scratch.symbols = symbols }
        var pendingUnk = false
        let plain = prefix == nil && suffix == nil
        for (index, c) in word.enumerated() {
            var id: Int32?
            var text: [UInt8] = []
            if plain {
                id = characterIDs[c]
            } else {
                text = symbolText(c, first: index == 0, last: index == word.count - 1)
                id = vocabulary[ByteKey(text)].map { Int32($0) }
            }
            if let id {
                if pendingUnk, let unkID { symbols.append(Int32(unkID)); pendingUnk = false }
                symbols.append(id)
                continue
            }
            if byteFallback {
                if plain { Scalars.appendUTF8(c, to: &text) }
                let bytes = text.map { byteIDs[Int($0)] }
                if bytes.allSatisfy({ $0 != nil }) {
                    // As in `tokenizers`, a pending unk is not flushed here, only before the next known character.
                    symbols.append(contentsOf: bytes.compactMap { $0 })
                    continue
                }
            }
            guard let unkID else { continue } // no unk token: the character is dropped, as upstream does
            if pendingUnk && !fuseUnk { symbols.append(Int32(unkID)) }
            pendingUnk = true
        }
        if pendingUnk, let unkID { symbols.append(Int32(unkID)) }
        return applyMerges(&symbols, scratch: &scratch)
    }

    /// Merges by rank with a priority queue: O(n log n) even for a word of a megabyte. `ids` holds the
    /// symbols on entry; the buffers are reused from word to word.
    private func applyMerges(_ ids: inout [Int32], scratch: inout MergeScratch) -> [Int] {
        let n = ids.count
        if n < 2 { return ids.map(Int.init) }
        // Moved out (not copied), so that clearing them keeps their storage instead of copying it.
        var previous: [Int32] = [], next: [Int32] = [], removed: [Bool] = [], queue = MergeQueue()
        swap(&previous, &scratch.previous); swap(&next, &scratch.next); swap(&removed, &scratch.removed); swap(&queue, &scratch.queue)
        defer { swap(&previous, &scratch.previous); swap(&next, &scratch.next); swap(&removed, &scratch.removed); swap(&queue, &scratch.queue) }
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        removed.removeAll(keepingCapacity: true)
        queue.removeAll()
        for i in 0..<n {
            previous.append(Int32(i) - 1)
            next.append(i + 1 < n ? Int32(i + 1) : -1)
            removed.append(false)
        }
        for i in 0..<n - 1 {
            if let m = merges[Self.pair(ids[i], ids[i + 1])] { queue.push(priority: UInt32(m.rank), position: Int32(i), id: m.id) }
        }
        while let top = queue.pop() {
            let pos = Int(top.position)
            if removed[pos] { continue }
            let right = Int(next[pos])
            if right < 0 { continue }
            // A stale entry: the pair at this position has changed since it was queued.
            guard let current = merges[Self.pair(ids[pos], ids[right])], current.id == top.id else { continue }
            ids[pos] = top.id
            removed[right] = true
            let after = next[right]
            next[pos] = after
            if after >= 0 { previous[Int(after)] = Int32(pos) }
            let before = previous[pos]
            if before >= 0, let m = merges[Self.pair(ids[Int(before)], ids[pos])] {
                queue.push(priority: UInt32(m.rank), position: before, id: m.id)
            }
            if after >= 0, let m = merges[Self.pair(ids[pos], ids[Int(after)])] {
                queue.push(priority: UInt32(m.rank), position: Int32(pos), id: m.id)
            }
        }
        var out: [Int] = []
        var i = 0
        while i >= 0 {
            out.append(Int(ids[i]))
            i = Int(next[i])
        }
        return out
    }
}

/// Buffers for merging, kept across the words of one encode call so each word does not allocate them.
struct MergeScratch {
    var symbols: [Int32] = []
    var previous: [Int32] = []
    var next: [Int32] = []
    var removed: [Bool] = []
    var queue = MergeQueue()

    mutating func takeSymbols() -> [Int32] {
        var taken: [Int32] = []
        swap(&taken, &symbols)
        taken.removeAll(keepingCapacity: true)
        return taken
    }
}

/// A binary min-heap of pending merges, ordered by (priority, position): the lowest priority first (a
/// BPE merge rank, or a SentencePiece score mapped to descending order), and among equals the leftmost.
struct MergeQueue {
    struct Entry {
        let key: UInt64
        let id: Int32
        var position: Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key)) }
    }
    private var heap: [Entry] = []

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    mutating func push(priority: UInt32, position: Int32, id: Int32) {
        let key = UInt64(priority) << 32 | UInt64(UInt32(bitPattern: position))
        heap.append(Entry(key: key, id: id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].key <= heap[child].key { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].key < heap[smallest].key { smallest = left }
                if right < heap.count, heap[right].key < heap[smallest].key { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
