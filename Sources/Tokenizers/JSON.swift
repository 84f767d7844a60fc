/// A parsed JSON document. Objects keep their keys in file order (a vocabulary's order is not needed, but
/// keeping it costs nothing and makes errors point at the first bad entry), and strings keep their exact
/// bytes: two vocabulary entries that Swift would call equal (NFC and NFD spellings of "é") stay distinct.
enum JSON {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Key-value pairs in file order; lookups are linear, which is right for the small objects of a config
/// (the vocabulary is walked in order, never looked up by key).
struct JSONObject {
    var keys: [String] = []
    var values: [JSON] = []

    subscript(key: String) -> JSON? {
        // The last duplicate wins, as with serde_json and Python's json.
        guard let index = keys.lastIndex(where: { $0.utf8.elementsEqual(key.utf8) }) else { return nil }
        return values[index]
    }

    var count: Int { keys.count }
}

/// A small, strict JSON parser over UTF-8 bytes (RFC 8259). It exists because tokenizer.json files are
/// large (17 MB for Llama 3) and their vocabularies need byte-exact keys; Foundation's parsers are slower
/// on Linux and hand back `String`-keyed dictionaries.
struct JSONParser {
    struct Failure: Error {
        let message: String
        let offset: Int
    }

    /// Parses a whole document; nesting deeper than `maxDepth` is refused rather than overflowing the stack.
    static func parse(_ bytes: [UInt8], maxDepth: Int = 256) throws(Failure) -> JSON {
        try bytes.withUnsafeBufferPointer { (buffer) throws(Failure) -> JSON in
            var parser = Cursor(bytes: buffer, maxDepth: maxDepth)
            parser.skipWhitespace()
            // A UTF-8 byte order mark is tolerated, as Python's json.load does not write one but editors may.
            if parser.remaining >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { parser.position = 3 }
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.position == buffer.count else { throw parser.failure("unexpected data after the end of the document") }
            return value
        }
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var position = 0

        var remaining: Int { bytes.count - position }

        func failure(_ message: String) -> Failure { Failure(message: message, offset: position) }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(Failure) -> JSON {
            guard depth < maxDepth else { throw failure("nested deeper than \(maxDepth) levels") }
            guard position < bytes.count else { throw failure("unexpected end of the document") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw failure("unexpected character '\(Unicode.Scalar(bytes[position]))'")
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let count = word.utf8CodeUnitCount
            guard remaining >= count else { throw failure("unexpected end of the document") }
            for i in 0..<count where bytes[position + i] != word.utf8Start[i] {
                throw failure("invalid literal (expected \(word))")
            }
            position += count
        }

        mutating func object(depth: Int) throws(Failure) -> JSON {
            position += 1
            var result = JSONObject()
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(result)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                let key = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':' after an object key") }
                position += 1
                skipWhitespace()
                let element = try value(depth: depth + 1)
                result.keys.append(key)
                result.values.append(element)
                skipWhitespace()
                guard position < bytes.count else { throw failure("unexpected end of the document inside an object") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(result) }
                throw failure("expected ',' or '}' in an object")
            }
        }

        mutating func array(depth: Int) throws(Failure) -> JSON {
            position += 1
            var result: [JSON] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(result)
            }
            while true {
                skipWhitespace()
                result.append(try value(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw failure("unexpected end of the document inside an array") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(result) }
                throw failure("expected ',' or ']' in an array")
            }
        }

        mutating func string() throws(Failure) -> String {
            position += 1
            let start = position
            // Fast path: no escapes, so the bytes are used as they are.
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let raw = UnsafeBufferPointer(rebasing: bytes[start..<position])
                    position += 1
                    guard let text = String(validating: raw, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw failure("control character in a string") }
                position += 1
            }
            var out = Array(bytes[start..<position])
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    guard let text = String(validating: out, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
                    return text
                }
                if byte < 0x20 { throw failure("control character in a string") }
                if byte != UInt8(ascii: "\\") {
                    out.append(byte)
                    position += 1
                    continue
                }
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), remaining >= 6,
                       bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        let save = position
                        position += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = save
                        }
                    }
                    // A lone surrogate cannot be held in a Swift string; it becomes U+FFFD.
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    out.append(contentsOf: String(scalar).utf8)
                default: throw failure("invalid escape '\\\(Unicode.Scalar(escape))'")
                }
            }
            throw failure("unterminated string")
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard remaining >= 4 else { throw failure("truncated \\u escape") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[position]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw failure("invalid hex digit in a \\u escape")
                }
                code = code << 4 | digit
                position += 1
            }
            return code
        }

        mutating func number() throws(Failure) -> Double {
            let start = position
            var integer: Int64 = 0
            var negative = false
            var simple = true
            if bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
            let digitsStart = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                if position - digitsStart < 18 {
                    integer = integer * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
                } else {
                    simple = false
                }
                position += 1
            }
            guard position > digitsStart else { throw failure("invalid number") }
            while position < bytes.count {
                let c = bytes[position]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                    || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                    simple = false
                    position += 1
                } else {
                    break
                }
            }
            if simple { return Double(negative ? -integer : integer) }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            guard let value = Double(text) else { throw failure("invalid number '\(text)'") }
            return value
        }
    }
}
