import Foundation

/// Python's printf-style formatting, `format % values`, behind the `%` operator on strings and jinja2's
/// `format` filter: `%s %r %d %i %f %e %g %x %o %c %%`, with `%(name)s` keys, the flags `-+ #0`, width and
/// precision. A tuple gives the positional values, a dict the named ones, anything else is the one value.
func pyPercentFormat(_ format: String, _ values: Value) throws -> String {
    let scalars = format.scalars
    var positional: [Value] = [values]
    var mapping: Dict?
    switch values {
    case .tuple(let items): positional = items
    case .dict(let dict): mapping = dict
    default: break
    }
    var next = 0, index = 0
    var out = BoundedText("the formatted string")
    func digits() -> Int? {
        var value: Int?
        while index < scalars.count, let digit = Int(String(scalars[index])), value ?? 0 < 1_000_000 {
            value = (value ?? 0) * 10 + digit
            index += 1
        }
        return value
    }
    while index < scalars.count {
        guard scalars[index] == "%" else {
            out.append(scalars[index])
            index += 1
            continue
        }
        index += 1
        var key: String?
        if index < scalars.count, scalars[index] == "(" {
            guard let close = scalars[index...].firstIndex(of: ")") else { throw RenderFailure("incomplete format key") }
            key = String(scalars: scalars[(index + 1)..<close])
            index = close + 1
        }
        var flags = Set<Unicode.Scalar>()
        while index < scalars.count, "-+ #0".unicodeScalars.contains(scalars[index]) {
            flags.insert(scalars[index])
            index += 1
        }
        if index < scalars.count, scalars[index] == "*" { throw RenderFailure("'*' widths are not supported in format strings") }
        let width = digits() ?? 0
        try ensureWidthFits(width, "format width")
        var precision: Int?
        if index < scalars.count, scalars[index] == "." {
            index += 1
            precision = digits() ?? 0
            try ensureWidthFits(precision ?? 0, "format precision")
        }
        while index < scalars.count, "hlL".unicodeScalars.contains(scalars[index]) { index += 1 }
        guard index < scalars.count else { throw RenderFailure("incomplete format") }
        let type = scalars[index]
        index += 1
        if type == "%" {
            out.append(Unicode.Scalar("%"))
            continue
        }
        let value: Value
        if let key {
            guard let mapping else { throw RenderFailure("format requires a mapping") }
            guard let named = mapping[key] else { throw RenderFailure("KeyError: '\(key)'") }
            value = named
        } else {
            guard next < positional.count else { throw RenderFailure("not enough arguments for format string") }
            value = positional[next]
            next += 1
        }
        // "%s%s%s..." with a long value repeats it as often as the format string is long.
        try out.append(pad(try convert(value, type, flags: flags, precision: precision), width: width, flags: flags,
                           numeric: "diuxXoeEfFgG".unicodeScalars.contains(type)))
    }
    if mapping == nil, next < positional.count { throw RenderFailure("not all arguments converted during string formatting") }
    return out.text
}

private func pad(_ text: String, width: Int, flags: Set<Unicode.Scalar>, numeric: Bool) -> String {
    let count = text.unicodeScalars.count
    guard count < width else { return text }
    let fill = String(repeating: flags.contains("0") && numeric && !flags.contains("-") ? "0" : " ", count: width - count)
    if flags.contains("-") { return text + fill }
    guard fill.hasPrefix("0") else { return fill + text }
    // Zeros go after the sign and any 0x/0o prefix.
    var prefixLength = text.hasPrefix("-") || text.hasPrefix("+") || text.hasPrefix(" ") ? 1 : 0
    let rest = text.dropFirst(prefixLength)
    if rest.hasPrefix("0x") || rest.hasPrefix("0X") || rest.hasPrefix("0o") { prefixLength += 2 }
    return String(text.prefix(prefixLength)) + fill + String(text.dropFirst(prefixLength))
}

private func convert(_ value: Value, _ type: Unicode.Scalar, flags: Set<Unicode.Scalar>, precision: Int?) throws -> String {
    func sign(_ negative: Bool) -> String { negative ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : "" }
    switch type {
    case "s", "r", "a":
        let text = type == "s" ? try pyStr(value) : try pyRepr(value)
        return precision.map { String(scalars: text.unicodeScalars.prefix($0)) } ?? text
    case "d", "i", "u", "x", "X", "o":
        try failIfUndefined(value)
        var integer: Int
        if let exact = value.integer {
            integer = exact
        } else if case .double(let d) = value, "diu".unicodeScalars.contains(type), d.isFinite, let truncated = Int(exactly: d.rounded(.towardZero)) {
            integer = truncated
        } else {
            let wanted = "diu".unicodeScalars.contains(type) ? "a real number" : "an integer"
            throw RenderFailure("%\(type) format: \(wanted) is required, not \(value.typeName)")
        }
        let negative = integer < 0
        if negative { integer = integer == .min ? .max : -integer }
        var digits = String(integer, radix: type == "o" ? 8 : "xX".unicodeScalars.contains(type) ? 16 : 10, uppercase: type == "X")
        if let precision, digits.count < precision { digits = String(repeating: "0", count: precision - digits.count) + digits }
        let prefix = flags.contains("#") ? (type == "o" ? "0o" : type == "x" ? "0x" : type == "X" ? "0X" : "") : ""
        return sign(negative) + prefix + digits
    case "e", "E", "f", "F", "g", "G":
        try failIfUndefined(value)
        guard let number = value.number else { throw RenderFailure("must be real number, not \(value.typeName)") }
        guard number.isFinite else {
            let text = number.isNaN ? "nan" : "inf"
            return sign(number < 0) + ("EFG".unicodeScalars.contains(type) ? text.uppercased() : text)
        }
        let cFlags = (flags.contains("#") ? "#" : "") + (flags.contains("+") ? "+" : flags.contains(" ") ? " " : "")
        return String(format: "%\(cFlags).\(min(precision ?? 6, 200))\(Character(type))", number)
    case "c":
        if case .string(let text) = value, text.unicodeScalars.count == 1 { return text }
        guard let code = value.integer, let scalar = Unicode.Scalar(UInt32(clamping: max(0, code))) else {
            throw RenderFailure("%c requires an int or a unicode character, not \(value.typeName)")
        }
        return String(scalar)
    default:
        throw RenderFailure("unsupported format character '\(type)'")
    }
}
