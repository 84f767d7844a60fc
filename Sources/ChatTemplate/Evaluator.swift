/// Expression evaluation. Every failure is reported at the innermost node that failed.
extension Interpreter {
    func evaluate(_ expression: Expr, _ scope: Scope) throws -> Value {
        do {
            try spend(1)
            let value = try evaluateNode(expression, scope)
            // Strings that grow by adding (`s + s` in a loop) are caught here; those that multiply, before they are built.
            if case .string(let text) = value { try ensureTextFits(text.utf8.count, "a string") }
            return value
        } catch let failure as RenderFailure {
            throw error(failure, at: expression.offset)
        }
    }

    func evaluate(_ arguments: CallArguments, _ scope: Scope) throws -> Arguments {
        Arguments(positional: try arguments.positional.map { try evaluate($0, scope) },
                  keyword: try arguments.keyword.map { ($0.name, try evaluate($0.value, scope)) })
    }

    private func evaluateNode(_ expression: Expr, _ scope: Scope) throws -> Value {
        switch expression.kind {
        case .constant(let constant):
            switch constant {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let s): return .string(s)
            }
        case .name(let name):
            return scope.lookup(name) ?? Globals.lookup(name) ?? .undefined("'\(name)' is undefined")
        case .list(let items):
            let list = Value.list(try items.map { try evaluate($0, scope) })
            try ensureNestingFits(list)
            return list
        case .tuple(let items):
            let tuple = Value.tuple(try items.map { try evaluate($0, scope) })
            try ensureNestingFits(tuple)
            return tuple
        case .dict(let pairs):
            var dict = Dict()
            for (keyExpression, valueExpression) in pairs {
                guard case .string(let key) = try evaluate(keyExpression, scope) else {
                    throw error(RenderFailure("dict keys must be strings in chat templates"), at: keyExpression.offset)
                }
                dict[key] = try evaluate(valueExpression, scope)
            }
            try ensureNestingFits(.dict(dict))
            return .dict(dict)
        case .attribute(let base, let name):
            let object = try evaluate(base, scope)
            let attribute = try getAttribute(object, name)
            // A method (`join`, `count`, `index`, `split`...) works through its receiver.
            if case .function = attribute { try spend(object.weight) }
            return attribute
        case .item(let base, let key):
            return try getItem(try evaluate(base, scope), try evaluate(key, scope))
        case .slice(let base, let start, let stop, let step):
            let object = try evaluate(base, scope)
            let slice = try getSlice(object, start: try start.map { try evaluate($0, scope) }, stop: try stop.map { try evaluate($0, scope) },
                                     step: try step.map { try evaluate($0, scope) })
            try spend(slice.weight)
            return slice
        case .call(let callee, let arguments):
            let function = try evaluate(callee, scope)
            let result = try call(function, try evaluate(arguments, scope), at: expression.offset)
            try spend(result.weight)
            // `dict(a=v)` and `namespace(a=v)` wrap their arguments as a literal does.
            switch result {
            case .dict: try ensureNestingFits(result)
            case .namespace:
                try ensureNestingFits(result)
                namespacesMade += 1
                guard namespacesMade <= Limits.maxNamespaces else {
                    throw RenderFailure("the template made more than \(Limits.maxNamespaces) namespaces, the limit for one render")
                }
            default: break
            }
            return result
        case .filter(let base, let name, let arguments):
            let value = try evaluate(base, scope)
            let values = try evaluate(arguments, scope)
            guard let filter = Filters.table[name] else { throw RenderFailure("No filter named '\(name)'.") }
            try spend(value.weight)
            let result = try filter(value, values)
            try spend(result.weight)
            return result
        case .test(let base, let name, let arguments, let negated):
            let value = try evaluate(base, scope)
            let values = try evaluate(arguments, scope)
            guard let test = Predicates.table[name] else { throw RenderFailure("No test named '\(name)'.") }
            try spend(value.weight)
            return .bool(try test(value, values) != negated)
        case .negate(let operand):
            return try pyUnary(negate: true, try evaluate(operand, scope))
        case .plus(let operand):
            return try pyUnary(negate: false, try evaluate(operand, scope))
        case .not(let operand):
            return .bool(!(try evaluate(operand, scope).truthy))
        case .binary(let op, let left, let right):
            let a = try evaluate(left, scope)
            let result = try pyBinary(op, a, try evaluate(right, scope))
            try spend(result.weight)
            return result
        case .concat(let items):
            let text = try joinWithinLimit(items, separator: "", "the concatenated string") { try pyStr(try evaluate($0, scope)) }
            try spend(text.utf8.count >> 6)
            return .string(text)
        case .compare(let first, let rest):
            var left = try evaluate(first, scope)
            for (op, operand) in rest {
                let right = try evaluate(operand, scope)
                // `in` and comparing lists walk their items, and the items' items.
                try spendToCompare(left)
                try spendToCompare(right)
                let holds: Bool
                switch op {
                case .equal: holds = try pyEqual(left, right)
                case .notEqual: holds = try !pyEqual(left, right)
                case .contains: holds = try pyContains(right, left)
                case .notContains: holds = try !pyContains(right, left)
                default: holds = try pyCompare(left, right, op)
                }
                guard holds else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let left, let right):
            let value = try evaluate(left, scope)
            return value.truthy ? try evaluate(right, scope) : value
        case .or(let left, let right):
            let value = try evaluate(left, scope)
            return value.truthy ? value : try evaluate(right, scope)
        case .conditional(let test, let then, let otherwise):
            if try evaluate(test, scope).truthy { return try evaluate(then, scope) }
            guard let otherwise else {
                return .undefined("the inline if-expression on line \(map.location(expression.offset).line) evaluated to false and no else section was defined.")
            }
            return try evaluate(otherwise, scope)
        }
    }
}
