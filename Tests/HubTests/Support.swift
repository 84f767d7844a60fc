import FileIO
import Foundation
@testable import Hub

/// A fresh directory, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/rsr-hub-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    func file(_ name: String) -> String { Path.join(path, name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A configuration for the fake Hub: short timeouts and backoff so fault tests run fast.
func testConfiguration(_ hub: FakeHub, cache: String, token: String? = nil) -> HubConfiguration {
    var config = HubConfiguration(endpoint: hub.endpoint, token: token, cacheDirectory: cache, offline: false)
    config.connectTimeout = 2
    config.stallTimeout = 1
    config.maxAttempts = 3
    config.retryBaseDelay = 0.05
    config.retryMaxDelay = 2
    return config
}

/// A small model repository: two JSON files, a tokenizer, an LFS weights file, a nested file and a file
/// the default patterns skip.
func sampleRepo(weights: Int = 300_000) -> [FakeHub.File] {
    [
        .init(path: "config.json", content: Array(#"{"model_type":"bitnet"}"#.utf8), lfs: false),
        .init(path: "tokenizer.json", content: Array(#"{"version":"1.0"}"#.utf8), lfs: false),
        .init(path: "model.safetensors", content: randomBytes(weights), lfs: true),
        .init(path: "nested/dir/generation_config.json", content: Array(#"{"eos":1}"#.utf8), lfs: false),
        .init(path: "README.md", content: Array("# readme".utf8), lfs: false),
    ]
}

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

let pythonHasHuggingfaceHub = runPython("import huggingface_hub")?.status == 0
