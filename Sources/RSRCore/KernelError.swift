import CRSRKernels

/// A failed call into the kernel library: which operation, and the library's status.
public struct KernelError: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let status: rsr_status

    public var description: String {
        "\(operation) failed: \(String(cString: rsr_status_string(status)))"
    }
}

@inline(__always)
func check(_ status: rsr_status, _ operation: @autoclosure () -> String) throws {
    if status != RSR_OK { throw KernelError(operation: operation(), status: status) }
}
