/// How k is chosen for classical RSR.
public enum KChoice: Sendable, Equatable, CustomStringConvertible {
    case auto
    case fixed(Int)

    public init?(_ text: String) {
        if text == "auto" { self = .auto } else if let k = Int(text), k > 0 { self = .fixed(k) } else { return nil }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .fixed(let k): "\(k)"
        }
    }
}
