/// `obj.name`, `obj[key]` and `obj[a:b:c]` as jinja2's immutable sandbox resolves them: `.name` prefers a
/// method of the object over a dict key, `[key]` prefers the key; a missing name or key gives an undefined value
/// (which fails only when used), methods that would mutate a list or dict are refused, and reading anything
/// from an undefined value fails.

private func typeLabel(_ value: Value) -> String {
    if case .none = value { return "'None'" }
    return "'\(value.typeName) object'"
}

private func missing(_ object: Value, _ name: String) -> Value {
    .undefined("\(typeLabel(object)) has no attribute '\(name)'")
}

func getAttribute(_ object: Value, _ name: String) throws -> Value {
    switch object {
    case .undefined(let undefined): throw RenderFailure(undefined.hint)
    case .dict(let dict): return dictMethod(dict, name) ?? dict[name] ?? missing(object, name)
    case .string(let text): return stringMethod(text, name) ?? missing(object, name)
    case .list(let items): return listMethod(items, name, type: "list") ?? missing(object, name)
    case .tuple(let items): return listMethod(items, name, type: "tuple") ?? missing(object, name)
    case .namespace(let namespace): return namespace.attributes[name] ?? missing(object, name)
    case .loop(let loop): return loop.attribute(name) ?? missing(object, name)
    default: return missing(object, name)
    }
}

func getItem(_ object: Value, _ key: Value) throws -> Value {
    switch (object, key) {
    case (.undefined(let undefined), _): throw RenderFailure(undefined.hint)
    case (.dict(let dict), .string(let name)):
        return dict[name] ?? dictMethod(dict, name) ?? missing(object, name)
    case (.list(let items), _), (.tuple(let items), _):
        if let index = key.integer {
            let position = index < 0 ? index + items.count : index
            return items.indices.contains(position) ? items[position] : .undefined("\(typeLabel(object)) has no attribute \(index)")
        }
    case (.string(let text), _):
        if let index = key.integer {
            let scalars = text.scalars
            let position = index < 0 ? index + scalars.count : index
            return scalars.indices.contains(position) ? .string(String(scalars[position])) : .undefined("\(typeLabel(object)) has no attribute \(index)")
        }
    default: break
    }
    if case .string(let name) = key { return try getAttribute(object, name) }
    return .undefined("\(typeLabel(object)) has no attribute \(try pyRepr(key))")
}

/// Python's slice of a list, tuple or string. Bounds that are not integers or none give an undefined value,
/// as jinja2's `getitem` turns Python's TypeError into one.
func getSlice(_ object: Value, start: Value?, stop: Value?, step: Value?) throws -> Value {
    if case .undefined(let undefined) = object { throw RenderFailure(undefined.hint) }
    /// A bound that is absent or none is nil; one that is not an integer makes the whole slice undefined.
    func bound(_ value: Value?) -> (valid: Bool, index: Int?) {
        guard let value else { return (true, nil) }
        if case .none = value { return (true, nil) }
        return (value.integer != nil, value.integer)
    }
    let (first, last, stride) = (bound(start), bound(stop), bound(step))
    guard first.valid, last.valid, stride.valid else {
        return .undefined("\(typeLabel(object)) cannot be sliced by non-integers")
    }
    let step = stride.index ?? 1
    guard step != 0 else { throw RenderFailure("slice step cannot be zero") }
    func indices(_ count: Int) -> [Int] {
        func clamp(_ value: Int?, default fallback: Int) -> Int {
            guard var index = value else { return fallback }
            if index < 0 {
                index += count
                if index < 0 { index = step < 0 ? -1 : 0 }
            } else if index >= count {
                index = step < 0 ? count - 1 : count
            }
            return index
        }
        var index = clamp(first.index, default: step < 0 ? count - 1 : 0)
        let end = clamp(last.index, default: step < 0 ? -1 : count)
        var result: [Int] = []
        while step > 0 ? index < end : index > end {
            result.append(index)
            // A step past the end of the range (up to Int.max) must stop the slice, not trap.
            let next = index.addingReportingOverflow(step)
            guard !next.overflow else { break }
            index = next.partialValue
        }
        return result
    }
    switch object {
    case .list(let items): return .list(indices(items.count).map { items[$0] })
    case .tuple(let items): return .tuple(indices(items.count).map { items[$0] })
    case .string(let text):
        let scalars = text.scalars
        return .string(String(scalars: indices(scalars.count).map { scalars[$0] }))
    default: return .undefined("\(typeLabel(object)) cannot be sliced")
    }
}

// MARK: Methods

private func method(_ name: String, _ body: @escaping (Arguments) throws -> Value) -> Value {
    .function(Function(name: name, call: body))
}

private func unsafe(_ name: String, _ type: String) -> Value {
    .undefined("access to attribute '\(name)' of '\(type)' object is unsafe.")
}

func dictMethod(_ dict: Dict, _ name: String) -> Value? {
    switch name {
    case "items": return method(name) { try $0.bind(name, []); return .list(dict.pairs.map { .tuple([.string($0.key), $0.value]) }) }
    case "keys": return method(name) { try $0.bind(name, []); return .list(dict.keys.map { .string($0) }) }
    case "values": return method(name) { try $0.bind(name, []); return .list(dict.values) }
    case "copy": return method(name) { try $0.bind(name, []); return .dict(dict) }
    case "get":
        return method(name) { arguments in
            let bound = try arguments.bind(name, ["key", "default"])
            guard let key = bound[0] else { throw RenderFailure("get() takes at least 1 argument (0 given)") }
            if case .string(let text) = key, let value = dict[text] { return value }
            return bound[1] ?? .none
        }
    case "clear", "pop", "popitem", "setdefault", "update": return unsafe(name, "dict")
    default: return nil
    }
}

func listMethod(_ items: [Value], _ name: String, type: String) -> Value? {
    switch name {
    case "index":
        return method(name) { arguments in
            guard let item = try arguments.bind(name, ["value"])[0] else { throw RenderFailure("index() takes at least 1 argument (0 given)") }
            for (index, candidate) in items.enumerated() where try pyEqual(candidate, item) { return .int(index) }
            throw RenderFailure("\(try pyRepr(item)) is not in \(type)")
        }
    case "count":
        return method(name) { arguments in
            guard let item = try arguments.bind(name, ["value"])[0] else { throw RenderFailure("count() takes exactly one argument (0 given)") }
            return .int(try items.filter { try pyEqual($0, item) }.count)
        }
    case "copy" where type == "list": return method(name) { try $0.bind(name, []); return .list(items) }
    case "append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort":
        return type == "list" ? unsafe(name, type) : nil
    default: return nil
    }
}

/// A string argument, or a failure naming the method and parameter.
func stringArgument(_ value: Value?, _ function: String, _ parameter: String) throws -> String? {
    switch value {
    case nil, .none?: return nil
    case .string(let text)?: return text
    case let other?: throw RenderFailure("\(function)() argument '\(parameter)' must be str or None, not \(other.typeName)")
    }
}

func integerArgument(_ value: Value?, _ function: String, _ parameter: String, default fallback: Int) throws -> Int {
    switch value {
    case nil, .none?: return fallback
    case let other?:
        guard let integer = other.integer else {
            throw RenderFailure("\(function)() argument '\(parameter)' must be an integer, not \(other.typeName)")
        }
        return integer
    }
}

func stringMethod(_ text: String, _ name: String) -> Value? {
    switch name {
    case "strip", "lstrip", "rstrip":
        return method(name) { arguments in
            let characters = try stringArgument(try arguments.bind(name, ["chars"])[0], name, "chars")
            return .string(pyStrip(text, characters, leading: name != "rstrip", trailing: name != "lstrip"))
        }
    case "split", "rsplit":
        return method(name) { arguments in
            let bound = try arguments.bind(name, ["sep", "maxsplit"])
            let separator = try stringArgument(bound[0], name, "sep")
            let maxSplit = try integerArgument(bound[1], name, "maxsplit", default: -1)
            return .list(try pySplit(text, separator, maxSplit: maxSplit, fromRight: name == "rsplit").map { .string($0) })
        }
    case "splitlines":
        return method(name) { arguments in
            let keepEnds = try arguments.bind(name, ["keepends"])[0]?.truthy ?? false
            return .list(pySplitLines(text, keepEnds: keepEnds).map { .string($0) })
        }
    case "startswith", "endswith":
        return method(name) { arguments in
            let bound = try arguments.bind(name, ["prefix", "start", "end"])
            let candidates: [Value]
            switch bound[0] {
            case .string?: candidates = [bound[0] ?? .none]
            case .tuple(let items)?: candidates = items
            default: throw RenderFailure("\(name) first arg must be str or a tuple of str, not \(bound[0]?.typeName ?? "nothing")")
            }
            guard case .string(let window) = try getSlice(.string(text), start: bound[1], stop: bound[2], step: nil) else { return .bool(false) }
            for candidate in candidates {
                guard case .string(let affix) = candidate else { throw RenderFailure("tuple for \(name) must only contain str") }
                let hit = name == "startswith" ? window.unicodeScalars.starts(with: affix.unicodeScalars)
                    : window.unicodeScalars.reversed().starts(with: affix.unicodeScalars.reversed())
                if hit { return .bool(true) }
            }
            return .bool(false)
        }
    case "upper", "lower", "title", "capitalize", "casefold", "swapcase":
        return method(name) { arguments in
            try arguments.bind(name, [])
            switch name {
            case "upper": return .string(pyUpper(text))
            case "lower", "casefold": return .string(pyLower(text))
            case "title": return .string(pyTitle(text))
            case "capitalize": return .string(pyCapitalize(text))
            default:
                return .string(text.unicodeScalars.map { $0.properties.isUppercase ? $0.properties.lowercaseMapping
                    : $0.properties.isLowercase ? $0.properties.uppercaseMapping : String($0) }.joined())
            }
        }
    case "replace":
        return method(name) { arguments in
            let bound = try arguments.bind(name, ["old", "new", "count"])
            guard let old = try stringArgument(bound[0], name, "old"), let new = try stringArgument(bound[1], name, "new") else {
                throw RenderFailure("replace() takes at least 2 arguments")
            }
            return .string(try pyReplace(text, old, new, count: try integerArgument(bound[2], name, "count", default: -1)))
        }
    case "find", "rfind", "index", "rindex", "count":
        return method(name) { arguments in
            let bound = try arguments.bind(name, ["sub", "start", "end"])
            guard let needle = try stringArgument(bound[0], name, "sub") else { throw RenderFailure("\(name)() takes at least 1 argument") }
            let scalars = text.scalars, count = scalars.count
            func position(_ value: Value?, _ fallback: Int) throws -> Int {
                let index = try integerArgument(value, name, "start", default: fallback)
                return index < 0 ? max(0, index + count) : min(index, count)
            }
            let start = try position(bound[1], 0), end = try position(bound[2], count)
            let window = start <= end ? Array(scalars[start..<end]) : []
            let target = needle.scalars
            let found: Int?
            if name == "count" {
                guard !target.isEmpty else { return .int(window.count + 1) }
                var hits = 0, from = 0
                while let hit = pyFind(window, target, from: from) {
                    hits += 1
                    from = hit + target.count
                }
                return .int(hits)
            } else if name.hasPrefix("r") {
                // The last occurrence is the first one in the reversed text: one linear search.
                found = pyFind(window.reversed(), target.reversed()).map { start + window.count - $0 - target.count }
            } else {
                found = pyFind(window, target).map { start + $0 }
            }
            guard let found else {
                if name.hasSuffix("index") { throw RenderFailure("substring not found") }
                return .int(-1)
            }
            return .int(found)
        }
    case "join":
        return method(name) { arguments in
            guard let iterable = try arguments.bind(name, ["iterable"])[0] else { throw RenderFailure("join() takes exactly one argument (0 given)") }
            let pieces = try pyIterate(iterable).enumerated().map { index, item in
                guard case .string(let piece) = item else {
                    throw RenderFailure("sequence item \(index): expected str instance, \(item.typeName) found")
                }
                return piece
            }
            return .string(try joinWithinLimit(pieces, separator: text))
        }
    case "removeprefix", "removesuffix":
        return method(name) { arguments in
            guard let affix = try stringArgument(try arguments.bind(name, ["affix"])[0], name, "affix") else {
                throw RenderFailure("\(name)() takes exactly one argument (0 given)")
            }
            let scalars = text.scalars, cut = affix.scalars
            if name == "removeprefix", scalars.starts(with: cut) { return .string(String(scalars: scalars.dropFirst(cut.count))) }
            if name == "removesuffix", !cut.isEmpty, scalars.reversed().starts(with: cut.reversed()) {
                return .string(String(scalars: scalars.dropLast(cut.count)))
            }
            return .string(text)
        }
    case "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "islower", "isupper":
        return method(name) { arguments in
            try arguments.bind(name, [])
            let scalars = text.unicodeScalars
            func all(_ test: (Unicode.Scalar) -> Bool) -> Bool { !scalars.isEmpty && scalars.allSatisfy(test) }
            func isAlpha(_ s: Unicode.Scalar) -> Bool { s.properties.isAlphabetic && s.properties.numericType == nil }
            switch name {
            case "isdigit": return .bool(all { [.decimal, .digit].contains($0.properties.numericType) })
            case "isdecimal": return .bool(all { $0.properties.numericType == .decimal })
            case "isnumeric": return .bool(all { $0.properties.numericType != nil })
            case "isalpha": return .bool(all(isAlpha))
            case "isalnum": return .bool(all { isAlpha($0) || $0.properties.numericType != nil })
            case "isspace": return .bool(all(isPythonSpace))
            default: return .bool(pyIsCase(text, upper: name == "isupper"))
            }
        }
    case "format":
        return method(name) { try .string(pyFormat(text, $0)) }
    default: return nil
    }
}

/// `str.format` with `{}`, `{0}`, `{name}`, `!r`/`!s` and `{{`/`}}`; format specifications are refused.
func pyFormat(_ template: String, _ arguments: Arguments) throws -> String {
    let scalars = template.scalars
    var out = BoundedText("the formatted string"), index = 0, automatic = 0
    while index < scalars.count {
        let scalar = scalars[index]
        if scalar == "}" {
            guard index + 1 < scalars.count, scalars[index + 1] == "}" else { throw RenderFailure("Single '}' encountered in format string") }
            out.append(Unicode.Scalar("}"))
            index += 2
            continue
        }
        guard scalar == "{" else {
            out.append(scalar)
            index += 1
            continue
        }
        if index + 1 < scalars.count, scalars[index + 1] == "{" {
            out.append(Unicode.Scalar("{"))
            index += 2
            continue
        }
        guard let close = scalars[index...].firstIndex(of: "}") else { throw RenderFailure("Single '{' encountered in format string") }
        var field = String(scalars: scalars[(index + 1)..<close])
        index = close + 1
        var conversion: Character?
        if let colon = field.firstIndex(of: ":") {
            guard field[field.index(after: colon)...].isEmpty else { throw RenderFailure("format(): format specifications are not supported") }
            field = String(field[..<colon])
        }
        if let bang = field.firstIndex(of: "!") {
            conversion = field[field.index(after: bang)...].first
            field = String(field[..<bang])
        }
        let value: Value
        if field.isEmpty {
            guard automatic < arguments.positional.count else { throw RenderFailure("Replacement index \(automatic) out of range for positional args tuple") }
            value = arguments.positional[automatic]
            automatic += 1
        } else if let position = Int(field) {
            guard arguments.positional.indices.contains(position) else { throw RenderFailure("Replacement index \(position) out of range for positional args tuple") }
            value = arguments.positional[position]
        } else {
            guard let keyword = arguments.keyword.last(where: { $0.name == field }) else { throw RenderFailure("KeyError: '\(field)'") }
            value = keyword.value
        }
        // "{0}{0}{0}..." repeats a long argument as often as the format string is long.
        try out.append(conversion == "r" ? try pyRepr(value) : try pyStr(value))
    }
    return out.text
}
