/// A model file that cannot be read or written, naming the file and the part of it at fault.
public struct ModelFileError: Error, Equatable, CustomStringConvertible {
    public let path: String
    /// "header", "section table", "manifest", or a section such as "section 7 (layout of layers.0.q_proj)".
    public let part: String
    public let problem: String

    public init(path: String, part: String, _ problem: String) {
        self.path = path
        self.part = part
        self.problem = problem
    }

    public var description: String { "\(path): \(part): \(problem)" }
}
