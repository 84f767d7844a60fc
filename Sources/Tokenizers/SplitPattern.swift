import Foundation

/// What a `Split` pre-tokenizer or a `Replace` normalizer looks for: a literal string or a regex. The
/// GPT-2 and Llama 3 regexes run on hand-written scanners; any other regex on NSRegularExpression (ICU),
/// whose syntax covers what tokenizer.json files use, though its `\s` lacks U+000B and U+0085.
enum SplitPattern: @unchecked Sendable {
    case literal([Unicode.Scalar])
    case scanner(PatternScanner)
    case regex(NSRegularExpression)

    /// Reads tokenizer.json's `{"String": "..."}` or `{"Regex": "..."}`.
    init(_ node: ConfigNode) throws(TokenizerError) {
        if let literal = node["String"] {
            self = .literal(Array(try literal.string().unicodeScalars))
        } else if let regex = node["Regex"] {
            let source = try regex.string()
            if let scanner = PatternScanner(pattern: source) {
                self = .scanner(scanner)
            } else {
                do {
                    self = .regex(try NSRegularExpression(pattern: source))
                } catch {
                    throw regex.fail("is not a regular expression this build can compile: \(source)")
                }
            }
        } else {
            throw node.fail("expected {\"String\": ...} or {\"Regex\": ...}")
        }
    }

    /// Non-overlapping matches, left to right (possibly empty, for a regex that can match nothing). Throws
    /// when a regex from the file backtracks past its time budget (`regexBudget`).
    func matches(in s: [Unicode.Scalar]) throws(TokenizerError) -> [Range<Int>] {
        switch self {
        case .scanner(let scanner):
            return scanner.matches(in: s)
        case .literal(let needle):
            return Self.literalMatches(needle, in: s)
        case .regex(let regex):
            return try Self.regexMatches(regex, in: s)
        }
    }

    static func literalMatches(_ needle: [Unicode.Scalar], in s: [Unicode.Scalar]) -> [Range<Int>] {
        guard !needle.isEmpty, needle.count <= s.count else { return [] }
        var out: [Range<Int>] = []
        var i = 0
        while i + needle.count <= s.count {
            if s[i] == needle[0], s[i..<i + needle.count].elementsEqual(needle) {
                out.append(i..<i + needle.count)
                i += needle.count
            } else {
                i += 1
            }
        }
        return out
    }

    /// Seconds an ICU regex may take on a text: a base plus a share per character. A tokenizer's own regexes
    /// take microseconds per character; one that backtracks exponentially (`(a*)*b`) would run for ever,
    /// and ICU has no limit of its own through NSRegularExpression.
    static func regexBudget(characters: Int) -> Double { 2 + Double(characters) * 1e-5 }

    private static func regexMatches(_ regex: NSRegularExpression, in s: [Unicode.Scalar]) throws(TokenizerError) -> [Range<Int>] {
        let text = Scalars.string(s)
        let utf16 = Array(text.utf16)
        // UTF-16 offsets back to scalar offsets.
        var scalarAt = [Int](repeating: 0, count: utf16.count + 1)
        var u = 0
        for (index, scalar) in s.enumerated() {
            let width = scalar.value > 0xFFFF ? 2 : 1
            for k in 0..<width { scalarAt[u + k] = index }
            u += width
        }
        scalarAt[utf16.count] = s.count
        // .reportProgress calls the block during a long match too, so a runaway one can be stopped.
        let deadline = Date(timeIntervalSinceNow: regexBudget(characters: s.count))
        var out: [Range<Int>] = []
        var overran = false
        regex.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(location: 0, length: utf16.count)) { match, _, stop in
            if let match {
                out.append(scalarAt[match.range.location]..<scalarAt[match.range.location + match.range.length])
            } else if Date() > deadline {
                overran = true
                stop.pointee = true
            }
        }
        if overran {
            throw TokenizerError(file: "tokenizer.json", field: "regex", """
                \(regex.pattern) took more than \(Int(regexBudget(characters: s.count))) s on a text of \(s.count) \
                characters: it backtracks without bound
                """)
        }
        return out
    }
}

/// How a split keeps its delimiters: tokenizer.json's `behavior` values.
enum SplitBehavior: String, CaseIterable, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `0..<count` at the matches the way `NormalizedString::split` does, dropping empty pieces.
    /// `invert` swaps which parts count as delimiters.
    func pieces(count: Int, matches: [Range<Int>], invert: Bool = false) -> [Range<Int>] {
        guard count > 0 else { return [] }
        // Every part of the input, flagged as match or gap.
        var parts: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        for m in matches {
            if previous != m.lowerBound { parts.append((previous..<m.lowerBound, invert)) }
            parts.append((m, !invert))
            previous = m.upperBound
        }
        if previous != count { parts.append((previous..<count, invert)) }

        var out: [Range<Int>] = []
        switch self {
        case .isolated:
            out = parts.map(\.range)
        case .removed:
            out = parts.filter { !$0.isMatch }.map(\.range)
        case .contiguous:
            var previousMatch = false
            for (index, part) in parts.enumerated() {
                if index > 0, part.isMatch == previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<part.range.upperBound
                } else {
                    out.append(part.range)
                }
                previousMatch = part.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for part in parts {
                if part.isMatch, !previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<part.range.upperBound
                } else {
                    out.append(part.range)
                }
                previousMatch = part.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for part in parts.reversed() {
                if part.isMatch, !previousMatch, let last = out.last {
                    out[out.count - 1] = part.range.lowerBound..<last.upperBound
                } else {
                    out.append(part.range)
                }
                previousMatch = part.isMatch
            }
            out.reverse()
        }
        return out.filter { !$0.isEmpty }
    }
}
