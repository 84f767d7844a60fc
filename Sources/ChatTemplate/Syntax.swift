/// The parsed form of a template. Every node keeps the scalar offset it starts at, so that a failure while
/// rendering can name its line and column.

/// A literal written in the template.
enum Constant: Sendable {
    case none, bool(Bool), int(Int), double(Double), string(String)
}

/// Positional and keyword arguments of a call, filter or test, in the order written.
struct CallArguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(name: String, value: Expr)] = []

    var all: [Expr] { positional + keyword.map(\.value) }
}

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
}

enum CompareOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}

struct Expr: Sendable {
    indirect enum Kind: Sendable {
        case constant(Constant)
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case dict([(key: Expr, value: Expr)])
        case attribute(Expr, String)
        case item(Expr, Expr)
        case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
        case call(Expr, CallArguments)
        case filter(Expr, name: String, CallArguments)
        case test(Expr, name: String, CallArguments, negated: Bool)
        case negate(Expr)
        case plus(Expr)
        case not(Expr)
        case binary(BinaryOperator, Expr, Expr)
        case concat([Expr])
        case compare(Expr, [(op: CompareOperator, operand: Expr)])
        case and(Expr, Expr)
        case or(Expr, Expr)
        case conditional(test: Expr, then: Expr, otherwise: Expr?)
    }

    let kind: Kind
    let offset: Int
    /// The height of the tree below and including this node; the parser refuses trees taller than its limit,
    /// so that evaluating them cannot exhaust the stack.
    let depth: Int

    init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
        let children: [Expr]
        switch kind {
        case .constant, .name: children = []
        case .list(let items), .tuple(let items), .concat(let items): children = items
        case .dict(let pairs): children = pairs.flatMap { [$0.key, $0.value] }
        case .attribute(let base, _), .negate(let base), .plus(let base), .not(let base): children = [base]
        case .item(let base, let key): children = [base, key]
        case .slice(let base, let start, let stop, let step): children = [base] + [start, stop, step].compactMap { $0 }
        case .call(let base, let arguments), .filter(let base, _, let arguments), .test(let base, _, let arguments, _):
            children = [base] + arguments.all
        case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right): children = [left, right]
        case .compare(let first, let rest): children = [first] + rest.map(\.operand)
        case .conditional(let test, let then, let otherwise): children = [test, then] + (otherwise.map { [$0] } ?? [])
        }
        depth = 1 + (children.map(\.depth).max() ?? 0)
    }
}

/// What `set`, `for` and `with` assign to.
indirect enum Target: Sendable {
    case name(String)
    case tuple([Target])
    /// `ns.attribute`, only allowed on a namespace.
    case attribute(namespace: String, attribute: String)
}

/// A filter applied by a `{% filter %}` block or a `{% set x | filter %}` block.
struct FilterCall: Sendable {
    let name: String
    let arguments: CallArguments
    let offset: Int
}

struct ForLoop: Sendable {
    let target: Target
    let iterable: Expr
    let condition: Expr?
    let body: [Node]
    let otherwise: [Node]
    let offset: Int
}

struct MacroDefinition: Sendable {
    let name: String
    let parameters: [(name: String, defaultValue: Expr?)]
    let body: [Node]
    let offset: Int
}

indirect enum Node: Sendable {
    case text(String)
    case output(Expr)
    case conditional(branches: [(test: Expr, body: [Node])], otherwise: [Node])
    case loop(ForLoop)
    case assign(Target, Expr, offset: Int)
    case assignBlock(Target, filters: [FilterCall], body: [Node], offset: Int)
    case macro(MacroDefinition)
    /// `{% call(params) macro(args) %}body{% endcall %}`: the body becomes the `caller` of the call.
    case callBlock(call: Expr, caller: MacroDefinition)
    case filterBlock(filters: [FilterCall], body: [Node])
    case with(assignments: [(target: Target, value: Expr)], body: [Node])
    /// A body rendered in its own scope: transformers' `{% generation %}` block.
    case scoped([Node])
    case breakLoop
    case continueLoop
}
