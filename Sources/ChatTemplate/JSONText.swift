/// Python's `json.dumps`, which transformers' `tojson` filter calls with `ensure_ascii=False` by default (jinja2's
/// own `tojson` would escape `<`, `>`, `&` and `'` for HTML; transformers replaces it so tool schemas print as
/// written).
struct JSONWriter {
    var ensureASCII = false
    /// nil: everything on one line. Otherwise a newline before every item, indented by this once per level.
    var indent: String?
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false

    init(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
        self.ensureASCII = ensureASCII
        self.indent = indent
        // Python's defaults: no space before the newline when indenting.
        itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
    }

    func write(_ value: Value) throws -> String {
        var out = ""
        try write(value, level: 0, into: &out)
        try ensureTextFits(out.utf8.count, "tojson's output")
        return out
    }

    private func write(_ value: Value, level: Int, into out: inout String) throws {
        guard level <= Value.maxDepth else { throw RenderFailure("tojson: the value nests more than \(Value.maxDepth) levels deep") }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += pyFloat(d) }
        case .string(let s): quote(s, into: &out)
        case .list(let items), .tuple(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (index, item) in items.enumerated() {
                try separate(first: index == 0, level: level + 1, into: &out)
                try write(item, level: level + 1, into: &out)
            }
            try close("]", level: level, into: &out)
        case .dict(let dict):
            guard dict.count > 0 else {
                out += "{}"
                return
            }
            out += "{"
            let pairs = sortKeys ? dict.pairs.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } : dict.pairs
            for (index, pair) in pairs.enumerated() {
                try separate(first: index == 0, level: level + 1, into: &out)
                quote(pair.key, into: &out)
                out += keySeparator
                try write(pair.value, level: level + 1, into: &out)
            }
            try close("}", level: level, into: &out)
        default:
            throw RenderFailure("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    /// Checked before each item and each closing bracket, so that a long list of references to one big value,
    /// or a deep one with a wide indent, fails before the text outgrows the limit by more than one item.
    private func separate(first: Bool, level: Int, into out: inout String) throws {
        try ensureTextFits(out.utf8.count + itemSeparator.utf8.count + 1 + (indent?.utf8.count ?? 0) * level, "tojson's output")
        if !first { out += itemSeparator }
        if let indent { out += "\n" + String(repeating: indent, count: level) }
    }

    private func close(_ bracket: String, level: Int, into out: inout String) throws {
        try ensureTextFits(out.utf8.count + 2 + (indent?.utf8.count ?? 0) * level, "tojson's output")
        if let indent { out += "\n" + String(repeating: indent, count: level) }
        out += bracket
    }

    private func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        let value = scalar.value - 0x10000
                        out += Self.escape(0xD800 + (value >> 10)) + Self.escape(0xDC00 + (value & 0x3FF))
                    } else {
                        out += Self.escape(scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func escape(_ code: UInt32) -> String {
        let digits = String(code, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
