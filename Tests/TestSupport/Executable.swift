import Foundation

/// The shared fixtures directory (../shared/fixtures beside the checkout), found from this source file.
public let fixturesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("shared/fixtures").path
}()

/// The fixture model directories.
public let fixtureNames = ["bitnet-2b4t-layout-llama3tok", "bitnet-bf16-online", "llama-bitlinear-packed"]

/// The rsr executable built beside the test bundle.
public let rsrExecutable: String = {
    var url = Bundle.main.bundleURL
    if url.pathExtension == "xctest" { url.deleteLastPathComponent() }
    return url.appendingPathComponent("rsr").path
}()

public var rsrIsBuilt: Bool { FileManager.default.isExecutableFile(atPath: rsrExecutable) }

/// A started `rsr` process with piped output.
public final class RSRProcess {
    public let process = Process()
    private let out = Pipe(), err = Pipe()

    /// `environment`: the whole environment of the process (nil: this process's).
    public init(_ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: rsrExecutable)
        process.arguments = arguments
        process.environment = environment ?? ProcessInfo.processInfo.environment
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    /// Waits for the exit; returns the status and everything printed.
    public func finish() -> (status: Int32, stdout: String, stderr: String) {
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Runs `rsr` to completion.
    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try RSRProcess(arguments, environment: environment).finish()
    }
}

/// The model the project ships in models/ (the README's first command runs it).
public let defaultModelDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("models/bitnet-kjv-5m").path
}()
