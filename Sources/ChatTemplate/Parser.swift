/// Turns tokens into nodes, following jinja2's parser rule for rule so that precedence, the places where
/// tuples are allowed and the odd corners (left-associative `**`, tests binding tighter than arithmetic) match.
/// Statements are here; expressions are in ExpressionParser.swift.
struct Parser {
    /// How deeply blocks and expressions may nest. Real chat templates nest a handful of levels; the limit keeps a
    /// hostile template from exhausting the stack while it is parsed or rendered.
    static let maxNesting = 100

    let tokens: [Token]
    let map: SourceMap
    var index = 0
    var nesting = 0
    /// Loops enclosing the current statement within the current macro, for `break` and `continue`.
    var loopDepth = 0
    /// Blocks being parsed, innermost last: the tag name and where it was opened.
    var openBlocks: [(tag: String, offset: Int)] = []

    init(tokens: [Token], map: SourceMap) {
        self.tokens = tokens
        self.map = map
    }

    var current: Token { tokens[index] }
    var lookahead: Token { tokens[min(index + 1, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func isName(_ name: String) -> Bool { current.kind == .name && current.text == name }
    func isOp(_ op: String) -> Bool { current.kind == .op && current.text == op }

    mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        advance()
        return true
    }

    mutating func skipOp(_ op: String) -> Bool {
        guard isOp(op) else { return false }
        advance()
        return true
    }

    func fail(_ message: String, at offset: Int? = nil) -> TemplateError {
        map.error(.syntax, at: offset ?? current.offset, message)
    }

    func found() -> String { current.kind == .eof ? "the end of the template" : "'\(current.description)'" }

    @discardableResult
    mutating func expect(_ kind: Token.Kind, _ what: String) throws -> Token {
        guard current.kind == kind else { throw fail("expected \(what), found \(found())") }
        return advance()
    }

    mutating func expectOp(_ op: String) throws {
        guard skipOp(op) else { throw fail("expected '\(op)', found \(found())") }
    }

    mutating func expectName(_ name: String) throws {
        guard skipName(name) else { throw fail("expected '\(name)', found \(found())") }
    }

    /// Counts one level of recursion; every recursive path of the parser passes through here.
    mutating func enter() throws {
        nesting += 1
        guard nesting <= Self.maxNesting else { throw fail("the template nests blocks or expressions more than \(Self.maxNesting) levels deep") }
    }

    mutating func leave() { nesting -= 1 }

    // MARK: Templates and statements

    mutating func parseTemplate() throws -> [Node] {
        let body = try subparse(until: [])
        guard current.kind == .eof else { throw fail("unexpected \(found())") }
        return body
    }

    /// Nodes up to a block tag named in `endTags` (left as the current token) or the end of the template.
    mutating func subparse(until endTags: Set<String>) throws -> [Node] {
        var body: [Node] = []
        while true {
            switch current.kind {
            case .data:
                body.append(.text(advance().text))
            case .variableBegin:
                advance()
                let expression = try parseTuple()
                try expect(.variableEnd, "'}}' to end the expression")
                body.append(.output(expression))
            case .blockBegin:
                advance()
                if current.kind == .name, endTags.contains(current.text) { return body }
                let tag = current.text
                body.append(try parseStatement())
                try expect(.blockEnd, "'%}' to end the '\(tag)' tag")
            case .eof:
                return body
            default:
                throw fail("unexpected \(found())")
            }
        }
    }

    /// The body of a block: the end of the opening tag, then nodes up to one of `endTags`, which is consumed
    /// when `dropNeedle` is set.
    mutating func parseBody(_ endTags: Set<String>, dropNeedle: Bool = false) throws -> [Node] {
        _ = skipOp(":")
        try expect(.blockEnd, "'%}' to end the '\(openBlocks.last?.tag ?? "statement")' tag")
        let body = try subparse(until: endTags)
        if current.kind == .eof {
            let wanted = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
            let block = openBlocks.last
            throw fail("unexpected end of template: expected \(wanted) to close the '\(block?.tag ?? "")' block opened here",
                       at: block?.offset)
        }
        if dropNeedle { advance() }
        return body
    }

    private static let endTags: [String: String] = [
        "endif": "if", "elif": "if", "else": "if or for", "endfor": "for", "endset": "set", "endmacro": "macro",
        "endcall": "call", "endfilter": "filter", "endwith": "with", "endgeneration": "generation", "endraw": "raw",
    ]
    private static let refusedTags: Set<String> = ["block", "extends", "include", "import", "from", "autoescape", "do", "trans"]

    mutating func parseStatement() throws -> Node {
        let token = current
        guard token.kind == .name else { throw fail("expected a tag name, found \(found())") }
        if Self.refusedTags.contains(token.text) {
            throw fail("the '\(token.text)' tag is not supported in chat templates")
        }
        if let opener = Self.endTags[token.text] {
            if let open = openBlocks.last {
                throw fail("unexpected '\(token.text)' inside the '\(open.tag)' block opened at line \(map.location(open.offset).line)")
            }
            throw fail("unexpected '\(token.text)': no '\(opener)' block is open")
        }
        try enter()
        defer { leave() }
        openBlocks.append((token.text, token.offset))
        defer { openBlocks.removeLast() }
        switch token.text {
        case "if": return try parseIf()
        case "for": return try parseFor()
        case "set": return try parseSet()
        case "macro": return try parseMacro()
        case "call": return try parseCallBlock()
        case "filter":
            advance()
            let filters = try parseFilterChain(startInline: true)
            return .filterBlock(filters: filters, body: try parseBody(["endfilter"], dropNeedle: true))
        case "with": return try parseWith()
        case "print":
            advance()
            return .output(try parseTuple())
        case "generation":
            advance()
            let saved = loopDepth
            loopDepth = 0
            defer { loopDepth = saved }
            return .scoped(try parseBody(["endgeneration"], dropNeedle: true))
        case "break", "continue":
            guard loopDepth > 0 else { throw fail("'\(token.text)' outside a for loop") }
            advance()
            return token.text == "break" ? .breakLoop : .continueLoop
        default:
            throw fail("unknown tag '\(token.text)'", at: token.offset)
        }
    }

    mutating func parseIf() throws -> Node {
        advance()
        var branches: [(test: Expr, body: [Node])] = []
        var test = try parseTuple(withCondexpr: false)
        while true {
            branches.append((test, try parseBody(["elif", "else", "endif"])))
            let tag = advance().text
            if tag == "elif" {
                test = try parseTuple(withCondexpr: false)
                continue
            }
            if tag == "else" { return .conditional(branches: branches, otherwise: try parseBody(["endif"], dropNeedle: true)) }
            return .conditional(branches: branches, otherwise: [])
        }
    }

    mutating func parseFor() throws -> Node {
        let start = advance().offset
        let target = try parseAssignTarget(extraEnd: ["in"])
        try expectName("in")
        let iterable = try parseTuple(withCondexpr: false, extraEnd: ["recursive"])
        let condition = skipName("if") ? try parseExpression() : nil
        if isName("recursive") { throw fail("recursive for loops are not supported") }
        loopDepth += 1
        let body = try parseBody(["endfor", "else"])
        loopDepth -= 1
        let otherwise = advance().text == "else" ? try parseBody(["endfor"], dropNeedle: true) : []
        return .loop(ForLoop(target: target, iterable: iterable, condition: condition, body: body, otherwise: otherwise, offset: start))
    }

    mutating func parseSet() throws -> Node {
        let start = advance().offset
        let target = try parseAssignTarget(withNamespace: true)
        if skipOp("=") { return .assign(target, try parseTuple(), offset: start) }
        let filters = try parseFilterChain(startInline: false)
        return .assignBlock(target, filters: filters, body: try parseBody(["endset"], dropNeedle: true), offset: start)
    }

    mutating func parseMacro() throws -> Node {
        let start = advance().offset
        let name = try expect(.name, "the macro's name").text
        let parameters = try parseSignature()
        let saved = loopDepth
        loopDepth = 0
        defer { loopDepth = saved }
        return .macro(MacroDefinition(name: name, parameters: parameters, body: try parseBody(["endmacro"], dropNeedle: true), offset: start))
    }

    mutating func parseSignature() throws -> [(name: String, defaultValue: Expr?)] {
        try expectOp("(")
        var parameters: [(name: String, defaultValue: Expr?)] = []
        while !isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            let token = try expect(.name, "a parameter name")
            let name = token.text
            if skipOp("=") {
                parameters.append((name, try parseExpression()))
            } else if parameters.contains(where: { $0.defaultValue != nil }) {
                throw fail("non-default parameter '\(name)' follows a parameter with a default", at: token.offset)
            } else {
                parameters.append((name, nil))
            }
        }
        advance()
        return parameters
    }

    mutating func parseCallBlock() throws -> Node {
        let start = advance().offset
        let parameters = isOp("(") ? try parseSignature() : []
        let call = try parseExpression()
        guard case .call = call.kind else { throw fail("expected a macro call after 'call'", at: call.offset) }
        let saved = loopDepth
        loopDepth = 0
        defer { loopDepth = saved }
        let body = try parseBody(["endcall"], dropNeedle: true)
        return .callBlock(call: call, caller: MacroDefinition(name: "caller", parameters: parameters, body: body, offset: start))
    }

    mutating func parseWith() throws -> Node {
        advance()
        var assignments: [(target: Target, value: Expr)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectOp(",") }
            let target = try parseAssignTarget()
            try expectOp("=")
            assignments.append((target, try parseExpression()))
        }
        return .with(assignments: assignments, body: try parseBody(["endwith"], dropNeedle: true))
    }

    /// A name, a tuple of names (`k, v`), or with `withNamespace` an `ns.attribute`.
    mutating func parseAssignTarget(extraEnd: Set<String> = [], withNamespace: Bool = false) throws -> Target {
        if withNamespace, current.kind == .name, lookahead.kind == .op, lookahead.text == "." {
            let namespace = advance().text
            advance()
            return .attribute(namespace: namespace, attribute: try expect(.name, "an attribute name").text)
        }
        let expression = try parseTuple(simplified: true, extraEnd: extraEnd)
        func target(_ expression: Expr) throws -> Target {
            switch expression.kind {
            case .name(let name): return .name(name)
            case .tuple(let items): return .tuple(try items.map(target))
            default: throw fail("can only assign to names and tuples of names", at: expression.offset)
            }
        }
        return try target(expression)
    }
}
