/// A value while a template renders: the context's values plus what only exists at run time (undefined values,
/// tuples, namespaces, functions, macros, the loop object). Behaviour follows the Python objects jinja2 would hold.
enum Value {
    case undefined(Undefined)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case tuple([Value])
    case dict(Dict)
    case namespace(Namespace)
    case function(Function)
    case macro(Macro)
    case loop(LoopContext)

    /// The deepest nesting of lists, tuples and dicts that printing, `tojson` and comparison walk through.
    static let maxDepth = 200

    static func undefined(_ hint: String) -> Value { .undefined(Undefined(hint: hint)) }

    /// Python's truth value.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let items), .tuple(let items): return !items.isEmpty
        case .dict(let d): return d.count > 0
        case .namespace, .function, .macro, .loop: return true
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The Python type name, as error messages show it.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .function: return "builtin_function_or_method"
        case .macro: return "Macro"
        case .loop: return "LoopContext"
        }
    }

    /// The integer value of an int or bool (Python's bool is an int).
    var integer: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The numeric value of an int, bool or float.
    var number: Double? {
        if case .double(let d) = self { return d }
        return integer.map(Double.init)
    }

    init(_ value: TemplateValue, depth: Int = 0) throws {
        guard depth <= Value.maxDepth else { throw RenderFailure("the context nests values more than \(Value.maxDepth) levels deep") }
        switch value {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(try items.map { try Value($0, depth: depth + 1) })
        case .object(let pairs):
            var dict = Dict()
            for (key, item) in pairs { dict[key] = try Value(item, depth: depth + 1) }
            self = .dict(dict)
        }
    }
}

/// A missing variable, attribute or item. Like jinja2's default `Undefined` it prints as nothing, is false and
/// iterates as empty, but using it as a value (attribute, call, arithmetic) fails with `hint`.
struct Undefined {
    let hint: String
}

/// A dict that keeps insertion order, as Python's does.
struct Dict {
    private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    init() {}

    init(_ pairs: [(String, Value)]) {
        for (key, value) in pairs { self[key] = value }
    }

    var count: Int { keys.count }
    var pairs: [(key: String, value: Value)] { keys.map { ($0, storage[$0] ?? .none) } }
    var values: [Value] { keys.map { storage[$0] ?? .none } }

    subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
}

/// `namespace(...)`: the one mutable object a template can change across scopes (`set ns.x = ...`).
final class Namespace {
    var attributes: Dict

    init(_ attributes: Dict) { self.attributes = attributes }
}

/// A built-in function or a method bound to its receiver.
struct Function {
    let name: String
    let call: (Arguments) throws -> Value
}

/// A macro (or the `caller` of a call block) with the scope it was defined in, which it reads at call time.
final class Macro {
    let definition: MacroDefinition
    let scope: Scope

    init(_ definition: MacroDefinition, scope: Scope) {
        self.definition = definition
        self.scope = scope
    }
}

/// The `loop` variable of a for loop.
final class LoopContext {
    let items: [Value]
    var index0 = 0
    private var lastChanged: [Value]?

    init(_ items: [Value]) { self.items = items }

    func attribute(_ name: String) -> Value? {
        let length = items.count
        switch name {
        case "index0": return .int(index0)
        case "index": return .int(index0 + 1)
        case "revindex": return .int(length - index0)
        case "revindex0": return .int(length - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == length - 1)
        case "length": return .int(length)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem": return index0 > 0 ? items[index0 - 1] : .undefined("there is no previous item")
        case "nextitem": return index0 + 1 < length ? items[index0 + 1] : .undefined("there is no next item")
        case "cycle":
            return .function(Function(name: "cycle") { [self] arguments in
                guard !arguments.positional.isEmpty else { throw RenderFailure("no items for cycling given") }
                return arguments.positional[self.index0 % arguments.positional.count]
            })
        case "changed":
            return .function(Function(name: "changed") { [self] arguments in
                if let last = self.lastChanged, try pyEqual(.list(last), .list(arguments.positional)) { return .bool(false) }
                self.lastChanged = arguments.positional
                return .bool(true)
            })
        default: return nil
        }
    }
}

/// Arguments as passed to a built-in: positional, then keyword in the order written.
struct Arguments {
    var positional: [Value] = []
    var keyword: [(name: String, value: Value)] = []

    /// Binds Python-style parameters (each positional or keyword) of the function `function`: a value per
    /// name, nil where not given. Too many positional arguments, an unknown keyword or a parameter given twice
    /// fail as Python's call does.
    @discardableResult
    func bind(_ function: String, _ names: [String]) throws -> [Value?] {
        guard positional.count <= names.count else {
            throw RenderFailure("\(function)() takes at most \(names.count) argument(s) (\(positional.count) given)")
        }
        var bound: [Value?] = positional.map { $0 }
        bound += Array(repeating: nil, count: names.count - positional.count)
        for (name, value) in keyword {
            guard let index = names.firstIndex(of: name) else {
                throw RenderFailure("\(function)() got an unexpected keyword argument '\(name)'")
            }
            guard bound[index] == nil else { throw RenderFailure("\(function)() got multiple values for argument '\(name)'") }
            bound[index] = value
        }
        return bound
    }
}

/// Variables visible at one level: the template's top level, a loop iteration, a macro call. Lookups walk
/// outwards, assignments go to the innermost scope, as jinja2's scoping rules have it.
final class Scope {
    var variables: [String: Value] = [:]
    let parent: Scope?

    init(parent: Scope?) { self.parent = parent }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let current = scope {
            if let value = current.variables[name] { return value }
            scope = current.parent
        }
        return nil
    }
}
