import FileIO
import Foundation
import Synchronization

/// A fresh directory under /tmp, removed when the value is released or, for one that a global holds (whose
/// deinit never runs), when the process exits.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() {
        var template = Array("/tmp/rsr-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        LiveDirectories.shared.insert(path)
    }

    public func file(_ name: String) -> String { Path.join(path, name) }

    deinit {
        LiveDirectories.shared.remove(path) // first: mkdtemp may hand the name out again once it is gone
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The temporary directories not yet released, removed by an exit handler.
private final class LiveDirectories: Sendable {
    static let shared: LiveDirectories = {
        atexit { for path in LiveDirectories.shared.paths.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) } }
        return LiveDirectories()
    }()
    let paths = Mutex<Set<String>>([])

    func insert(_ path: String) { _ = paths.withLock { $0.insert(path) } }
    func remove(_ path: String) { _ = paths.withLock { $0.remove(path) } }
}

/// Runs python3 with a script and extra environment; nil when python3 cannot be started.
public func runPython(_ script: String, environment: [String: String] = [:]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The Python packages the reference tests compare with. Scripts/test.sh installs them all and sets
/// RSR_REQUIRE_REFERENCES, and then `RequiredReferenceTests` fails for any that cannot be imported: the tests
/// that need it would otherwise be skipped and the run would pass without its strongest checks.
public let pythonReferenceModules = ["accelerate", "huggingface_hub", "jinja2", "numpy", "openai", "safetensors", "sentencepiece", "tokenizers",
                                     "torch", "transformers", "transformers.utils.chat_template_utils"]

/// Whether the run must have every reference: Python packages, the built rsr and the CUDA library.
public let referencesRequired = ProcessInfo.processInfo.environment["RSR_REQUIRE_REFERENCES"] != nil

/// Whether python3 can import `module`, one of `pythonReferenceModules`.
public func pythonHas(_ module: String) -> Bool {
    precondition(pythonReferenceModules.contains(module), "add \(module) to pythonReferenceModules so that CI requires it")
    return runPython("import \(module)")?.status == 0
}
