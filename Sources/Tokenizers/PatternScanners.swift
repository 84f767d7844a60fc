/// Hand-written matchers for the two pre-tokenizer regexes that nearly every byte-level BPE model uses.
/// A general regex engine is ~50x slower on them, and they must be exact: each function returns the
/// same non-overlapping, left-to-right matches as Oniguruma would for the pattern, over Unicode scalars.
enum PatternScanner: Sendable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (GPT-2, ByteLevel's `use_regex`).
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// (Llama 3, `maxDigits` 3), and the same with `\p{N}` for a single digit (Qwen 2, `maxDigits` 1).
    case llama3(maxDigits: Int)

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The scanner for a regex source, when it is one of the known ones.
    init?(pattern: String) {
        switch pattern {
        case Self.gpt2Pattern: self = .gpt2
        case Self.llama3Pattern: self = .llama3(maxDigits: 3)
        case Self.qwen2Pattern: self = .llama3(maxDigits: 1)
        default: return nil
        }
    }

    /// The end of the match starting at `i`, or nil when the pattern does not match there.
    func matchEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        switch self {
        case .gpt2: Self.gpt2(s, i)
        case .llama3(let maxDigits): Self.llama3(s, i, maxDigits: maxDigits)
        }
    }

    /// All matches, left to right.
    func matches(in s: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < s.count {
            if let end = matchEnd(s, at: i) {
                out.append(i..<end)
                i = end
            } else {
                i += 1
            }
        }
        return out
    }

    /// `[^\s\p{L}\p{N}]`
    @inline(__always) private static func isOther(_ c: Unicode.Scalar) -> Bool {
        !Scalars.isWhitespace(c) && !Scalars.isLetter(c) && !Scalars.isNumber(c)
    }

    /// `(?i:...)` folds case with Unicode simple folding: besides ASCII, U+017F LONG S folds to `s`
    /// (no other scalar folds to t, r, e, v, m, l or d).
    @inline(__always) private static func folded(_ c: Unicode.Scalar, caseInsensitive: Bool) -> UInt32 {
        guard caseInsensitive else { return c.value }
        if c.value >= 0x41 && c.value <= 0x5A { return c.value + 0x20 }
        if c.value == 0x17F { return 0x73 }
        return c.value
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`
    @inline(__always) private static func contraction(_ s: [Unicode.Scalar], _ i: Int, caseInsensitive: Bool) -> Int? {
        let n = s.count
        guard s[i] == "'", i + 1 < n else { return nil }
        let a = folded(s[i + 1], caseInsensitive: caseInsensitive)
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2 // s t m d
        default: break
        }
        guard i + 2 < n else { return nil }
        let b = folded(s[i + 2], caseInsensitive: caseInsensitive)
        switch (a, b) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return i + 3 // re ve ll
        default: return nil
        }
    }

    /// `\s+(?!\S)|\s+` at a whitespace character: the run, less its last character when a
    /// non-space follows and the run is longer than one (that character starts the next match).
    @inline(__always) private static func whitespaceRun(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        var k = i
        while k < s.count, Scalars.isWhitespace(s[k]) { k += 1 }
        if k == i { return nil }
        if k == s.count || k - i == 1 { return k }
        return k - 1
    }

    private static func gpt2(_ s: [Unicode.Scalar], _ i: Int) -> Int? {
        let n = s.count
        if let end = contraction(s, i, caseInsensitive: false) { return end }
        let c = s[i]
        // ` ?X+` for the three classes: an optional ASCII space, then a run of one class.
        let start = c == " " && i + 1 < n ? i + 1 : i
        let first = s[start]
        if Scalars.isLetter(first) {
            var j = start + 1
            while j < n, Scalars.isLetter(s[j]) { j += 1 }
            return j
        }
        if Scalars.isNumber(first) {
            var j = start + 1
            while j < n, Scalars.isNumber(s[j]) { j += 1 }
            return j
        }
        if isOther(first) {
            var j = start + 1
            while j < n, isOther(s[j]) { j += 1 }
            return j
        }
        return whitespaceRun(s, i)
    }

    private static func llama3(_ s: [Unicode.Scalar], _ i: Int, maxDigits: Int) -> Int? {
        let n = s.count
        if let end = contraction(s, i, caseInsensitive: true) { return end }
        let c = s[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if Scalars.isLetter(c) {
            var j = i + 1
            while j < n, Scalars.isLetter(s[j]) { j += 1 }
            return j
        }
        let isNumber = Scalars.isNumber(c)
        if c != "\r", c != "\n", !isNumber, i + 1 < n, Scalars.isLetter(s[i + 1]) {
            var j = i + 2
            while j < n, Scalars.isLetter(s[j]) { j += 1 }
            return j
        }
        // \p{N}{1,maxDigits}
        if isNumber {
            var j = i + 1
            while j < n, j - i < maxDigits, Scalars.isNumber(s[j]) { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let start = c == " " && i + 1 < n && isOther(s[i + 1]) ? i + 1 : i
        if isOther(s[start]) {
            var j = start + 1
            while j < n, isOther(s[j]) { j += 1 }
            while j < n, s[j] == "\r" || s[j] == "\n" { j += 1 }
            return j
        }
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        var k = i
        var afterLastBreak = -1
        while k < n, Scalars.isWhitespace(s[k]) {
            if s[k] == "\r" || s[k] == "\n" { afterLastBreak = k + 1 }
            k += 1
        }
        if afterLastBreak > 0 { return afterLastBreak }
        return whitespaceRun(s, i)
    }
}
