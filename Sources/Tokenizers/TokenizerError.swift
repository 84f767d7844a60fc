/// A tokenizer file that cannot be used: which file, which field (a dotted path such as
/// `pre_tokenizer.pretokenizers[1].pattern`), and what was expected there.
public struct TokenizerError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let field: String?
    public let problem: String

    public init(file: String, field: String? = nil, _ problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    public var description: String {
        if let field, !field.isEmpty { return "\(file): \(field): \(problem)" }
        return "\(file): \(problem)"
    }
}
