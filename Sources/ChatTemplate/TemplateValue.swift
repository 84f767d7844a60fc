/// A value in a template's context: what a caller passes in (messages, tokens, tools) and what a JSON document
/// holds. Objects keep their keys in insertion order because `tojson`, `items()` and `for k in d` show that order,
/// as Python's dicts do.
public enum TemplateValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    /// Keys in insertion order. A key given twice keeps its first place and its last value, as in a Python dict.
    case object([(key: String, value: TemplateValue)])

    /// The value under `key` of an object (the last one given), nil for a missing key or a non-object.
    public subscript(key: String) -> TemplateValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.last { $0.key == key }?.value
    }
}

extension TemplateValue: Equatable {
    /// Python's equality: numbers compare by value across int, double and bool, objects ignore key order.
    public static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            let left = Self.deduplicated(a), right = Self.deduplicated(b)
            guard left.count == right.count else { return false }
            return left.allSatisfy { key, value in right.first { $0.key == key }.map { $0.value == value } ?? false }
        default:
            guard let a = lhs.number, let b = rhs.number else { return false }
            return a == b
        }
    }

    private var number: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The pairs of an object with duplicate keys resolved the way a Python dict resolves them.
    static func deduplicated(_ pairs: [(key: String, value: TemplateValue)]) -> [(key: String, value: TemplateValue)] {
        var result: [(key: String, value: TemplateValue)] = []
        var position: [String: Int] = [:]
        for (key, value) in pairs {
            if let index = position[key] {
                result[index].value = value
            } else {
                position[key] = result.count
                result.append((key, value))
            }
        }
        return result
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .object(elements.map { (key: $0.0, value: $0.1) }) }
    public init(nilLiteral: ()) { self = .none }
}
