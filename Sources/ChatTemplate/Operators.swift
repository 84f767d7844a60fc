import Foundation

/// Python's operators on values: equality, ordering, membership, iteration, length and arithmetic, with
/// Python's error messages. An undefined operand fails with its own message, as jinja2's `Undefined` does.

func failIfUndefined(_ values: Value...) throws {
    for case .undefined(let undefined) in values { throw RenderFailure(undefined.hint) }
}

/// Python's `==`: numbers across int, float and bool; strings by code point; lists and tuples by item; dicts
/// whatever the order; two undefined values are equal.
func pyEqual(_ a: Value, _ b: Value, depth: Int = 0) throws -> Bool {
    guard depth <= Value.maxDepth else { throw RenderFailure("a value nests more than \(Value.maxDepth) levels deep") }
    switch (a, b) {
    case (.undefined, .undefined), (.none, .none): return true
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        guard x.count == y.count else { return false }
        // Python compares items by identity first, so a list equals itself; here, one storage is one list.
        // Without this, a value built by doubling (`[v, v]`, 60 times) would take 2^60 comparisons.
        if sameStorage(x, y) { return true }
        for (left, right) in zip(x, y) where !(try pyEqual(left, right, depth: depth + 1)) { return false }
        return true
    case (.dict(let x), .dict(let y)):
        guard x.count == y.count else { return false }
        for (key, value) in x.pairs {
            guard let other = y[key], try pyEqual(value, other, depth: depth + 1) else { return false }
        }
        return true
    case (.namespace(let x), .namespace(let y)): return x === y
    case (.macro(let x), .macro(let y)): return x === y
    case (.loop(let x), .loop(let y)): return x === y
    default:
        if let x = a.integer, let y = b.integer { return x == y }
        if let x = a.number, let y = b.number { return x == y }
        return false
    }
}

private func sameStorage(_ x: [Value], _ y: [Value]) -> Bool {
    x.withUnsafeBufferPointer { a in y.withUnsafeBufferPointer { b in a.baseAddress != nil && a.baseAddress == b.baseAddress } }
}

/// Python's ordering operators (`<`, `<=`, `>`, `>=`): numbers, strings by code point, and lists or tuples
/// item by item. Anything else is a type error.
func pyCompare(_ a: Value, _ b: Value, _ op: CompareOperator, depth: Int = 0) throws -> Bool {
    try failIfUndefined(a, b)
    guard depth <= Value.maxDepth else { throw RenderFailure("a value nests more than \(Value.maxDepth) levels deep") }
    func order<T: Comparable>(_ x: T, _ y: T) -> Bool {
        switch op {
        case .less: return x < y
        case .lessOrEqual: return x <= y
        case .greater: return x > y
        default: return x >= y
        }
    }
    switch (a, b) {
    case (.string(let x), .string(let y)):
        if x.unicodeScalars.elementsEqual(y.unicodeScalars) { return order(0, 0) }
        let less = x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        return order(less ? 0 : 1, less ? 1 : 0)
    case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
        for (left, right) in zip(x, y) where !(try pyEqual(left, right, depth: depth + 1)) {
            return try pyCompare(left, right, op, depth: depth + 1)
        }
        return order(x.count, y.count)
    default:
        if let x = a.integer, let y = b.integer { return order(x, y) }
        if let x = a.number, let y = b.number { return order(x, y) }
        throw RenderFailure("'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
    }
}

/// Python's `item in container`.
func pyContains(_ container: Value, _ item: Value) throws -> Bool {
    switch container {
    case .string(let text):
        guard case .string(let needle) = item else {
            throw RenderFailure("'in <string>' requires string as left operand, not \(item.typeName)")
        }
        return needle.isEmpty || pyFind(text.scalars, needle.scalars) != nil
    case .list(let items), .tuple(let items):
        for candidate in items where try pyEqual(candidate, item) { return true }
        return false
    case .dict(let dict):
        switch item {
        case .string(let key): return dict[key] != nil
        case .list, .dict: throw RenderFailure("unhashable type: '\(item.typeName)'")
        default: return false
        }
    case .undefined: return false
    case .loop(let loop): return try pyContains(.list(loop.items), item)
    default: throw RenderFailure("argument of type '\(container.typeName)' is not iterable")
    }
}

/// The items of `for x in value`: a string's characters, a dict's keys, nothing for an undefined value.
func pyIterate(_ value: Value) throws -> [Value] {
    switch value {
    case .list(let items), .tuple(let items): return items
    case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
    case .dict(let dict): return dict.keys.map { .string($0) }
    case .undefined: return []
    case .loop(let loop): return loop.items
    default: throw RenderFailure("'\(value.typeName)' object is not iterable")
    }
}

/// Python's `len(value)`; an undefined value has length 0.
func pyLength(_ value: Value) throws -> Int {
    switch value {
    case .string(let text): return text.unicodeScalars.count
    case .list(let items), .tuple(let items): return items.count
    case .dict(let dict): return dict.count
    case .undefined: return 0
    case .loop(let loop): return loop.items.count
    default: throw RenderFailure("object of type '\(value.typeName)' has no len()")
    }
}

private func overflow() -> RenderFailure { RenderFailure("integer overflow: the result does not fit in 64 bits") }

private func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> Value {
    guard !result.overflow else { throw overflow() }
    return .int(result.partialValue)
}

/// `count` copies of `items`, or a failure when the result would hold more than `Limits.maxItems`.
private func repeated(_ items: [Value], _ count: Int) throws -> [Value] {
    guard count > 0, !items.isEmpty else { return [] }
    let total = items.count.multipliedReportingOverflow(by: count)
    try ensureItemsFit(total.overflow ? .max : total.partialValue, "the repeated list")
    return Array([[Value]](repeating: items, count: count).joined())
}

/// `count` copies of `text`, or a failure when the result would be longer than `Limits.maxTextBytes`.
private func repeated(_ text: String, _ count: Int) throws -> String {
    guard count > 0, !text.isEmpty else { return "" }
    let total = text.utf8.count.multipliedReportingOverflow(by: count)
    try ensureTextFits(total.overflow ? .max : total.partialValue, "the repeated string")
    return String(repeating: text, count: count)
}

/// Python's float `divmod`, which floor division and modulo of floats both come from.
private func floatDivMod(_ x: Double, _ y: Double) -> (quotient: Double, remainder: Double) {
    var remainder = fmod(x, y)
    var quotient = (x - remainder) / y
    if remainder != 0 {
        if (y < 0) != (remainder < 0) {
            remainder += y
            quotient -= 1
        }
    } else {
        remainder = copysign(0, y)
    }
    var floored: Double
    if quotient != 0 {
        floored = quotient.rounded(.down)
        if quotient - floored > 0.5 { floored += 1 }
    } else {
        floored = copysign(0, x / y)
    }
    return (floored, remainder)
}

/// Python's arithmetic operators.
func pyBinary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
    try failIfUndefined(a, b)
    let unsupported = RenderFailure("unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
    switch op {
    case .add:
        switch (a, b) {
        case (.string(let x), .string(let y)):
            try ensureTextFits(x.utf8.count + y.utf8.count, "the concatenated string")
            return .string(x + y)
        case (.list(let x), .list(let y)):
            try ensureItemsFit(x.count + y.count, "the concatenated list")
            return .list(x + y)
        case (.tuple(let x), .tuple(let y)):
            try ensureItemsFit(x.count + y.count, "the concatenated tuple")
            return .tuple(x + y)
        case (.string, _): throw RenderFailure("can only concatenate str (not \"\(b.typeName)\") to str")
        case (.list, _): throw RenderFailure("can only concatenate list (not \"\(b.typeName)\") to list")
        default:
            if let x = a.integer, let y = b.integer { return try checked(x.addingReportingOverflow(y)) }
            guard let x = a.number, let y = b.number else { throw unsupported }
            return .double(x + y)
        }
    case .subtract:
        if let x = a.integer, let y = b.integer { return try checked(x.subtractingReportingOverflow(y)) }
        guard let x = a.number, let y = b.number else { throw unsupported }
        return .double(x - y)
    case .multiply:
        switch (a, b) {
        case (.string(let text), _) where b.integer != nil, (_, .string(let text)) where a.integer != nil:
            return .string(try repeated(text, b.integer ?? a.integer ?? 0))
        case (.list(let items), _) where b.integer != nil, (_, .list(let items)) where a.integer != nil:
            return .list(try repeated(items, b.integer ?? a.integer ?? 0))
        case (.tuple(let items), _) where b.integer != nil, (_, .tuple(let items)) where a.integer != nil:
            return .tuple(try repeated(items, b.integer ?? a.integer ?? 0))
        default:
            if let x = a.integer, let y = b.integer { return try checked(x.multipliedReportingOverflow(by: y)) }
            guard let x = a.number, let y = b.number else { throw unsupported }
            return .double(x * y)
        }
    case .divide:
        guard let x = a.number, let y = b.number else { throw unsupported }
        guard y != 0 else { throw RenderFailure("division by zero") }
        return .double(x / y)
    case .floorDivide, .modulo:
        if case .string = a, op == .modulo { throw RenderFailure("string formatting with '%' is not supported; use '~' or format()") }
        if let x = a.integer, let y = b.integer {
            guard y != 0 else { throw RenderFailure(op == .modulo ? "integer modulo by zero" : "integer division or modulo by zero") }
            // Int.min / -1 does not fit, and Swift traps computing even its remainder, which Python says is 0.
            if x == .min, y == -1 {
                guard op == .modulo else { throw overflow() }
                return .int(0)
            }
            var quotient = x / y, remainder = x % y
            if remainder != 0, (remainder < 0) != (y < 0) {
                quotient -= 1
                remainder += y
            }
            return .int(op == .modulo ? remainder : quotient)
        }
        guard let x = a.number, let y = b.number else { throw unsupported }
        guard y != 0 else { throw RenderFailure(op == .modulo ? "float modulo" : "float floor division by zero") }
        let result = floatDivMod(x, y)
        return .double(op == .modulo ? result.remainder : result.quotient)
    case .power:
        if let base = a.integer, let exponent = b.integer {
            if exponent >= 0 {
                var result = 1, factor = base, remaining = exponent
                while remaining > 0 {
                    if remaining & 1 == 1 {
                        let product = result.multipliedReportingOverflow(by: factor)
                        guard !product.overflow else { throw overflow() }
                        result = product.partialValue
                    }
                    remaining >>= 1
                    if remaining > 0 {
                        let square = factor.multipliedReportingOverflow(by: factor)
                        guard !square.overflow else { throw overflow() }
                        factor = square.partialValue
                    }
                }
                return .int(result)
            }
            guard base != 0 else { throw RenderFailure("0.0 cannot be raised to a negative power") }
            return .double(pow(Double(base), Double(exponent)))
        }
        guard let x = a.number, let y = b.number else { throw unsupported }
        if x == 0, y < 0 { throw RenderFailure("0.0 cannot be raised to a negative power") }
        if x < 0, y != y.rounded() { throw RenderFailure("a negative number to a fractional power is complex, which templates do not support") }
        return .double(pow(x, y))
    }
}

/// Unary minus and plus.
func pyUnary(negate: Bool, _ value: Value) throws -> Value {
    try failIfUndefined(value)
    if let i = value.integer {
        guard negate else { return .int(i) }
        guard i != .min else { throw overflow() }
        return .int(-i)
    }
    if case .double(let d) = value { return .double(negate ? -d : d) }
    throw RenderFailure("bad operand type for unary \(negate ? "-" : "+"): '\(value.typeName)'")
}
