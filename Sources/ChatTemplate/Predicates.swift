/// jinja2's tests (`x is name`, `select('name')`), answering as they do for the Python objects behind each
/// value: a bool is a number, a dict and an undefined value count as sequences, a string is iterable.
enum Predicates {
    typealias Test = @Sendable (Value, Arguments) throws -> Bool

    private static func simple(_ name: String, _ body: @escaping @Sendable (Value) throws -> Bool) -> Test {
        { value, arguments in
            try arguments.bind(name, [])
            return try body(value)
        }
    }

    private static func compare(_ name: String, _ op: CompareOperator) -> Test {
        { value, arguments in
            guard let other = try arguments.bind(name, ["other"])[0] else { throw RenderFailure("the test '\(name)' needs a value to compare with") }
            switch op {
            case .equal: return try pyEqual(value, other)
            case .notEqual: return try !pyEqual(value, other)
            default: return try pyCompare(value, other, op)
            }
        }
    }

    private static func parity(_ name: String, odd: Bool) -> Test {
        simple(name) { value in
            guard case .int(let remainder) = try pyBinary(.modulo, value, .int(2)) else {
                if case .double(let d) = try pyBinary(.modulo, value, .int(2)) { return d == (odd ? 1 : 0) }
                return false
            }
            return remainder == (odd ? 1 : 0)
        }
    }

    static let table: [String: Test] = [
        "defined": simple("defined") { !$0.isUndefined },
        "undefined": simple("undefined") { $0.isUndefined },
        "none": simple("none") { if case .none = $0 { return true } else { return false } },
        "boolean": simple("boolean") { if case .bool = $0 { return true } else { return false } },
        "true": simple("true") { if case .bool(true) = $0 { return true } else { return false } },
        "false": simple("false") { if case .bool(false) = $0 { return true } else { return false } },
        "integer": simple("integer") { if case .int = $0 { return true } else { return false } },
        "float": simple("float") { if case .double = $0 { return true } else { return false } },
        "number": simple("number") { $0.number != nil },
        "string": simple("string") { if case .string = $0 { return true } else { return false } },
        "mapping": simple("mapping") { if case .dict = $0 { return true } else { return false } },
        "sequence": simple("sequence") {
            switch $0 {
            case .string, .list, .tuple, .dict, .undefined: return true
            default: return false
            }
        },
        "iterable": simple("iterable") {
            switch $0 {
            case .string, .list, .tuple, .dict, .undefined, .loop: return true
            default: return false
            }
        },
        "callable": simple("callable") {
            switch $0 {
            case .function, .macro, .undefined: return true
            default: return false
            }
        },
        "lower": simple("lower") { pyIsCase(try pyStr($0), upper: false) },
        "upper": simple("upper") { pyIsCase(try pyStr($0), upper: true) },
        "escaped": simple("escaped") { _ in false },
        "odd": parity("odd", odd: true),
        "even": parity("even", odd: false),
        "divisibleby": { value, arguments in
            guard let divisor = try arguments.bind("divisibleby", ["num"])[0] else { throw RenderFailure("divisibleby needs a number") }
            let remainder = try pyBinary(.modulo, value, divisor)
            return remainder.number == 0
        },
        "sameas": { value, arguments in
            guard let other = try arguments.bind("sameas", ["other"])[0] else { throw RenderFailure("sameas needs a value") }
            switch (value, other) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.int(let a), .int(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a === b
            default: return false
            }
        },
        "in": { value, arguments in
            guard let container = try arguments.bind("in", ["seq"])[0] else { throw RenderFailure("the test 'in' needs a container") }
            return try pyContains(container, value)
        },
        "filter": simple("filter") { if case .string(let name) = $0 { return Filters.table[name] != nil } else { return false } },
        "test": simple("test") { if case .string(let name) = $0 { return Predicates.table[name] != nil } else { return false } },
        "eq": compare("eq", .equal), "equalto": compare("equalto", .equal), "==": compare("==", .equal),
        "ne": compare("ne", .notEqual), "!=": compare("!=", .notEqual),
        "lt": compare("lt", .less), "lessthan": compare("lessthan", .less), "<": compare("<", .less),
        "le": compare("le", .lessOrEqual), "<=": compare("<=", .lessOrEqual),
        "gt": compare("gt", .greater), "greaterthan": compare("greaterthan", .greater), ">": compare(">", .greater),
        "ge": compare("ge", .greaterOrEqual), ">=": compare(">=", .greaterOrEqual),
    ]
}
