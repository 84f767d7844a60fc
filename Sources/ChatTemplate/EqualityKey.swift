/// A hashable stand-in for none, a number or a string that is equal exactly where Python's `==` is: strings by
/// code point (Swift's `String` equality would also merge canonically equivalent ones), and an int, an equal
/// float and a bool as one number.
enum EqualityKey: Hashable {
    case none
    case integer(Int)
    case double(Double)
    case text([UInt8])

    /// nil for values that are not one of these (tuples, undefined values, objects).
    init?(_ value: Value) {
        switch value {
        case .none: self = .none
        case .bool(let b): self = .integer(b ? 1 : 0)
        case .int(let i): self = .integer(i)
        case .double(let d): self = Int(exactly: d).map(EqualityKey.integer) ?? .double(d)
        case .string(let text): self = .text(Array(text.utf8))
        default: return nil
        }
    }
}
