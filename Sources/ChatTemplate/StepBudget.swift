/// The work a render has left before it is stopped: see `Limits.maxSteps` for what counts.
extension Interpreter {
    /// Counts `steps` against the budget, failing once it is spent.
    func spend(_ steps: Int) throws {
        stepsLeft -= steps
        guard stepsLeft >= 0 else {
            throw RenderFailure("the template did more than \(stepBudget) steps of work (expressions, statements, loop iterations "
                + "and the items and bytes they process), the limit for one render")
        }
    }

    /// Spends what comparing `value` item by item may cost (`==`, `in`, ordering): the weight of every list,
    /// tuple, dict and string inside it, not only the outermost, since comparing two equal grids of a thousand
    /// by a thousand does a million comparisons. Counting stops once past the budget, so the walk is bounded too.
    func spendToCompare(_ value: Value) throws {
        var total = 0
        func walk(_ value: Value, level: Int) {
            total += value.weight
            guard level < Value.maxDepth else { return }
            let items: [Value]
            switch value {
            case .list(let list), .tuple(let list): items = list
            case .dict(let dict): items = dict.values
            default: return
            }
            for item in items {
                guard total <= stepsLeft else { return }
                switch item {
                case .list, .tuple, .dict, .string: walk(item, level: level + 1)
                default: break
                }
            }
        }
        walk(value, level: 0)
        try spend(total)
    }

    /// Appends to the output, failing when it would outgrow `Limits.maxTextBytes`.
    func emit(_ text: String) throws {
        try ensureTextFits(output.utf8.count + text.utf8.count, "the rendered text")
        output += text
    }
}

extension Value {
    /// What reading or building this value costs in steps beyond the one step of the expression itself: an
    /// item per list, tuple or dict entry and a step per 64 bytes of a string, so that loops over big values
    /// use the budget as fast as the work they do.
    var weight: Int {
        switch self {
        case .string(let text): return text.utf8.count >> 6
        case .list(let items), .tuple(let items): return items.count
        case .dict(let dict): return dict.count
        case .loop(let loop): return loop.items.count
        default: return 0
        }
    }
}
