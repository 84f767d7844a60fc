extension DecodingError {
    /// One line naming the field at fault, e.g. "field model.hidden_size: Expected Int but found a string".
    public var fieldDescription: String {
        switch self {
        case .keyNotFound(let key, let context):
            return "missing field \((context.codingPath + [key]).map(Self.component).joined(separator: "."))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(Self.component).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "field \(path): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }

    private static func component(_ key: CodingKey) -> String { key.intValue.map { "[\($0)]" } ?? key.stringValue }
}
