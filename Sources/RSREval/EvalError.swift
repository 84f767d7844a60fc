/// Why an evaluation cannot run: one line naming the file, option or value at fault.
public struct EvalError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
