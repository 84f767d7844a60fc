import Foundation

/// Rewrites text before it is split (tokenizer.json's `normalizer`). Applied to each stretch of text
/// between added tokens separately, as Hugging Face `tokenizers` does.
protocol Normalizer: Sendable {
    func normalize(_ text: [Unicode.Scalar]) throws(TokenizerError) -> [Unicode.Scalar]
}

/// tokenizer.json's normalizer `type` names.
enum NormalizerType: String, CaseIterable {
    case sequence = "Sequence"
    case prepend = "Prepend"
    case replace = "Replace"
    case nfc = "NFC"
    case nfd = "NFD"
    case nfkc = "NFKC"
    case nfkd = "NFKD"
    case lowercase = "Lowercase"
    case strip = "Strip"
}

enum Normalizers {
    /// Builds a normalizer from its tokenizer.json object; throws on an unknown type or a bad field.
    static func make(_ node: ConfigNode) throws(TokenizerError) -> any Normalizer {
        switch try node.type(NormalizerType.self, stage: "normalizer") {
        case .sequence:
            return SequenceNormalizer(steps: try node.required("normalizers").array().map { (n) throws(TokenizerError) in try make(n) })
        case .prepend:
            return PrependNormalizer(prefix: Array(try node.required("prepend").string().unicodeScalars))
        case .replace:
            return ReplaceNormalizer(pattern: try SplitPattern(node.required("pattern")),
                                     content: Array(try node.required("content").string().unicodeScalars))
        case .nfc: return UnicodeNormalizer(form: .nfc)
        case .nfd: return UnicodeNormalizer(form: .nfd)
        case .nfkc: return UnicodeNormalizer(form: .nfkc)
        case .nfkd: return UnicodeNormalizer(form: .nfkd)
        case .lowercase: return LowercaseNormalizer()
        case .strip:
            return StripNormalizer(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        }
    }
}

struct SequenceNormalizer: Normalizer {
    let steps: [any Normalizer]

    func normalize(_ text: [Unicode.Scalar]) throws(TokenizerError) -> [Unicode.Scalar] {
        var text = text
        for step in steps { text = try step.normalize(text) }
        return text
    }
}

/// `Prepend`: puts a prefix before non-empty text (SentencePiece's dummy "▁").
struct PrependNormalizer: Normalizer {
    let prefix: [Unicode.Scalar]

    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.isEmpty ? text : prefix + text
    }
}

/// `Replace`: every match of the pattern becomes `content`.
struct ReplaceNormalizer: Normalizer {
    let pattern: SplitPattern
    let content: [Unicode.Scalar]

    func normalize(_ text: [Unicode.Scalar]) throws(TokenizerError) -> [Unicode.Scalar] {
        if case .literal(let needle) = pattern { return Self.replacing(needle, with: content, in: text) }
        return Self.replacing(try pattern.matches(in: text), with: content, in: text)
    }

    /// `text` with every occurrence of `needle` replaced: what cannot run long, so decoders use it directly.
    static func replacing(_ needle: [Unicode.Scalar], with content: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        if needle.count == 1, content.count == 1 {
            // The common case (" " to "▁") without building match lists.
            return text.map { $0 == needle[0] ? content[0] : $0 }
        }
        return replacing(SplitPattern.literalMatches(needle, in: text), with: content, in: text)
    }

    private static func replacing(_ matches: [Range<Int>], with content: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard !matches.isEmpty else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var previous = 0
        for m in matches {
            out.append(contentsOf: text[previous..<m.lowerBound])
            out.append(contentsOf: content)
            previous = m.upperBound
        }
        out.append(contentsOf: text[previous...])
        return out
    }
}

/// `NFC`, `NFD`, `NFKC`, `NFKD`, by Foundation's normalisation.
struct UnicodeNormalizer: Normalizer {
    enum Form { case nfc, nfd, nfkc, nfkd }
    let form: Form

    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // ASCII is unchanged by every form.
        if text.allSatisfy({ $0.value < 0x80 }) { return text }
        let string = Scalars.string(text)
        let result: String
        switch form {
        case .nfc: result = string.precomposedStringWithCanonicalMapping
        case .nfd: result = string.decomposedStringWithCanonicalMapping
        case .nfkc: result = string.precomposedStringWithCompatibilityMapping
        case .nfkd: result = string.decomposedStringWithCompatibilityMapping
        }
        return Array(result.unicodeScalars)
    }
}

/// `Lowercase`: each character's full lowercase mapping, without context (no final-sigma rule), as Rust's
/// `char::to_lowercase`.
struct LowercaseNormalizer: Normalizer {
    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for s in text {
            if s.value < 0x80 {
                out.append(s.value >= 0x41 && s.value <= 0x5A ? Unicode.Scalar(UInt8(s.value + 0x20)) : s)
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }
}

/// `Strip`: removes leading and/or trailing whitespace.
struct StripNormalizer: Normalizer {
    let left: Bool
    let right: Bool

    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var start = 0, end = text.count
        if left { while start < end, Scalars.isWhitespace(text[start]) { start += 1 } }
        if right { while end > start, Scalars.isWhitespace(text[end - 1]) { end -= 1 } }
        return Array(text[start..<end])
    }
}
