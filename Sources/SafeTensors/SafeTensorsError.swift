/// A safetensors file or checkpoint that cannot be read or written, naming the file and, where it applies,
/// the tensor.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let tensor: String?
    public let problem: String

    public init(file: String, tensor: String? = nil, _ problem: String) {
        self.file = file
        self.tensor = tensor
        self.problem = problem
    }

    public var description: String {
        tensor.map { "\(file): tensor '\($0)': \(problem)" } ?? "\(file): \(problem)"
    }
}
