import Foundation

/// jinja2's filters, with their Python signatures (positional or keyword) and results, and transformers'
/// `tojson`. Filters that jinja2 returns as generators (`map`, `select`, `unique`, `items`, `reverse`) give
/// lists here; they iterate, index and count the same.
enum Filters {
    typealias Filter = @Sendable (Value, Arguments) throws -> Value

    /// jinja2 filters that chat templates do not use and this interpreter refuses by name.
    static let refused: Set<String> = ["batch", "center", "filesizeformat", "forceescape", "format", "groupby", "pprint",
                                       "random", "slice", "striptags", "truncate", "urlencode", "urlize", "wordcount",
                                       "wordwrap", "xmlattr"]

    static let table: [String: Filter] = {
        var table: [String: Filter] = [
            "abs": { value, arguments in
                try arguments.bind("abs", [])
                try failIfUndefined(value)
                if let integer = value.integer {
                    guard integer != .min else { throw RenderFailure("integer overflow: the result does not fit in 64 bits") }
                    return .int(abs(integer))
                }
                guard case .double(let d) = value else { throw RenderFailure("bad operand type for abs(): '\(value.typeName)'") }
                return .double(abs(d))
            },
            "attr": { value, arguments in
                guard case .string(let name)? = try arguments.bind("attr", ["name"])[0] else { throw RenderFailure("attr() needs an attribute name") }
                // Python's getattr only: a dict's keys are not attributes.
                if case .dict(let dict) = value { return dictMethod(dict, name) ?? .undefined("'dict object' has no attribute '\(name)'") }
                return try getAttribute(value, name)
            },
            "capitalize": { value, arguments in try arguments.bind("capitalize", []); return .string(pyCapitalize(try pyStr(value))) },
            "default": defaultFilter,
            "dictsort": dictsort,
            "escape": { value, arguments in try arguments.bind("escape", []); return .string(htmlEscape(try pyStr(value))) },
            "first": { value, arguments in
                try arguments.bind("first", [])
                return try pyIterate(value).first ?? .undefined("No first item, sequence was empty.")
            },
            "float": { value, arguments in
                let fallback = try arguments.bind("float", ["default"])[0] ?? .double(0)
                try failIfUndefined(value)
                return toFloat(value).map(Value.double) ?? fallback
            },
            "indent": indent,
            "int": toIntFilter,
            "items": { value, arguments in
                try arguments.bind("items", [])
                switch value {
                case .undefined: return .list([])
                case .dict(let dict): return .list(dict.pairs.map { .tuple([.string($0.key), $0.value]) })
                default: throw RenderFailure("Can only get item pairs from a mapping.")
                }
            },
            "join": { value, arguments in
                let bound = try arguments.bind("join", ["d", "attribute"])
                var items = try pyIterate(value)
                if let attribute = bound[1], !isNone(attribute) { items = try items.map(attributeGetter(attribute)) }
                return .string(try joinWithinLimit(items, separator: try pyStr(bound[0] ?? .string(""))) { try pyStr($0) })
            },
            "last": { value, arguments in
                try arguments.bind("last", [])
                return try pyIterate(value).last ?? .undefined("No last item, sequence was empty.")
            },
            "length": { value, arguments in try arguments.bind("length", []); return .int(try pyLength(value)) },
            "list": { value, arguments in try arguments.bind("list", []); return .list(try pyIterate(value)) },
            "lower": { value, arguments in try arguments.bind("lower", []); return .string(pyLower(try pyStr(value))) },
            "map": mapFilter,
            "max": { value, arguments in try aggregate(value, arguments, "max") },
            "min": { value, arguments in try aggregate(value, arguments, "min") },
            "reject": { value, arguments in try select(value, arguments, keep: false, attribute: false) },
            "rejectattr": { value, arguments in try select(value, arguments, keep: false, attribute: true) },
            "replace": { value, arguments in
                let bound = try arguments.bind("replace", ["old", "new", "count"])
                guard let old = bound[0], let new = bound[1] else { throw RenderFailure("replace() needs 'old' and 'new'") }
                let count = try integerArgument(bound[2], "replace", "count", default: -1)
                return .string(try pyReplace(try pyStr(value), try pyStr(old), try pyStr(new), count: count))
            },
            "reverse": { value, arguments in
                try arguments.bind("reverse", [])
                if case .string(let text) = value { return .string(String(scalars: text.scalars.reversed())) }
                return .list(try pyIterate(value).reversed())
            },
            "round": roundFilter,
            "safe": { value, arguments in try arguments.bind("safe", []); return .string(try pyStr(value)) },
            "select": { value, arguments in try select(value, arguments, keep: true, attribute: false) },
            "selectattr": { value, arguments in try select(value, arguments, keep: true, attribute: true) },
            "sort": sortFilter,
            "string": { value, arguments in try arguments.bind("string", []); return .string(try pyStr(value)) },
            "sum": { value, arguments in
                let bound = try arguments.bind("sum", ["attribute", "start"])
                var items = try pyIterate(value)
                if let attribute = bound[0], !isNone(attribute) { items = try items.map(attributeGetter(attribute)) }
                return try sum(items, start: bound[1] ?? .int(0))
            },
            "title": { value, arguments in try arguments.bind("title", []); return .string(jinjaTitle(try pyStr(value))) },
            "tojson": tojson,
            "trim": { value, arguments in
                let characters = try stringArgument(try arguments.bind("trim", ["chars"])[0], "trim", "chars")
                return .string(pyStrip(try pyStr(value), characters))
            },
            "unique": unique,
            "upper": { value, arguments in try arguments.bind("upper", []); return .string(pyUpper(try pyStr(value))) },
        ]
        table["count"] = table["length"]
        table["d"] = table["default"]
        table["e"] = table["escape"]
        return table
    }()

    static func isNone(_ value: Value) -> Bool {
        if case .none = value { return true }
        return false
    }

    static func htmlEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func ignoreCase(_ value: Value) -> Value {
        if case .string(let text) = value { return .string(pyLower(text)) }
        return value
    }

    /// jinja2's `make_attrgetter`: `a.b.0` reads item `a`, then `b`, then index 0, each as `[key]` does.
    static func attributeGetter(_ attribute: Value, default fallback: Value? = nil) -> (Value) throws -> Value {
        let parts: [Value]
        if case .string(let path) = attribute {
            parts = path.split(separator: ".", omittingEmptySubsequences: false).map { part in Int(part).map(Value.int) ?? .string(String(part)) }
        } else {
            parts = [attribute]
        }
        return { item in
            var current = item
            for part in parts {
                current = try getItem(current, part)
                if let fallback, current.isUndefined { current = fallback }
            }
            return current
        }
    }

    /// A sort key: the value of each comma-separated attribute (or the item itself), lower-cased unless
    /// `caseSensitive`.
    static func sortKey(_ attribute: Value?, caseSensitive: Bool) -> (Value) throws -> Value {
        let getters: [(Value) throws -> Value]
        if let attribute, case .string(let text) = attribute {
            getters = text.split(separator: ",", omittingEmptySubsequences: false).map { attributeGetter(.string(String($0))) }
        } else if let attribute, !isNone(attribute) {
            getters = [attributeGetter(attribute)]
        } else {
            getters = [{ $0 }]
        }
        return { item in .list(try getters.map { caseSensitive ? try $0(item) : ignoreCase(try $0(item)) }) }
    }

    /// A stable merge sort whose comparison may throw (Python's `sorted` on mixed types does).
    static func stableSorted(_ items: [Value], by keyOf: (Value) throws -> Value, reverse: Bool) throws -> [Value] {
        // Keys are lower-cased copies unless case_sensitive: together they may not pass the text limit.
        var keyBytes = 0
        let keyed = try items.map { item in
            let key = try keyOf(item)
            keyBytes += key.textBytes
            try ensureTextFits(keyBytes, "the sort keys")
            return (key: key, item: item)
        }
        func sort(_ slice: ArraySlice<(key: Value, item: Value)>) throws -> [(key: Value, item: Value)] {
            guard slice.count > 1 else { return Array(slice) }
            let middle = slice.startIndex + slice.count / 2
            let left = try sort(slice[..<middle]), right = try sort(slice[middle...])
            var merged: [(key: Value, item: Value)] = []
            merged.reserveCapacity(slice.count)
            var i = 0, j = 0
            while i < left.count, j < right.count {
                // Take from the right only when it is strictly first, which keeps equal items in order.
                let rightFirst = reverse ? try pyCompare(left[i].key, right[j].key, .less) : try pyCompare(right[j].key, left[i].key, .less)
                if rightFirst {
                    merged.append(right[j])
                    j += 1
                } else {
                    merged.append(left[i])
                    i += 1
                }
            }
            return merged + left[i...] + right[j...]
        }
        return try sort(keyed[...]).map(\.item)
    }

    static let sortFilter: Filter = { value, arguments in
        let bound = try arguments.bind("sort", ["reverse", "case_sensitive", "attribute"])
        let key = sortKey(bound[2], caseSensitive: bound[1]?.truthy ?? false)
        return .list(try stableSorted(try pyIterate(value), by: key, reverse: bound[0]?.truthy ?? false))
    }

    static let dictsort: Filter = { value, arguments in
        let bound = try arguments.bind("dictsort", ["case_sensitive", "by", "reverse"])
        guard case .dict(let dict) = value else { throw RenderFailure("dictsort: expected a mapping, got \(value.typeName)") }
        let position: Int
        switch bound[1] {
        case nil, .string("key")?: position = 0
        case .string("value")?: position = 1
        default: throw RenderFailure("You can only sort by either \"key\" or \"value\"")
        }
        let caseSensitive = bound[0]?.truthy ?? false
        let items = dict.pairs.map { Value.tuple([.string($0.key), $0.value]) }
        return .list(try stableSorted(items, by: { item in
            guard case .tuple(let pair) = item else { return item }
            return caseSensitive ? pair[position] : ignoreCase(pair[position])
        }, reverse: bound[2]?.truthy ?? false))
    }

    static let unique: Filter = { value, arguments in
        let bound = try arguments.bind("unique", ["case_sensitive", "attribute"])
        let getter = bound[1].map { isNone($0) ? { $0 } : attributeGetter($0) } ?? { $0 }
        let caseSensitive = bound[0]?.truthy ?? false
        // Strings and numbers go in a set (comparing each with all before it is quadratic); tuples and the
        // rest are compared one by one.
        var seenHashable = Set<EqualityKey>()
        var seen: [Value] = []
        var result: [Value] = []
        var keyBytes = 0
        for item in try pyIterate(value) {
            var key = try getter(item)
            if !caseSensitive { key = ignoreCase(key) }
            keyBytes += key.textBytes
            try ensureTextFits(keyBytes, "the keys of unique")
            switch key {
            case .list, .dict: throw RenderFailure("unhashable type: '\(key.typeName)'")
            default: break
            }
            if let hashable = EqualityKey(key) {
                if seenHashable.insert(hashable).inserted { result.append(item) }
            } else if try !seen.contains(where: { try pyEqual($0, key) }) {
                seen.append(key)
                result.append(item)
            }
        }
        return .list(result)
    }

    /// Python's `sum(items, start)`. Python refuses a string start; lists are added in place, since adding
    /// copies of a growing list is quadratic in the number of items.
    static func sum(_ items: [Value], start: Value) throws -> Value {
        switch start {
        case .string: throw RenderFailure("sum() can't sum strings [use ''.join(seq) instead]")
        case .list(var total):
            for item in items {
                guard case .list(let more) = item else { return try pyBinary(.add, .list(total), item) }
                try ensureItemsFit(total.count + more.count, "the summed list")
                total += more
            }
            return .list(total)
        default:
            return try items.reduce(start) { try pyBinary(.add, $0, $1) }
        }
    }

    static func aggregate(_ value: Value, _ arguments: Arguments, _ name: String) throws -> Value {
        let bound = try arguments.bind(name, ["case_sensitive", "attribute"])
        let items = try pyIterate(value)
        guard var best = items.first else { return .undefined("No aggregated item, sequence was empty.") }
        let getter = bound[1].map { isNone($0) ? { $0 } : attributeGetter($0) } ?? { $0 }
        let caseSensitive = bound[0]?.truthy ?? false
        func key(_ item: Value) throws -> Value { caseSensitive ? try getter(item) : ignoreCase(try getter(item)) }
        var bestKey = try key(best)
        for item in items.dropFirst() {
            let itemKey = try key(item)
            if try pyCompare(itemKey, bestKey, name == "max" ? .greater : .less) {
                best = item
                bestKey = itemKey
            }
        }
        return best
    }

    static let mapFilter: Filter = { value, arguments in
        let items = value.truthy ? try pyIterate(value) : []
        if arguments.positional.isEmpty, let attribute = arguments.keyword.first(where: { $0.name == "attribute" })?.value {
            if let extra = arguments.keyword.first(where: { $0.name != "attribute" && $0.name != "default" }) {
                throw RenderFailure("map: unexpected keyword argument '\(extra.name)'")
            }
            let fallback = arguments.keyword.first { $0.name == "default" }?.value
            let getter = attributeGetter(attribute, default: fallback.flatMap { isNone($0) ? nil : $0 })
            return .list(try items.map(getter))
        }
        guard case .string(let name)? = arguments.positional.first else { throw RenderFailure("map requires a filter argument") }
        guard let filter = table[name] else { throw RenderFailure("No filter named '\(name)'.") }
        let rest = Arguments(positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword)
        // Each result may be a new string (`map('upper')`, `map('string')`): together they may not pass the limit.
        var made = 0
        return .list(try items.map { item in
            let result = try filter(item, rest)
            made += result.textBytes
            try ensureTextFits(made, "the strings made by map")
            return result
        })
    }

    /// `select`, `reject`, `selectattr` and `rejectattr`: keep the items whose (attribute's) test result is
    /// `keep`; without a test name the truth value decides.
    static func select(_ value: Value, _ arguments: Arguments, keep: Bool, attribute: Bool) throws -> Value {
        let items = value.truthy ? try pyIterate(value) : []
        var positional = arguments.positional
        var transform: (Value) throws -> Value = { $0 }
        if attribute {
            guard !positional.isEmpty else { throw RenderFailure("Missing parameter for attribute name") }
            transform = attributeGetter(positional.removeFirst())
        }
        var test: (Value) throws -> Bool = { $0.truthy }
        if !positional.isEmpty {
            guard case .string(let name) = positional.removeFirst() else { throw RenderFailure("the test name must be a string") }
            guard let predicate = Predicates.table[name] else { throw RenderFailure("No test named '\(name)'.") }
            let rest = Arguments(positional: positional, keyword: arguments.keyword)
            test = { try predicate($0, rest) }
        }
        return .list(try items.filter { try test(try transform($0)) == keep })
    }

    static let defaultFilter: Filter = { value, arguments in
        let bound = try arguments.bind("default", ["default_value", "boolean"])
        if value.isUndefined || (bound[1]?.truthy ?? false) && !value.truthy { return bound[0] ?? .string("") }
        return value
    }

    static let indent: Filter = { value, arguments in
        let bound = try arguments.bind("indent", ["width", "first", "blank"])
        let indentation: String
        switch bound[0] {
        case nil: indentation = "    "
        case .string(let text)?: indentation = text
        case let width?:
            guard let count = width.integer else { throw RenderFailure("indent: width must be an integer or a string") }
            try ensureWidthFits(count, "indent width")
            indentation = String(repeating: " ", count: max(0, count))
        }
        try failIfUndefined(value)
        let text = try pyStr(value)
        let lines = pySplitLines(text + "\n")
        try ensureTextFits(text.utf8.count + (lines.count + 1) * indentation.utf8.count, "the indented text")
        var result: String
        if bound[2]?.truthy ?? false {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty { result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
        }
        if bound[1]?.truthy ?? false { result = indentation + result }
        return .string(result)
    }

    /// Python's `float(value)`, or nil where it raises.
    static func toFloat(_ value: Value) -> Double? {
        switch value {
        case .double(let d): return d
        case .string(let text):
            let trimmed = pyStrip(text, nil)
            let lowered = trimmed.lowercased()
            let unsigned = lowered.hasPrefix("-") || lowered.hasPrefix("+") ? String(lowered.dropFirst()) : lowered
            if ["inf", "infinity", "nan"].contains(unsigned) {
                let magnitude = unsigned == "nan" ? Double.nan : Double.infinity
                return lowered.hasPrefix("-") ? -magnitude : magnitude
            }
            guard !trimmed.isEmpty, !trimmed.hasPrefix("_"), !trimmed.contains("__"), !trimmed.hasSuffix("_"),
                  trimmed.unicodeScalars.allSatisfy({ "0123456789+-.eE_".unicodeScalars.contains($0) })
            else { return nil }
            return Double(trimmed.replacingOccurrences(of: "_", with: ""))
        default: return value.integer.map(Double.init)
        }
    }

    static let toIntFilter: Filter = { value, arguments in
        let bound = try arguments.bind("int", ["default", "base"])
        let fallback = bound[0] ?? .int(0)
        let base = try integerArgument(bound[1], "int", "base", default: 10)
        try failIfUndefined(value)
        if case .string(let text) = value {
            var digits = pyStrip(text, nil).replacingOccurrences(of: "_", with: "")
            let negative = digits.hasPrefix("-")
            if negative || digits.hasPrefix("+") { digits.removeFirst() }
            let prefixes = [16: "0x", 8: "0o", 2: "0b"]
            if let prefix = prefixes[base], digits.lowercased().hasPrefix(prefix) { digits.removeFirst(2) }
            // Python takes one sign; a second one ("--5") is not a number, and negating Int.min would trap.
            let signed = digits.hasPrefix("-") || digits.hasPrefix("+")
            if (2...36).contains(base), !digits.isEmpty, !signed, let parsed = Int(digits, radix: base) { return .int(negative ? -parsed : parsed) }
        } else if let integer = value.integer {
            return .int(integer)
        }
        // jinja2's fallback: "42.23"|int is 42.
        guard let number = toFloat(value), number.isFinite, let truncated = Int(exactly: number.rounded(.towardZero)) else { return fallback }
        return .int(truncated)
    }

    static let roundFilter: Filter = { value, arguments in
        let bound = try arguments.bind("round", ["precision", "method"])
        let precision = try integerArgument(bound[0], "round", "precision", default: 0)
        let method = try stringArgument(bound[1], "round", "method") ?? "common"
        try failIfUndefined(value)
        guard let number = value.number else { throw RenderFailure("type \(value.typeName) doesn't define __round__ method") }
        guard abs(precision) <= 300 else { throw RenderFailure("round: precision \(precision) is out of range") }
        let scale = pow(10, Double(precision))
        switch method {
        case "common":
            if let integer = value.integer {
                guard precision < 0 else { return .int(integer) }
                return .int(Int(exactly: (Double(integer) / pow(10, Double(-precision))).rounded(.toNearestOrEven) * pow(10, Double(-precision))) ?? integer)
            }
            guard number.isFinite else { return .double(number) }
            if precision >= 0 {
                // printf rounds the exact binary value half-to-even, as Python's round does.
                return .double(Double(String(format: "%.\(min(precision, 340))f", number)) ?? number)
            }
            return .double((number / pow(10, Double(-precision))).rounded(.toNearestOrEven) * pow(10, Double(-precision)))
        case "ceil": return .double((number * scale).rounded(.up) / scale)
        case "floor": return .double((number * scale).rounded(.down) / scale)
        default: throw RenderFailure("method must be common, ceil or floor")
        }
    }

    static let tojson: Filter = { value, arguments in
        let bound = try arguments.bind("tojson", ["ensure_ascii", "indent", "separators", "sort_keys"])
        var indentation: String?
        switch bound[1] {
        case nil, .none?: indentation = nil
        case .string(let text)?: indentation = text
        case let width?:
            guard let count = width.integer else { throw RenderFailure("tojson: indent must be an integer or a string") }
            try ensureWidthFits(count, "tojson indent")
            indentation = String(repeating: " ", count: max(0, count))
        }
        var separators: (String, String)?
        switch bound[2] {
        case nil, .none?: break
        case .list(let pair)?, .tuple(let pair)?:
            guard pair.count == 2, case .string(let item) = pair[0], case .string(let key) = pair[1] else {
                throw RenderFailure("tojson: separators must be two strings")
            }
            separators = (item, key)
        default: throw RenderFailure("tojson: separators must be two strings")
        }
        let writer = JSONWriter(ensureASCII: bound[0]?.truthy ?? false, indent: indentation, separators: separators,
                                sortKeys: bound[3]?.truthy ?? false)
        return .string(try writer.write(value))
    }
}
