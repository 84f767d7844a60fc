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
    /// Said instead of the system's reason when the call succeeded but its result was refused.
    public let detail: String?

    public init(path: String, operation: String, code: Int32 = errno, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(path): \(operation) failed: \(detail ?? String(cString: strerror(code)))" }
}

extension FileIOError {
    /// A destination that is already there and must not be replaced.
    public static func exists(_ path: String) -> FileIOError { FileIOError(path: path, operation: "create", code: EEXIST) }

    public var isExists: Bool { code == EEXIST }
}
