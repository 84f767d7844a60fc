/// A model that cannot be loaded or run, or a request it cannot serve, said in one sentence.
public struct ModelError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
