import FileIO
import Foundation

/// A fresh directory under /tmp, removed when the value is released.
public final class TemporaryDirectory {
    public let path: String

    public init() {
        var template = Array("/tmp/rsr-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    public func file(_ name: String) -> String { Path.join(path, name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
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

/// Whether python3 can import `module`.
public func pythonHas(_ module: String) -> Bool { runPython("import \(module)")?.status == 0 }
