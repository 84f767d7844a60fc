import Foundation

/// The fixtures the repository carries: Tests/Fixtures, made by Scripts/make_fixtures.py (see its README.md),
/// found from this source file.
public let fixturesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<2 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Fixtures").path
}()

/// The ternary fixtures in transformers' own layouts, each with a tokenizer.json: BitNet b1.58 2B-4T's packed
/// layout (with a Llama 3 style tokenizer and chat template), the -bf16 online layout, and Llama with
/// packed BitLinear weights, without and with `use_rms_norm`.
public let fixtureNames = ["bitnet-2b4t-packed", "bitnet-bf16-online", "llama-bitlinear-packed", "llama-bitlinear-rmsnorm"]

/// 1bitLLM's BitnetForCausalLM: fp16 weights ternarised at run time, and only a SentencePiece tokenizer.model.
public let oneBitLLMFixture = "bitnet-1bitllm-fp16"

/// Every fixture that converts without `--quantize ternary`.
public let ternaryFixtureNames = fixtureNames + [oneBitLLMFixture]

/// A float LlamaForCausalLM trained on the King James Bible, for `--quantize ternary`; it carries eval.txt
/// and transformers' perplexity on it in refs.json.
public let floatLlamaFixture = "llama-float-kjv"

/// Every fixture directory.
public let allFixtureNames = ternaryFixtureNames + [floatLlamaFixture]

/// ../shared/fixtures beside the checkout (or $RSR_SHARED_FIXTURES), where a machine has it (nil elsewhere,
/// as in a fresh clone): older fixtures that tests may cross-check against, never require.
public let sharedFixturesDirectory: String? = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    let path = ProcessInfo.processInfo.environment["RSR_SHARED_FIXTURES"] ?? url.appendingPathComponent("shared/fixtures").path
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue ? path : nil
}()

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

    /// `environment`: the whole environment of the process (nil: this process's). `fileSizeLimit`: plays a
    /// full disk: no file may grow past it (RLIMIT_FSIZE through prlimit, with SIGXFSZ ignored so that a
    /// write past it fails with EFBIG, as it would with ENOSPC, instead of killing rsr).
    public init(_ arguments: [String], environment: [String: String]? = nil, fileSizeLimit: Int? = nil) throws {
        if let limit = fileSizeLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "trap '' XFSZ; exec /usr/bin/prlimit --fsize=\(limit) \"$0\" \"$@\"", rsrExecutable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: rsrExecutable)
            process.arguments = arguments
        }
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
    public static func run(_ arguments: [String], environment: [String: String]? = nil,
                           fileSizeLimit: Int? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try RSRProcess(arguments, environment: environment, fileSizeLimit: fileSizeLimit).finish()
    }
}

/// The model the project ships in models/ (the README's first command runs it).
public let defaultModelDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("models/bitnet-kjv-5m").path
}()
