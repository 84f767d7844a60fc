#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file system call that failed: which call, on which path, and the system's reason.
public struct FileIOError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let code: Int32

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(path): \(operation) failed: \(String(cString: strerror(code)))" }
}

extension FileIOError {
    /// A destination that is already there and must not be replaced.
    public static func exists(_ path: String) -> FileIOError { FileIOError(path: path, operation: "create", code: EEXIST) }

    public var isExists: Bool { code == EEXIST }
}
