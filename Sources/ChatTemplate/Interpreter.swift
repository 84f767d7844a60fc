/// Renders parsed nodes into text. Scoping follows jinja2: `if` blocks share their scope, each loop iteration,
/// macro call, `with` and `generation` block gets a new one (so `set` inside a loop does not leak out, which is
/// why templates use `namespace`), and lookups walk outwards to the template's context and then the globals.
final class Interpreter {
    /// How deeply macros may call macros; beyond it a recursive macro fails instead of exhausting the stack.
    static let maxCallDepth = 100

    enum Flow { case normal, breakLoop, continueLoop }

    let map: SourceMap
    var output = ""
    var callDepth = 0
    /// The steps this render may take in all (`Limits.maxSteps` unless a test asks for fewer), and those left.
    let stepBudget: Int
    var stepsLeft: Int
    /// Namespaces made so far: they are the one mutable container, so a chain of them (each holding the next)
    /// can grow without any single assignment nesting deeply, and freeing a long chain recurses.
    var namespacesMade = 0

    init(map: SourceMap, stepBudget: Int = Limits.maxSteps) {
        self.map = map
        self.stepBudget = stepBudget
        stepsLeft = stepBudget
    }

    func error(_ failure: RenderFailure, at offset: Int) -> TemplateError {
        map.error(failure.raised ? .raised : .render, at: offset, failure.message)
    }

    /// Runs `body`, giving a failure the place `offset`; failures that already have a place pass through.
    func at<T>(_ offset: Int, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as RenderFailure { throw error(failure, at: offset) }
    }

    /// Renders `nodes` into a string of their own, leaving the output as it was.
    func capture(_ body: () throws -> Flow) throws -> (text: String, flow: Flow) {
        let saved = output
        output = ""
        defer { output = saved }
        let flow = try body()
        return (output, flow)
    }

    func run(_ nodes: [Node], _ scope: Scope) throws -> Flow {
        for node in nodes {
            let flow = try run(node, scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func run(_ node: Node, _ scope: Scope) throws -> Flow {
        try spend(1)
        switch node {
        case .text(let text):
            // Unchecked: text comes from the template itself, and every loop iteration checks the output's size.
            output += text
        case .output(let expression):
            let value = try evaluate(expression, scope)
            try at(expression.offset) {
                let text = try pyStr(value)
                try spend(text.utf8.count >> 6)
                try emit(text)
            }
        case .conditional(let branches, let otherwise):
            for branch in branches where try evaluate(branch.test, scope).truthy {
                return try run(branch.body, scope)
            }
            return try run(otherwise, scope)
        case .loop(let loop):
            return try runLoop(loop, scope)
        case .assign(let target, let expression, let offset):
            let value = try evaluate(expression, scope)
            try at(offset) { try assign(target, value, scope) }
        case .assignBlock(let target, let filters, let body, let offset):
            let (text, flow) = try capture { try run(body, scope) }
            let value = try applyFilters(filters, to: .string(text), scope)
            try at(offset) { try assign(target, value, scope) }
            return flow
        case .macro(let definition):
            scope.variables[definition.name] = .macro(Macro(definition, scope: scope))
        case .callBlock(let call, let caller):
            guard case .call(let callee, let arguments) = call.kind else { return .normal }
            let function = try evaluate(callee, scope)
            var values = try evaluate(arguments, scope)
            values.keyword.append(("caller", .macro(Macro(caller, scope: scope))))
            let result = try pyStr(try self.call(function, values, at: call.offset))
            try at(call.offset) { try emit(result) }
        case .filterBlock(let filters, let body):
            let (text, flow) = try capture { try run(body, Scope(parent: scope)) }
            let result = try pyStr(try applyFilters(filters, to: .string(text), scope))
            try at(filters.first?.offset ?? 0) { try emit(result) }
            return flow
        case .with(let assignments, let body):
            let inner = Scope(parent: scope)
            for (target, expression) in assignments {
                let value = try evaluate(expression, scope)
                try at(expression.offset) { try assign(target, value, inner) }
            }
            return try run(body, inner)
        case .scoped(let body):
            _ = try run(body, Scope(parent: scope))
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    private func runLoop(_ loop: ForLoop, _ scope: Scope) throws -> Flow {
        let iterable = try evaluate(loop.iterable, scope)
        var items = try at(loop.iterable.offset) {
            try spend(iterable.weight)
            return try pyIterate(iterable)
        }
        if let condition = loop.condition {
            items = try items.filter { item in
                try at(loop.offset) { try spend(1) }
                let inner = Scope(parent: scope)
                try at(loop.offset) { try assign(loop.target, item, inner) }
                return try evaluate(condition, inner).truthy
            }
        }
        guard !items.isEmpty else { return try run(loop.otherwise, scope) }
        let context = LoopContext(items)
        for (index, item) in items.enumerated() {
            // Each iteration costs a step even with an empty body, and checks the output that text nodes added.
            try at(loop.offset) {
                try spend(1)
                try ensureTextFits(output.utf8.count, "the rendered text")
            }
            context.index0 = index
            let inner = Scope(parent: scope)
            inner.variables["loop"] = .loop(context)
            try at(loop.offset) { try assign(loop.target, item, inner) }
            if try run(loop.body, inner) == .breakLoop { break }
        }
        return .normal
    }

    /// Binds a value to a name, unpacks it into a tuple of targets, or sets a namespace attribute.
    func assign(_ target: Target, _ value: Value, _ scope: Scope) throws {
        switch target {
        case .name(let name):
            scope.variables[name] = value
        case .tuple(let targets):
            let items = try pyIterate(value)
            guard items.count == targets.count else {
                throw RenderFailure(items.count > targets.count ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (target, item) in zip(targets, items) { try assign(target, item, scope) }
        case .attribute(let name, let attribute):
            guard case .namespace(let namespace)? = scope.lookup(name) ?? Globals.lookup(name) else {
                throw RenderFailure("cannot assign attribute on non-namespace object")
            }
            guard !attribute.hasPrefix("_") else {
                throw RenderFailure("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attribute)'.")
            }
            try ensureNestingFits(.namespace(Namespace(Dict([(attribute, value)]))))
            namespace.attributes[attribute] = value
        }
    }

    func applyFilters(_ filters: [FilterCall], to value: Value, _ scope: Scope) throws -> Value {
        var result = value
        for filter in filters {
            let arguments = try evaluate(filter.arguments, scope)
            result = try at(filter.offset) {
                guard let function = Filters.table[filter.name] else { throw RenderFailure("No filter named '\(filter.name)'.") }
                try spend(result.weight)
                let filtered = try function(result, arguments)
                try spend(filtered.weight)
                return filtered
            }
        }
        return result
    }

    /// Calls a built-in function or a macro.
    func call(_ function: Value, _ arguments: Arguments, at offset: Int) throws -> Value {
        switch function {
        case .function(let builtin): return try at(offset) { try builtin.call(arguments) }
        case .macro(let macro): return try callMacro(macro, arguments, at: offset)
        case .undefined(let undefined): throw error(RenderFailure(undefined.hint), at: offset)
        default: throw error(RenderFailure("'\(function.typeName)' object is not callable"), at: offset)
        }
    }

    /// Binds arguments to the macro's parameters (missing ones without a default are undefined, extra
    /// positional ones go to `varargs`, unknown keywords to `kwargs`) and renders its body.
    private func callMacro(_ macro: Macro, _ arguments: Arguments, at offset: Int) throws -> Value {
        guard callDepth < Self.maxCallDepth else {
            throw error(RenderFailure("macro calls nest more than \(Self.maxCallDepth) levels deep"), at: offset)
        }
        callDepth += 1
        defer { callDepth -= 1 }
        let definition = macro.definition
        let scope = Scope(parent: macro.scope)
        var keywords = Dict()
        for (name, value) in arguments.keyword { keywords[name] = value }
        for (index, parameter) in definition.parameters.enumerated() {
            if let value = keywords[parameter.name] {
                guard index >= arguments.positional.count else {
                    throw error(RenderFailure("macro '\(definition.name)' got multiple values for argument '\(parameter.name)'"), at: offset)
                }
                scope.variables[parameter.name] = value
                keywords[parameter.name] = nil
            } else if index < arguments.positional.count {
                scope.variables[parameter.name] = arguments.positional[index]
            } else if let defaultValue = parameter.defaultValue {
                scope.variables[parameter.name] = try evaluate(defaultValue, scope)
            } else {
                scope.variables[parameter.name] = .undefined("parameter '\(parameter.name)' was not provided")
            }
        }
        if let caller = keywords["caller"] {
            scope.variables["caller"] = caller
            keywords["caller"] = nil
        }
        scope.variables["varargs"] = .tuple(Array(arguments.positional.dropFirst(definition.parameters.count)))
        scope.variables["kwargs"] = .dict(keywords)
        let (text, _) = try capture { try run(definition.body, scope) }
        return .string(text)
    }
}
