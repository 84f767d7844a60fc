/// Expressions, by jinja2's precedence from loosest to tightest: `x if c else y`, `or`, `and`, `not`,
/// comparisons and `in`, `+ -`, `~`, `* / // %`, `**` (left-associative, as in jinja2), unary `- +`, then a
/// primary with its postfix `.attr`, `[key]`, calls, filters and tests.
extension Parser {
    /// Builds a node, refusing trees taller than the nesting limit.
    func node(_ kind: Expr.Kind, at offset: Int) throws -> Expr {
        let expression = Expr(kind, at: offset)
        guard expression.depth <= Self.maxNesting else {
            throw fail("the expression nests more than \(Self.maxNesting) levels deep", at: offset)
        }
        return expression
    }

    /// Comma-separated expressions: one without a comma is itself, more make a tuple. `simplified` takes only
    /// primaries (assignment targets).
    mutating func parseTuple(simplified: Bool = false, withCondexpr: Bool = true, extraEnd: Set<String> = [],
                             explicitParentheses: Bool = false) throws -> Expr
    {
        let start = current.offset
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            items.append(simplified ? try parsePrimary() : try parseExpression(withCondexpr: withCondexpr))
            guard isOp(",") else { break }
            isTuple = true
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw fail("expected an expression, found \(found())") }
        }
        return try node(.tuple(items), at: start)
    }

    func isTupleEnd(_ extraEnd: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .eof: return true
        case .op: return current.text == ")"
        case .name: return extraEnd.contains(current.text)
        default: return false
        }
    }

    mutating func parseExpression(withCondexpr: Bool = true) throws -> Expr {
        withCondexpr ? try parseConditional() : try parseOr()
    }

    mutating func parseConditional() throws -> Expr {
        let start = current.offset
        var expression = try parseOr()
        while skipName("if") {
            let test = try parseOr()
            let otherwise = skipName("else") ? try parseElse() : nil
            expression = try node(.conditional(test: test, then: expression, otherwise: otherwise), at: start)
        }
        return expression
    }

    /// The `else` part of `x if c else y`, which recurses for each `else ... if`; counted as a level of nesting
    /// so that a long chain fails instead of exhausting the stack.
    mutating func parseElse() throws -> Expr {
        try enter()
        defer { leave() }
        return try parseConditional()
    }

    mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while isName("or") {
            let offset = advance().offset
            left = try node(.or(left, try parseAnd()), at: offset)
        }
        return left
    }

    mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while isName("and") {
            let offset = advance().offset
            left = try node(.and(left, try parseNot()), at: offset)
        }
        return left
    }

    mutating func parseNot() throws -> Expr {
        guard isName("not") else { return try parseCompare() }
        let offset = advance().offset
        try enter()
        defer { leave() }
        return try node(.not(try parseNot()), at: offset)
    }

    private static let compareOperators: [String: CompareOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    mutating func parseCompare() throws -> Expr {
        let start = current.offset
        let first = try parseMath1()
        var operations: [(op: CompareOperator, operand: Expr)] = []
        while true {
            if current.kind == .op, let op = Self.compareOperators[current.text] {
                advance()
                operations.append((op, try parseMath1()))
            } else if skipName("in") {
                operations.append((.contains, try parseMath1()))
            } else if isName("not"), lookahead.kind == .name, lookahead.text == "in" {
                advance()
                advance()
                operations.append((.notContains, try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? first : try node(.compare(first, operations), at: start)
    }

    mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        while isOp("+") || isOp("-") {
            let token = advance()
            left = try node(.binary(token.text == "+" ? .add : .subtract, left, try parseConcat()), at: token.offset)
        }
        return left
    }

    mutating func parseConcat() throws -> Expr {
        let start = current.offset
        var items = [try parseMath2()]
        while skipOp("~") { items.append(try parseMath2()) }
        return items.count == 1 ? items[0] : try node(.concat(items), at: start)
    }

    mutating func parseMath2() throws -> Expr {
        var left = try parsePow()
        while current.kind == .op, let op = BinaryOperator(rawValue: current.text), [.multiply, .divide, .floorDivide, .modulo].contains(op) {
            let offset = advance().offset
            left = try node(.binary(op, left, try parsePow()), at: offset)
        }
        return left
    }

    mutating func parsePow() throws -> Expr {
        var left = try parseUnary()
        while isOp("**") {
            let offset = advance().offset
            left = try node(.binary(.power, left, try parseUnary()), at: offset)
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        try enter()
        defer { leave() }
        var expression: Expr
        if isOp("-") || isOp("+") {
            let token = advance()
            let operand = try parseUnary(withFilter: false)
            expression = try node(token.text == "-" ? .negate(operand) : .plus(operand), at: token.offset)
        } else {
            expression = try parsePrimary()
        }
        expression = try parsePostfix(expression)
        if withFilter { expression = try parseFilterExpression(expression) }
        return expression
    }

    mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .name:
            advance()
            switch token.text {
            case "true", "True": return try node(.constant(.bool(true)), at: token.offset)
            case "false", "False": return try node(.constant(.bool(false)), at: token.offset)
            case "none", "None": return try node(.constant(.none), at: token.offset)
            default: return try node(.name(token.text), at: token.offset)
            }
        case .string:
            var text = advance().text
            while current.kind == .string { text += advance().text }
            return try node(.constant(.string(text)), at: token.offset)
        case .integer:
            advance()
            return try node(.constant(.int(token.integer)), at: token.offset)
        case .float:
            advance()
            return try node(.constant(.double(token.float)), at: token.offset)
        case .op where token.text == "(":
            advance()
            try enter()
            defer { leave() }
            let expression = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return expression
        case .op where token.text == "[":
            advance()
            try enter()
            defer { leave() }
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            advance()
            return try node(.list(items), at: token.offset)
        case .op where token.text == "{":
            advance()
            try enter()
            defer { leave() }
            var pairs: [(key: Expr, value: Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            advance()
            return try node(.dict(pairs), at: token.offset)
        default:
            throw fail("unexpected \(found())")
        }
    }

    mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var expression = base
        while true {
            if isOp(".") || isOp("[") {
                expression = try parseSubscript(expression)
            } else if isOp("(") {
                expression = try node(.call(expression, try parseCallArguments()), at: expression.offset)
            } else {
                return expression
            }
        }
    }

    mutating func parseFilterExpression(_ base: Expr) throws -> Expr {
        var expression = base
        while true {
            if isOp("|") {
                for filter in try parseFilterChain(startInline: false) {
                    expression = try node(.filter(expression, name: filter.name, filter.arguments), at: filter.offset)
                }
            } else if isName("is") {
                expression = try parseTest(expression)
            } else if isOp("(") {
                expression = try node(.call(expression, try parseCallArguments()), at: expression.offset)
            } else {
                return expression
            }
        }
    }

    mutating func parseSubscript(_ base: Expr) throws -> Expr {
        let token = advance()
        if token.text == "." {
            let attribute = advance()
            switch attribute.kind {
            case .name: return try node(.attribute(base, attribute.text), at: base.offset)
            case .integer: return try node(.item(base, try node(.constant(.int(attribute.integer)), at: attribute.offset)), at: base.offset)
            default: throw fail("expected an attribute name or number after '.', found '\(attribute.description)'", at: attribute.offset)
            }
        }
        try enter()
        defer { leave() }
        var keys: [Expr] = []
        var slice: (start: Expr?, stop: Expr?, step: Expr?)?
        while !isOp("]") {
            if !keys.isEmpty || slice != nil { try expectOp(",") }
            if isOp("]") { break }
            var start: Expr?
            if !isOp(":") {
                let key = try parseExpression()
                guard isOp(":") else {
                    keys.append(key)
                    continue
                }
                start = key
            }
            advance()
            let stop = isOp(":") || isOp("]") || isOp(",") ? nil : try parseExpression()
            var step: Expr?
            if skipOp(":"), !isOp("]"), !isOp(",") { step = try parseExpression() }
            guard slice == nil, keys.isEmpty else { throw fail("a subscript with a slice cannot hold other keys") }
            slice = (start, stop, step)
        }
        advance()
        if let slice {
            guard keys.isEmpty else { throw fail("a subscript with a slice cannot hold other keys", at: token.offset) }
            return try node(.slice(base, start: slice.start, stop: slice.stop, step: slice.step), at: base.offset)
        }
        let key = keys.count == 1 ? keys[0] : try node(.tuple(keys), at: token.offset)
        return try node(.item(base, key), at: base.offset)
    }

    /// `(a, b, name=c)`. `*args` and `**kwargs` are refused.
    mutating func parseCallArguments() throws -> CallArguments {
        let open = advance()
        try enter()
        defer { leave() }
        var arguments = CallArguments()
        var first = true
        while !isOp(")") {
            if !first {
                try expectOp(",")
                if isOp(")") { break }
            }
            first = false
            if isOp("*") || isOp("**") { throw fail("'*' and '**' arguments are not supported") }
            if current.kind == .name, lookahead.kind == .op, lookahead.text == "=" {
                let name = advance().text
                advance()
                arguments.keyword.append((name, try parseExpression()))
            } else {
                guard arguments.keyword.isEmpty else { throw fail("a positional argument follows a keyword argument", at: open.offset) }
                arguments.positional.append(try parseExpression())
            }
        }
        advance()
        return arguments
    }

    /// `|name(args)|name...`; with `startInline` the first filter has no `|` (a `{% filter %}` block).
    mutating func parseFilterChain(startInline: Bool) throws -> [FilterCall] {
        var filters: [FilterCall] = []
        var inline = startInline
        while isOp("|") || inline {
            if !inline { advance() }
            inline = false
            let token = try expect(.name, "a filter name")
            var name = token.text
            while skipOp(".") { name += "." + (try expect(.name, "a filter name").text) }
            if Filters.table[name] == nil {
                let reason = Filters.refused.contains(name) ? "is not supported in chat templates" : "does not exist"
                throw fail("the filter '\(name)' \(reason)", at: token.offset)
            }
            let arguments = isOp("(") ? try parseCallArguments() : CallArguments()
            filters.append(FilterCall(name: name, arguments: arguments, offset: token.offset))
        }
        return filters
    }

    mutating func parseTest(_ base: Expr) throws -> Expr {
        let token = advance()
        let negated = skipName("not")
        let nameToken = try expect(.name, "a test name after 'is'")
        var name = nameToken.text
        while skipOp(".") { name += "." + (try expect(.name, "a test name").text) }
        guard Predicates.table[name] != nil else { throw fail("the test '\(name)' does not exist", at: nameToken.offset) }
        var arguments = CallArguments()
        if isOp("(") {
            arguments = try parseCallArguments()
        } else if [.name, .string, .integer, .float].contains(current.kind) || isOp("[") || isOp("{"),
                  !isName("else"), !isName("or"), !isName("and")
        {
            if isName("is") { throw fail("tests cannot be chained with another 'is'") }
            arguments.positional = [try parsePostfix(try parsePrimary())]
        }
        return try node(.test(base, name: name, arguments, negated: negated), at: token.offset)
    }
}
