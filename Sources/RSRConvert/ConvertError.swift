/// A checkpoint that cannot be converted, naming the file (or tensor) and what was expected.
public struct ConvertError: Error, Equatable, CustomStringConvertible {
    public let source: String
    public let problem: String

    public init(_ source: String, _ problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}
