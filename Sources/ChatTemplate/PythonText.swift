/// Python's text behaviour, which chat templates observe: `str()` and `repr()` of values, float formatting, and
/// the `str` methods. Python strings are sequences of code points, so everything here works on Unicode scalars,
/// never on Swift's grapheme clusters.

/// Python's `str.isspace` for one character (Unicode White_Space plus the separators U+001C to U+001F).
func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
}

extension String {
    var scalars: [Unicode.Scalar] { Array(unicodeScalars) }

    init(scalars: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self = String(view)
    }
}

/// Python's `str(value)`; the text `{{ value }}` prints.
func pyStr(_ value: Value, depth: Int = 0) throws -> String {
    switch value {
    case .undefined: return ""
    case .string(let s): return s
    default: return try pyRepr(value, depth: depth)
    }
}

/// Python's `repr(value)`, used for the items of a printed list or dict.
func pyRepr(_ value: Value, depth: Int = 0) throws -> String {
    guard depth <= Value.maxDepth else { throw RenderFailure("a value nests more than \(Value.maxDepth) levels deep") }
    switch value {
    case .undefined: return "Undefined"
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .double(let d): return pyFloat(d)
    case .string(let s): return pyQuote(s)
    case .list(let items): return "[" + (try joinWithinLimit(items, separator: ", ", "the printed list") { try pyRepr($0, depth: depth + 1) }) + "]"
    case .tuple(let items):
        let inner = try joinWithinLimit(items, separator: ", ", "the printed tuple") { try pyRepr($0, depth: depth + 1) }
        return "(" + inner + (items.count == 1 ? ",)" : ")")
    case .dict(let dict):
        let inner = try joinWithinLimit(dict.pairs, separator: ", ", "the printed dict") { pyQuote($0.key) + ": " + (try pyRepr($0.value, depth: depth + 1)) }
        return "{" + inner + "}"
    case .namespace(let namespace): return "<Namespace \(try pyRepr(.dict(namespace.attributes), depth: depth + 1))>"
    case .function(let function): return "<built-in method \(function.name)>"
    case .macro(let macro): return "<Macro '\(macro.definition.name)'>"
    case .loop(let loop): return "<LoopContext \(loop.index0 + 1)/\(loop.items.count)>"
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in positional notation for exponents from
/// -4 to 15 and scientific notation (`1e+16`, `1e-05`) outside.
func pyFloat(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    // Swift's description also prints the shortest round-trip digits; only the layout differs.
    var text = "\(value)"
    let negative = text.hasPrefix("-")
    if negative { text.removeFirst() }
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    var digits = Array(parts[0] + (parts.count > 1 ? parts[1] : ""))
    var point = parts[0].count + exponent
    while digits.first == "0" {
        digits.removeFirst()
        point -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    let sign = negative ? "-" : ""
    if digits.isEmpty { return sign + "0.0" }
    if point > 16 || point < -3 {
        let mantissa = digits.count == 1 ? String(digits) : String(digits[0]) + "." + String(digits[1...])
        let e = point - 1
        return sign + mantissa + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
    }
    if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
    if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) + ".0" }
    return sign + String(digits[..<point]) + "." + String(digits[point...])
}

/// Whether Python's `str.isprintable` holds for one character.
private func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return true }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote.
func pyQuote(_ text: String) -> String {
    let quote: Unicode.Scalar = text.unicodeScalars.contains("'") && !text.unicodeScalars.contains("\"") ? "\"" : "'"
    var out = String.UnicodeScalarView()
    out.append(quote)
    func hex(_ value: UInt32, _ width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    for scalar in text.unicodeScalars {
        switch scalar {
        case quote, "\\":
            out.append("\\")
            out.append(scalar)
        case "\t": out.append(contentsOf: "\\t".unicodeScalars)
        case "\n": out.append(contentsOf: "\\n".unicodeScalars)
        case "\r": out.append(contentsOf: "\\r".unicodeScalars)
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (scalar.value > 0x7F && !isPrintable(scalar)) {
                let escape = scalar.value <= 0xFF ? "\\x" + hex(scalar.value, 2)
                    : scalar.value <= 0xFFFF ? "\\u" + hex(scalar.value, 4) : "\\U" + hex(scalar.value, 8)
                out.append(contentsOf: escape.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
    }
    out.append(quote)
    return String(out)
}

// MARK: str methods

/// `str.strip`/`lstrip`/`rstrip`: whitespace, or any of `characters` when given.
func pyStrip(_ text: String, _ characters: String?, leading: Bool = true, trailing: Bool = true) -> String {
    let set = characters.map { Set($0.unicodeScalars) }
    func strippable(_ scalar: Unicode.Scalar) -> Bool { set?.contains(scalar) ?? isPythonSpace(scalar) }
    let scalars = text.scalars
    var start = 0, end = scalars.count
    if leading { while start < end, strippable(scalars[start]) { start += 1 } }
    if trailing { while end > start, strippable(scalars[end - 1]) { end -= 1 } }
    return String(scalars: scalars[start..<end])
}

/// Where `needle` occurs in `haystack`, from `from`; nil when it does not. Knuth-Morris-Pratt, linear in both
/// lengths: comparing at every position would take hours on a hostile pair such as 'a' * 8M in 'a' * 16M.
func pyFind(_ haystack: [Unicode.Scalar], _ needle: [Unicode.Scalar], from: Int = 0) -> Int? {
    let start = max(0, from)
    guard start <= haystack.count, needle.count <= haystack.count - start else { return nil }
    guard !needle.isEmpty else { return start }
    // fallback[i]: the length of the longest proper prefix of needle[...i] that is also its suffix.
    var fallback = [Int](repeating: 0, count: needle.count)
    var length = 0
    for index in needle.indices.dropFirst() {
        while length > 0, needle[index] != needle[length] { length = fallback[length - 1] }
        if needle[index] == needle[length] { length += 1 }
        fallback[index] = length
    }
    var matched = 0
    for index in start..<haystack.count {
        while matched > 0, haystack[index] != needle[matched] { matched = fallback[matched - 1] }
        if haystack[index] == needle[matched] { matched += 1 }
        if matched == needle.count { return index - needle.count + 1 }
    }
    return nil
}

/// `str.split(sep, maxsplit)`, and `str.rsplit` with `fromRight`.
func pySplit(_ text: String, _ separator: String?, maxSplit: Int, fromRight: Bool = false) throws -> [String] {
    var scalars = text.scalars
    if fromRight { scalars.reverse() }
    var pieces: [[Unicode.Scalar]] = []
    if let separator {
        var needle = separator.scalars
        guard !needle.isEmpty else { throw RenderFailure("empty separator") }
        if fromRight { needle.reverse() }
        var start = 0
        while maxSplit < 0 || pieces.count < maxSplit, let found = pyFind(scalars, needle, from: start) {
            pieces.append(Array(scalars[start..<found]))
            start = found + needle.count
        }
        pieces.append(Array(scalars[start...]))
    } else {
        var index = 0
        while true {
            while index < scalars.count, isPythonSpace(scalars[index]) { index += 1 }
            guard index < scalars.count else { break }
            if maxSplit >= 0, pieces.count == maxSplit {
                // The rest keeps its trailing whitespace, as in Python.
                pieces.append(Array(scalars[index...]))
                break
            }
            let start = index
            while index < scalars.count, !isPythonSpace(scalars[index]) { index += 1 }
            pieces.append(Array(scalars[start..<index]))
        }
    }
    if fromRight { return pieces.reversed().map { String(scalars: $0.reversed()) } }
    return pieces.map { String(scalars: $0) }
}

/// `str.splitlines(keepends)`, with all of Python's line boundaries.
func pySplitLines(_ text: String, keepEnds: Bool = false) -> [String] {
    let scalars = text.scalars
    let boundaries: Set<UInt32> = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029]
    var lines: [String] = []
    var start = 0, index = 0
    while index < scalars.count {
        guard boundaries.contains(scalars[index].value) else {
            index += 1
            continue
        }
        var end = index + 1
        if scalars[index] == "\r", end < scalars.count, scalars[end] == "\n" { end += 1 }
        lines.append(String(scalars: scalars[start..<(keepEnds ? end : index)]))
        start = end
        index = end
    }
    if start < scalars.count { lines.append(String(scalars: scalars[start...])) }
    return lines
}

/// `str.replace(old, new, count)`; an empty `old` inserts `new` around every character, as Python does.
func pyReplace(_ text: String, _ old: String, _ new: String, count: Int = -1) throws -> String {
    let scalars = text.scalars, needle = old.scalars, replacement = new.scalars
    // An empty `old` adds `new` once per character: check the size before building it.
    if needle.isEmpty {
        let insertions = count < 0 ? scalars.count + 1 : min(count, scalars.count + 1)
        try ensureTextFits(text.utf8.count + insertions * new.utf8.count, "the replaced string")
    }
    var out: [Unicode.Scalar] = []
    var replaced = 0
    if needle.isEmpty {
        for scalar in scalars {
            if count < 0 || replaced < count {
                out += replacement
                replaced += 1
            }
            out.append(scalar)
        }
        if count < 0 || replaced < count { out += replacement }
        return String(scalars: out)
    }
    var index = 0
    while count < 0 || replaced < count, let found = pyFind(scalars, needle, from: index) {
        out += scalars[index..<found]
        out += replacement
        index = found + needle.count
        replaced += 1
        try ensureTextFits(out.count, "the replaced string")
    }
    out += scalars[index...]
    return String(scalars: out)
}

func pyUpper(_ text: String) -> String { text.uppercased() }
func pyLower(_ text: String) -> String { text.lowercased() }

/// `str.capitalize`: the first character in title case, the rest lower case.
func pyCapitalize(_ text: String) -> String {
    guard let first = text.unicodeScalars.first else { return text }
    return first.properties.titlecaseMapping + String(scalars: text.unicodeScalars.dropFirst()).lowercased()
}

/// `str.title`: a character after a cased character goes to lower case, any other to title case.
func pyTitle(_ text: String) -> String {
    var out = ""
    var previousCased = false
    for scalar in text.unicodeScalars {
        out += previousCased ? scalar.properties.lowercaseMapping : scalar.properties.titlecaseMapping
        previousCased = scalar.properties.isCased
    }
    return out
}

/// jinja2's `title` filter, which is not `str.title`: words start after `-`, whitespace or an opening
/// bracket, and get their first character upper-cased and the rest lower-cased.
func jinjaTitle(_ text: String) -> String {
    func isBoundary(_ scalar: Unicode.Scalar) -> Bool { "-({[<".unicodeScalars.contains(scalar) || isPythonSpace(scalar) }
    var out = ""
    var word: [Unicode.Scalar] = []
    func flush() {
        if let first = word.first { out += String(first).uppercased() + String(scalars: word.dropFirst()).lowercased() }
        word.removeAll()
    }
    for scalar in text.unicodeScalars {
        if isBoundary(scalar) {
            flush()
            out.unicodeScalars.append(scalar)
        } else {
            word.append(scalar)
        }
    }
    flush()
    return out
}

/// Python's cased-character predicates: `islower` and `isupper` need at least one cased character.
func pyIsCase(_ text: String, upper: Bool) -> Bool {
    var sawCased = false
    for scalar in text.unicodeScalars where scalar.properties.isCased {
        if upper ? scalar.properties.isLowercase : scalar.properties.isUppercase { return false }
        if upper ? scalar.properties.isUppercase : scalar.properties.isLowercase { sawCased = true }
    }
    return sawCased
}
