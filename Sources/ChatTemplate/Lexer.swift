/// One token of a template: template text between tags, a tag delimiter, or a piece of an expression.
struct Token {
    enum Kind: Equatable {
        case data, variableBegin, variableEnd, blockBegin, blockEnd, name, string, integer, float, op, eof
    }

    let kind: Kind
    /// The text of data, the name, the unescaped string, or the operator.
    var text = ""
    var integer = 0
    var float = 0.0
    /// Scalar offset in the normalised source.
    let offset: Int

    init(_ kind: Kind, _ text: String = "", at offset: Int) {
        self.kind = kind
        self.text = text
        self.offset = offset
    }

    /// How jinja2 names the token in its messages.
    var description: String {
        switch kind {
        case .data: return "template data"
        case .variableBegin: return "begin of print statement"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .name, .op: return text
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .eof: return "end of template"
        }
    }
}

/// Splits a template into tokens exactly as jinja2's lexer does with transformers' settings: `trim_blocks`
/// (the first newline after a block or comment tag is dropped), `lstrip_blocks` (spaces and tabs before a block
/// or comment tag at the start of a line are dropped), `-` and `+` whitespace control, raw blocks, and one
/// trailing newline of the template removed (`keep_trailing_newline=False`).
struct Lexer {
    private let source: [Unicode.Scalar]
    private let map: SourceMap
    private var tokens: [Token] = []
    private var position = 0
    /// Whether the last match ended with a newline: jinja2 lstrips a tag at the very start of the text that
    /// follows such a match.
    private var lineStarting = true
    private var balance: [Unicode.Scalar] = []

    init(_ source: [Unicode.Scalar], map: SourceMap) {
        self.source = source
        self.map = map
    }

    /// The source with `\r\n` and `\r` turned into `\n` and one trailing newline removed.
    static func normalize(_ text: String) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.unicodeScalars.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                result.append("\n")
                previousWasCR = true
                continue
            }
            if !(scalar == "\n" && previousWasCR) { result.append(scalar) }
            previousWasCR = false
        }
        if result.last == "\n" { result.removeLast() }
        return result
    }

    private func fail(_ message: String, at offset: Int) -> TemplateError { map.error(.syntax, at: offset, message) }

    private func starts(with text: String, at offset: Int) -> Bool {
        var index = offset
        for scalar in text.unicodeScalars {
            guard index < source.count, source[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private func skipSpaces(from offset: Int) -> Int {
        var index = offset
        while index < source.count, isPythonSpace(source[index]) { index += 1 }
        return index
    }

    mutating func tokenize() throws -> [Token] {
        while position < source.count {
            guard let tag = findTag(from: position) else {
                tokens.append(Token(.data, String(String.UnicodeScalarView(source[position...])), at: position))
                break
            }
            var textEnd = tag.start
            if tag.sign == "-" {
                while textEnd > position, isPythonSpace(source[textEnd - 1]) { textEnd -= 1 }
            } else if tag.sign != "+", tag.kind != .variable {
                var lineStart = tag.start
                while lineStart > position, source[lineStart - 1] != "\n" { lineStart -= 1 }
                if lineStart > position || lineStarting, lineStart < tag.start,
                   source[lineStart..<tag.start].allSatisfy(isPythonSpace)
                {
                    textEnd = lineStart
                }
            }
            if textEnd > position {
                tokens.append(Token(.data, String(String.UnicodeScalarView(source[position..<textEnd])), at: position))
            }
            position = tag.bodyStart
            switch tag.kind {
            case .comment: try skipComment(openedAt: tag.start)
            case .variable:
                tokens.append(Token(.variableBegin, at: tag.start))
                try lexTag(block: false)
            case .block:
                tokens.append(Token(.blockBegin, at: tag.start))
                try lexTag(block: true)
            case .raw:
                lineStarting = source[position - 1] == "\n"
                try lexRaw(openedAt: tag.start)
            }
        }
        tokens.append(Token(.eof, at: source.count))
        return tokens
    }

    private enum TagKind { case variable, block, comment, raw }

    /// The next `{{`, `{%`, `{#` or `{% raw %}` at or after `offset`, with its whitespace-control sign.
    private func findTag(from offset: Int) -> (kind: TagKind, start: Int, sign: Unicode.Scalar?, bodyStart: Int)? {
        var index = offset
        while index + 1 < source.count {
            defer { index += 1 }
            guard source[index] == "{" else { continue }
            let kind: TagKind
            switch source[index + 1] {
            case "{": kind = .variable
            case "%": kind = .block
            case "#": kind = .comment
            default: continue
            }
            var bodyStart = index + 2
            var sign: Unicode.Scalar?
            if bodyStart < source.count, source[bodyStart] == "-" || source[bodyStart] == "+" {
                sign = source[bodyStart]
                bodyStart += 1
            }
            if kind == .block, let rawEnd = matchRawBegin(at: bodyStart) {
                return (.raw, index, sign, rawEnd)
            }
            return (kind, index, sign, bodyStart)
        }
        return nil
    }

    /// The end of `\s*raw\s*(-%}\s*|%})` at `offset`, if it is there. No newline is trimmed after this tag.
    private func matchRawBegin(at offset: Int) -> Int? {
        var index = skipSpaces(from: offset)
        guard starts(with: "raw", at: index) else { return nil }
        index = skipSpaces(from: index + 3)
        if starts(with: "-%}", at: index) { return skipSpaces(from: index + 3) }
        if starts(with: "%}", at: index) { return index + 2 }
        return nil
    }

    /// After a comment's `#}` (or any tag end), applies the end's whitespace control and records whether the
    /// match ended a line.
    private mutating func finishTag(endSign: Unicode.Scalar?, after end: Int) {
        var index = end
        if endSign == "-" {
            index = skipSpaces(from: index)
        } else if endSign == nil, index < source.count, source[index] == "\n" {
            index += 1
        }
        position = index
        lineStarting = source[index - 1] == "\n"
    }

    private mutating func skipComment(openedAt start: Int) throws {
        var index = position
        while index + 1 < source.count {
            if source[index] == "+" || source[index] == "-", index + 2 < source.count, source[index + 1] == "#", source[index + 2] == "}" {
                finishTag(endSign: source[index], after: index + 3)
                return
            }
            if source[index] == "#", source[index + 1] == "}" {
                finishTag(endSign: nil, after: index + 2)
                return
            }
            index += 1
        }
        throw fail("missing end of comment tag: expected '#}' to close the comment", at: start)
    }

    private mutating func lexRaw(openedAt start: Int) throws {
        var index = position
        while index + 1 < source.count {
            defer { index += 1 }
            guard source[index] == "{", source[index + 1] == "%" else { continue }
            var cursor = index + 2
            var sign: Unicode.Scalar?
            if cursor < source.count, source[cursor] == "-" || source[cursor] == "+" {
                sign = source[cursor]
                cursor += 1
            }
            cursor = skipSpaces(from: cursor)
            guard starts(with: "endraw", at: cursor) else { continue }
            cursor = skipSpaces(from: cursor + 6)
            var endSign: Unicode.Scalar?
            if starts(with: "+%}", at: cursor) || starts(with: "-%}", at: cursor) {
                endSign = source[cursor]
                cursor += 3
            } else if starts(with: "%}", at: cursor) {
                cursor += 2
            } else {
                continue
            }
            var textEnd = index
            if sign == "-" {
                while textEnd > position, isPythonSpace(source[textEnd - 1]) { textEnd -= 1 }
            } else if sign != "+" {
                var lineStart = index
                while lineStart > position, source[lineStart - 1] != "\n" { lineStart -= 1 }
                if lineStart > position || lineStarting, lineStart < index, source[lineStart..<index].allSatisfy(isPythonSpace) {
                    textEnd = lineStart
                }
            }
            if textEnd > position {
                tokens.append(Token(.data, String(String.UnicodeScalarView(source[position..<textEnd])), at: position))
            }
            finishTag(endSign: endSign, after: cursor)
            return
        }
        throw fail("missing end of raw directive: expected '{% endraw %}'", at: start)
    }

    /// Tokens of an expression up to the closing `}}` or `%}`. Running out of source is left to the parser,
    /// which names the tag it was reading.
    private mutating func lexTag(block: Bool) throws {
        while position < source.count {
            if balance.isEmpty {
                if block {
                    if starts(with: "+%}", at: position) || starts(with: "-%}", at: position) {
                        tokens.append(Token(.blockEnd, at: position))
                        finishTag(endSign: source[position], after: position + 3)
                        return
                    }
                    if starts(with: "%}", at: position) {
                        tokens.append(Token(.blockEnd, at: position))
                        finishTag(endSign: nil, after: position + 2)
                        return
                    }
                } else {
                    if starts(with: "-}}", at: position) {
                        tokens.append(Token(.variableEnd, at: position))
                        finishTag(endSign: "-", after: position + 3)
                        return
                    }
                    if starts(with: "}}", at: position) {
                        tokens.append(Token(.variableEnd, at: position))
                        position += 2
                        lineStarting = false
                        return
                    }
                }
            }
            let scalar = source[position]
            if isPythonSpace(scalar) {
                position += 1
            } else if let token = try lexNumber() {
                tokens.append(token)
            } else if scalar == "_" || scalar.properties.isXIDStart {
                let start = position
                while position < source.count, source[position] == "_" || source[position].properties.isXIDContinue { position += 1 }
                tokens.append(Token(.name, String(String.UnicodeScalarView(source[start..<position])), at: start))
            } else if scalar == "'" || scalar == "\"", let token = try lexString() {
                tokens.append(token)
            } else {
                try lexOperator()
            }
        }
    }

    private static let operators = ["//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")",
                                    "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"]

    private mutating func lexOperator() throws {
        let start = position
        guard let op = Self.operators.first(where: { starts(with: $0, at: start) }) else {
            throw fail("unexpected character '\(source[start])'", at: start)
        }
        switch op {
        case "{": balance.append("}")
        case "(": balance.append(")")
        case "[": balance.append("]")
        case "}", ")", "]":
            guard let expected = balance.popLast() else { throw fail("unexpected '\(op)'", at: start) }
            guard expected == op.unicodeScalars.first else { throw fail("unexpected '\(op)', expected '\(expected)'", at: start) }
        default: break
        }
        position += op.unicodeScalars.count
        tokens.append(Token(.op, op, at: start))
    }

    private func isDigit(_ index: Int) -> Bool { index < source.count && ("0"..."9").contains(source[index]) }

    /// `(\d+_)*\d+`: the end of a run of digits with single underscores between them, or nil.
    private func digitRun(from index: Int) -> Int? {
        guard isDigit(index) else { return nil }
        var end = index
        while true {
            while isDigit(end) { end += 1 }
            guard end < source.count, source[end] == "_", isDigit(end + 1) else { return end }
            end += 1
        }
    }

    /// A float (`1.5`, `2e3`, `1_000.5`) or integer (`42`, `0x1f`, `0o17`, `0b101`) literal at the position.
    private mutating func lexNumber() throws -> Token? {
        let start = position
        guard isDigit(start) else { return nil }
        if start == 0 || source[start - 1] != ".", let whole = digitRun(from: start) {
            var end: Int?
            var fraction = whole
            if source.indices.contains(whole), source[whole] == ".", let fractionEnd = digitRun(from: whole + 1) { fraction = fractionEnd }
            if fraction < source.count, source[fraction] == "e" || source[fraction] == "E" {
                var exponent = fraction + 1
                if exponent < source.count, source[exponent] == "+" || source[exponent] == "-" { exponent += 1 }
                end = digitRun(from: exponent)
            }
            if end == nil, fraction > whole { end = fraction }
            if let end {
                let text = String(String.UnicodeScalarView(source[start..<end].filter { $0 != "_" }))
                guard let value = Double(text) else { throw fail("invalid float literal '\(text)'", at: start) }
                var token = Token(.float, text, at: start)
                token.float = value
                position = end
                return token
            }
        }
        var radix = 10
        var digitsStart = start
        if source[start] == "0", start + 1 < source.count {
            switch source[start + 1] {
            case "b", "B": radix = 2
            case "o", "O": radix = 8
            case "x", "X": radix = 16
            default: break
            }
            if radix != 10 { digitsStart = start + 2 }
        }
        var end = digitsStart
        var digits = ""
        func isRadixDigit(_ scalar: Unicode.Scalar) -> Bool { Character(scalar).hexDigitValue.map { $0 < radix } ?? false }
        if radix == 10 && source[start] == "0" {
            // `0(_?0)*`: a decimal literal starting with 0 is only zeros.
            end += 1
            while end < source.count {
                if source[end] == "0" { end += 1 } else if source[end] == "_", end + 1 < source.count, source[end + 1] == "0" { end += 2 } else { break }
            }
            digits = "0"
        } else {
            while end < source.count {
                if isRadixDigit(source[end]) {
                    digits.unicodeScalars.append(source[end])
                    end += 1
                } else if source[end] == "_", end + 1 < source.count, isRadixDigit(source[end + 1]) {
                    end += 1
                } else {
                    break
                }
            }
            if digits.isEmpty { end = start + 1; digits = "0"; radix = 10 }
        }
        guard let value = Int(digits, radix: radix) else { throw fail("integer literal is too large", at: start) }
        var token = Token(.integer, digits, at: start)
        token.integer = value
        position = end
        return token
    }

    /// A quoted string with Python's escapes, or nil when it is not closed (the quote is then reported as an
    /// unexpected character, as jinja2 does).
    private mutating func lexString() throws -> Token? {
        let start = position, quote = source[start]
        var index = start + 1
        while index < source.count, source[index] != quote {
            index += source[index] == "\\" ? 2 : 1
        }
        guard index < source.count else { return nil }
        let value = try unescape(source[(start + 1)..<index], at: start)
        position = index + 1
        return Token(.string, value, at: start)
    }

    /// Python's `unicode-escape` decoding of a string literal's body.
    private func unescape(_ body: ArraySlice<Unicode.Scalar>, at offset: Int) throws -> String {
        var result = String.UnicodeScalarView()
        var index = body.startIndex
        func hex(_ count: Int, _ name: String) throws -> Unicode.Scalar {
            guard body.endIndex - index >= count else { throw fail("truncated \\\(name) escape in string", at: offset) }
            var code: UInt32 = 0
            for scalar in body[index..<(index + count)] {
                guard let digit = Character(scalar).hexDigitValue else { throw fail("truncated \\\(name) escape in string", at: offset) }
                code = code * 16 + UInt32(digit)
            }
            index += count
            guard let scalar = Unicode.Scalar(code) else { throw fail("illegal Unicode character in \\\(name) escape", at: offset) }
            return scalar
        }
        while index < body.endIndex {
            let scalar = body[index]
            index += 1
            guard scalar == "\\", index < body.endIndex else {
                result.append(scalar)
                continue
            }
            let escape = body[index]
            index += 1
            switch escape {
            case "\n": break
            case "\\", "'", "\"": result.append(escape)
            case "a": result.append("\u{7}")
            case "b": result.append("\u{8}")
            case "f": result.append("\u{C}")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "t": result.append("\t")
            case "v": result.append("\u{B}")
            case "x": result.append(try hex(2, "xXX"))
            case "u": result.append(try hex(4, "uXXXX"))
            case "U": result.append(try hex(8, "UXXXXXXXX"))
            case "0"..."7":
                var code = escape.value - 48
                var count = 1
                while count < 3, index < body.endIndex, ("0"..."7").contains(body[index]) {
                    code = code * 8 + body[index].value - 48
                    index += 1
                    count += 1
                }
                result.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            case "N": throw fail("\\N{...} escapes are not supported in strings", at: offset)
            default:
                result.append("\\")
                result.append(escape)
            }
        }
        return String(result)
    }
}
