import CRSRCuda

/// Why the CUDA backend cannot run, in words a user can act on.
public struct CUDAError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// librsr_cuda.so is in none of the places searched.
        case libraryNotFound
        /// The library exists but could not be loaded, or is not a CUDA backend of this ABI version.
        case libraryUnusable
        case noDriver
        case noDevice
        case outOfMemory
        case unsupported
        case invalidArgument
        case cuda
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Whether the machine simply has no usable CUDA (so `--backend auto` quietly runs on the CPU).
    public var meansNoCUDA: Bool { [.libraryNotFound, .noDriver, .noDevice].contains(kind) }

    public var description: String { "CUDA backend: \(message)" }

    /// The error of a failed library call, with the library's message.
    init(status: rsr_cuda_status, api: rsr_cuda_api) {
        let kind: Kind = switch status {
        case RSR_CUDA_ERR_NO_DRIVER: .noDriver
        case RSR_CUDA_ERR_NO_DEVICE: .noDevice
        case RSR_CUDA_ERR_OUT_OF_MEMORY: .outOfMemory
        case RSR_CUDA_ERR_UNSUPPORTED: .unsupported
        case RSR_CUDA_ERR_ARGUMENT: .invalidArgument
        default: .cuda
        }
        let text = api.last_error().map { String(cString: $0) } ?? ""
        self.init(kind, text.isEmpty ? "error \(status.rawValue)" : text)
    }
}
