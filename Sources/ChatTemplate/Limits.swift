/// The bounds that keep an untrusted template from exhausting memory or time. Each is far above what real chat
/// templates use (their output is a conversation's prompt, their loops run over its messages and tools), and
/// each failure names the limit and what the template asked for.
enum Limits {
    /// The longest text one render may produce, and the longest string any single value may hold: 16 MiB, many
    /// times the longest context window's prompt.
    static let maxTextBytes = 16 << 20

    /// The most items a list or tuple built by `*` or `+` may hold (a million `Value`s is tens of MB).
    static let maxItems = 1_000_000

    /// The widest padding or indentation a template may ask for: `indent`, `tojson(indent=)` and the width and
    /// precision of `%` formats. Real templates indent by 2 or 4.
    static let maxWidth = 10_000

    /// The work one render may do, in steps: one per expression evaluated, statement run and loop iteration,
    /// plus the size of the lists and strings that operators, filters and calls read or build (a string counts a
    /// step per 64 bytes). The model templates in the tests take under 200,000 steps for 400 messages with
    /// tools; a runaway loop reaches this and stops (about a microsecond a step in a debug build, less in release)
    /// instead of running for hours.
    static let maxSteps = 20_000_000

    /// The most `namespace()` objects one render may make. Templates make one, or one per message.
    static let maxNamespaces = 100_000

    /// The deepest that lists, tuples, dicts and namespaces may nest when a template builds them, so that
    /// freeing such a value cannot exhaust the stack.
    static let maxBuiltDepth = Value.maxDepth
}

extension Value {
    /// The bytes of a string, or of the strings directly inside a list or tuple (a sort key): what a filter
    /// that makes a new value per item adds up against `Limits.maxTextBytes`.
    var textBytes: Int {
        switch self {
        case .string(let text): return text.utf8.count
        case .list(let items), .tuple(let items):
            return items.reduce(0) { total, item in
                if case .string(let text) = item { return total + text.utf8.count }
                return total
            }
        default: return 0
        }
    }
}

/// Fails unless a string of `bytes` bytes is within `Limits.maxTextBytes`; `what` names what was being built.
func ensureTextFits(_ bytes: Int, _ what: String) throws {
    guard bytes <= Limits.maxTextBytes else {
        throw RenderFailure("\(what) would be \(bytes) bytes long, over the limit of \(Limits.maxTextBytes) bytes")
    }
}

/// Fails unless a padding or indentation of `width` is within `Limits.maxWidth`.
func ensureWidthFits(_ width: Int, _ what: String) throws {
    guard width <= Limits.maxWidth else {
        throw RenderFailure("\(what) \(width) is over the limit of \(Limits.maxWidth)")
    }
}

/// Fails unless a list of `count` items is within `Limits.maxItems`.
func ensureItemsFit(_ count: Int, _ what: String) throws {
    guard count <= Limits.maxItems else {
        throw RenderFailure("\(what) would hold \(count) items, over the limit of \(Limits.maxItems)")
    }
}
