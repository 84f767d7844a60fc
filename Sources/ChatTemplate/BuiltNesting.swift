/// Values a template builds may not nest deeper than `Limits.maxBuiltDepth`: Swift frees a nested value by
/// recursion, so a loop that wraps a value a million times (`set ns.v = [ns.v]`) would crash when the render
/// ends, and printing or comparing it already fails at that depth. Checked where a value goes inside a new
/// one: list, tuple and dict literals, `dict()` and `namespace()`, and `set ns.attribute`.
extension Interpreter {
    /// Fails when `value` nests deeper than the limit; the walk is counted against the step budget.
    func ensureNestingFits(_ value: Value) throws {
        // The walk stops once it has visited more items than the budget has steps left: a value built by
        // doubling (`set ns.v = [ns.v, ns.v]`) is shallow but has exponentially many paths.
        var walk = NestingWalk(visitLimit: max(stepsLeft, 0))
        do { _ = try walk.depth(of: value, level: 0) } catch NestingWalk.Stop.budgetSpent {
            try spend(stepsLeft + 1)
        }
        try spend(walk.visited)
    }
}

private struct NestingWalk {
    enum Stop: Error { case budgetSpent }

    let visitLimit: Int
    var visited = 0
    /// Namespaces and loops on the current path: a namespace may hold itself, which is a cycle, not depth.
    var path: [ObjectIdentifier] = []

    /// 0 for a scalar, 1 more than its deepest item for a container.
    mutating func depth(of value: Value, level: Int) throws -> Int {
        visited += 1
        guard visited <= visitLimit else { throw Stop.budgetSpent }
        guard level <= Limits.maxBuiltDepth else {
            throw RenderFailure("the value being built nests more than \(Limits.maxBuiltDepth) levels deep")
        }
        switch value {
        case .list(let items), .tuple(let items): return try deepest(items, level: level)
        case .dict(let dict): return try deepest(dict.values, level: level)
        case .namespace(let namespace): return try throughObject(namespace, namespace.attributes.values, level: level)
        case .loop(let loop): return try throughObject(loop, loop.items, level: level)
        default: return 0
        }
    }

    private mutating func deepest(_ items: [Value], level: Int) throws -> Int {
        var result = 0
        // Strings and numbers cannot nest; skipping them keeps a long flat list cheap.
        for item in items {
            switch item {
            case .list, .tuple, .dict, .namespace, .loop: result = max(result, try depth(of: item, level: level + 1))
            default: visited += 1
            }
        }
        return result + 1
    }

    private mutating func throughObject(_ object: AnyObject, _ items: [Value], level: Int) throws -> Int {
        let identity = ObjectIdentifier(object)
        guard !path.contains(identity) else { return 0 }
        path.append(identity)
        defer { path.removeLast() }
        return try deepest(items, level: level)
    }
}
