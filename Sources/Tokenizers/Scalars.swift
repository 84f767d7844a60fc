/// Character classes as the regex engines behind Hugging Face `tokenizers` see them: `\p{L}` is the
/// letter categories (Lu, Ll, Lt, Lm, Lo), `\p{N}` the number categories (Nd, Nl, No), and `\s` the
/// Unicode White_Space property (Oniguruma's and Rust's `\s` both are). ASCII is answered from a table
/// because nearly every character of real text is ASCII and the property lookups are not free.
enum Scalars {
    private static let letterFlag: UInt8 = 1, numberFlag: UInt8 = 2, spaceFlag: UInt8 = 4, wordFlag: UInt8 = 8

    private static let ascii: [UInt8] = (0..<128).map { (code: Int) -> UInt8 in
        switch code {
        case 0x41...0x5A, 0x61...0x7A: letterFlag | wordFlag
        case 0x30...0x39: numberFlag | wordFlag
        case 0x5F: wordFlag
        case 0x09...0x0D, 0x20: spaceFlag
        default: 0
        }
    }

    @inline(__always) static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & letterFlag != 0 }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    @inline(__always) static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & numberFlag != 0 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    @inline(__always) static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & spaceFlag != 0 }
        return s.properties.isWhitespace
    }

    /// Rust regex's Unicode `\w`: alphabetic, marks, decimal digits, connector punctuation, join controls.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return ascii[Int(s.value)] & wordFlag != 0 }
        let p = s.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Rust's `char::is_ascii_punctuation() || char::is_punctuation()`: ASCII symbols and the P categories.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        case 0..<128: return false
        default: break
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func utf8(_ scalars: some Sequence<Unicode.Scalar>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(scalars.underestimatedCount)
        appendUTF8(scalars, to: &out)
        return out
    }

    @inline(__always) static func appendUTF8(_ scalars: some Sequence<Unicode.Scalar>, to out: inout [UInt8]) {
        for s in scalars { appendUTF8(s, to: &out) }
    }

    @inline(__always) static func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        let v = s.value
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | v >> 6)); out.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | v >> 12)); out.append(UInt8(0x80 | v >> 6 & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        default:
            out.append(UInt8(0xF0 | v >> 18)); out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        }
    }

    static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}

/// Token text as exact UTF-8 bytes, for dictionary keys: Swift's `String` equality is canonical
/// equivalence, which would merge vocabulary entries that differ only in Unicode normalisation.
struct ByteKey: Hashable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { bytes = Array(text.utf8) }
    init(_ scalars: some Sequence<Unicode.Scalar>) { bytes = Scalars.utf8(scalars) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool { a.bytes == b.bytes }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
