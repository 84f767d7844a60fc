import CRSRCuda
import Foundation

/// librsr_cuda.so, opened at run time: rsr never links CUDA, and runs without it.
public final class CUDALibrary: @unchecked Sendable {
    public static let fileName = "librsr_cuda.so"
    public let path: String
    var api: rsr_cuda_api

    /// Where the library is looked for, in order: `RSR_CUDA_LIBRARY` (a file), next to the executable, and the
    /// package's `.build/cuda/` above the executable. Never the current directory: running rsr inside a
    /// folder must not run code that folder holds.
    public static func searchPaths(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   executable: String = runningExecutable()) -> [String] {
        if let explicit = environment["RSR_CUDA_LIBRARY"], !explicit.isEmpty { return [explicit] }
        guard executable.hasPrefix("/") else { return [] }
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        return [
            exe.appendingPathComponent(fileName).path,
            // .build/<triple>/<configuration>/rsr -> .build/cuda
            exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("cuda/\(fileName)").path,
            exe.deletingLastPathComponent().appendingPathComponent("cuda/\(fileName)").path,
        ]
    }

    /// The absolute path of this process's executable, from the kernel rather than argv[0] (which may be a
    /// bare name found on the PATH, or a path relative to the current directory).
    public static func runningExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    }

    /// Opens the first library found on `paths` and checks its ABI version.
    public init(searching paths: [String] = CUDALibrary.searchPaths()) throws {
        guard let found = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw CUDAError(.libraryNotFound, """
                \(Self.fileName) was not found (looked for \(paths.joined(separator: ", "))). Build it with \
                Scripts/build-cuda.sh, or point RSR_CUDA_LIBRARY at it.
                """)
        }
        if let why = LibraryTrust.refusal(found) {
            throw CUDAError(.libraryUnusable, "refusing to load \(found): \(why)")
        }
        var api = rsr_cuda_api()
        var message = [CChar](repeating: 0, count: 1024)
        let status = rsr_cuda_api_open(found, &api, &message, message.count)
        guard status == RSR_CUDA_LOAD_OK else {
            let why = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let hint = status == RSR_CUDA_LOAD_OPEN ? "" : "; rebuild it with Scripts/build-cuda.sh"
            throw CUDAError(.libraryUnusable, "cannot load \(found): \(why)\(hint)")
        }
        path = found
        self.api = api
    }

    deinit { rsr_cuda_api_close(&api) }

    /// Calls a library function and turns a failure into a CUDAError.
    func check(_ status: rsr_cuda_status) throws {
        guard status == RSR_CUDA_OK else { throw CUDAError(status: status, api: api) }
    }

    /// CUDA devices the driver reports; throws `.noDriver` or `.noDevice` when there are none.
    public func deviceCount() throws -> Int {
        var count: Int32 = 0
        try check(api.device_count(&count))
        return Int(count)
    }
}
