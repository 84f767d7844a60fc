/// Turns token strings back into text (tokenizer.json's `decoder`). Like `tokenizers`' `decode_chain`,
/// each decoder maps a list of strings to a list of strings, so decoders compose in a `Sequence`; the
/// final list is concatenated.
protocol Decoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
}

/// tokenizer.json's decoder `type` names.
enum DecoderType: String, CaseIterable {
    case sequence = "Sequence"
    case byteLevel = "ByteLevel"
    case replace = "Replace"
    case byteFallback = "ByteFallback"
    case fuse = "Fuse"
    case strip = "Strip"
    case metaspace = "Metaspace"
    case bpeDecoder = "BPEDecoder"
}

enum Decoders {
    /// Builds a decoder from its tokenizer.json object; throws on an unknown type or a bad field.
    static func make(_ node: ConfigNode) throws(TokenizerError) -> any Decoder {
        switch try node.type(DecoderType.self, stage: "decoder") {
        case .sequence:
            return SequenceDecoder(steps: try node.required("decoders").array().map { (n) throws(TokenizerError) in try make(n) })
        case .byteLevel:
            return ByteLevelDecoder()
        case .replace:
            // Decoding cannot fail, so a regex (whose matching may have to be stopped) is refused here.
            guard case .literal(let needle) = try SplitPattern(node.required("pattern")) else {
                throw node.fail("a Replace decoder must replace a String; a Regex pattern is not supported in decoders")
            }
            return ReplaceDecoder(needle: needle, content: Array(try node.required("content").string().unicodeScalars))
        case .byteFallback:
            return ByteFallbackDecoder()
        case .fuse:
            return FuseDecoder()
        case .strip:
            let content = try node.required("content").string()
            guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
                throw node.fail("Strip content must be one character, found '\(content)'")
            }
            return StripDecoder(content: scalar, start: try node.int("start") ?? 0, stop: try node.int("stop") ?? 0)
        case .metaspace:
            // Files written before prepend_scheme existed say add_prefix_space instead.
            let legacyPrefix = try node.bool("add_prefix_space", default: true)
            let scheme = try node.string("prepend_scheme") ?? (legacyPrefix ? "always" : "never")
            return MetaspaceDecoder(replacement: try MetaspacePreTokenizer.replacement(node), stripFirst: scheme != "never")
        case .bpeDecoder:
            return SuffixDecoder(suffix: try node.string("suffix") ?? "</w>")
        }
    }

    /// Decodes `tokens` through `decoder` (or joins them with spaces when there is none, as upstream does).
    static func decode(_ tokens: [String], with decoder: (any Decoder)?) -> String {
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }
}

struct SequenceDecoder: Decoder {
    let steps: [any Decoder]

    func decodeChain(_ tokens: [String]) -> [String] {
        steps.reduce(tokens) { $1.decodeChain($0) }
    }
}

/// `ByteLevel`: each token's characters back to bytes through the GPT-2 alphabet (a token with a
/// character outside it, such as an added token with a space, contributes its own UTF-8), then all bytes
/// decoded as UTF-8 with U+FFFD for each invalid sequence.
struct ByteLevelDecoder: Decoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            var mapped = true
            for scalar in token.unicodeScalars {
                guard let byte = ByteLevelAlphabet.byte(for: scalar) else { mapped = false; break }
                bytes.append(byte)
            }
            if !mapped {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

/// `Replace`: pattern to content in each token (SentencePiece's "▁" back to " ").
struct ReplaceDecoder: Decoder {
    let needle: [Unicode.Scalar]
    let content: [Unicode.Scalar]

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { Scalars.string(ReplaceNormalizer.replacing(needle, with: content, in: Array($0.unicodeScalars))) }
    }
}

/// `ByteFallback`: runs of `<0xXX>` tokens become the text their bytes spell; a run that is not valid
/// UTF-8 becomes one U+FFFD per byte, as upstream does.
struct ByteFallbackDecoder: Decoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                out.append(text)
            } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = Self.byte(token) {
                pending.append(byte)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// The byte of a `<0xXX>` token (six bytes; Rust's `u8::from_str_radix` also takes a leading `+`).
    static func byte(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8.starts(with: "<0x".utf8), utf8[5] == UInt8(ascii: ">") else { return nil }
        let digits = String(decoding: utf8[3..<5], as: UTF8.self)
        if digits.hasPrefix("+") { return UInt8(digits.dropFirst(), radix: 16) }
        return UInt8(digits, radix: 16)
    }
}

/// `Fuse`: all tokens into one string.
struct FuseDecoder: Decoder {
    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// `Strip`: removes up to `start` leading and `stop` trailing occurrences of `content` from each token.
struct StripDecoder: Decoder {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var from = 0
            while from < min(start, scalars.count), scalars[from] == content { from += 1 }
            var to = scalars.count
            while scalars.count - to < stop, to > 0, scalars[to - 1] == content { to -= 1 }
            // Upstream panics when the two cuts cross; an empty token is the sensible reading.
            return from < to ? Scalars.string(scalars[from..<to]) : ""
        }
    }
}

/// `Metaspace`: the replacement character back to spaces, except in the first token, where it is
/// dropped (it was the prepended one) unless `prepend_scheme` is "never".
struct MetaspaceDecoder: Decoder {
    let replacement: Unicode.Scalar
    let stripFirst: Bool

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            var view = String.UnicodeScalarView()
            for s in token.unicodeScalars {
                if s == replacement {
                    if !(index == 0 && stripFirst) { view.append(" ") }
                } else {
                    view.append(s)
                }
            }
            return String(view)
        }
    }
}

/// `BPEDecoder`: the end-of-word suffix becomes a space, or nothing at the end of the last token.
struct SuffixDecoder: Decoder {
    let suffix: String

    func decodeChain(_ tokens: [String]) -> [String] {
        let needle = Array(suffix.unicodeScalars)
        return tokens.enumerated().map { index, token in
            Scalars.string(ReplaceNormalizer.replacing(needle, with: index == tokens.count - 1 ? [] : [" "], in: Array(token.unicodeScalars)))
        }
    }
}
