import FileIO
import Foundation

/// A fresh directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/rsr-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    func file(_ name: String) -> String { Path.join(path, name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Raw bytes of a safetensors file with the given header text and data.
func safetensorsBytes(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    return withUnsafeBytes(of: (headerLength ?? UInt64(h.count)).littleEndian) { Array($0) } + h + data
}

/// The shared fixtures directory (../shared/fixtures beside the checkout), found from this source file.
let fixturesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("shared/fixtures").path
}()

/// Runs python3 with a script; nil when python3 or a module it imports is missing.
func runPython(_ script: String, environment: [String: String] = [:]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func pythonHas(_ module: String) -> Bool { runPython("import \(module)")?.status == 0 }
