import Dispatch
import Foundation
import RSRConvert
import RSREngine
import RSRFormat
import RSRModel
import RSRServer
import Synchronization
import TestSupport

/// The default model converted once for these tests.
let modelPath: String = {
    let path = scratch.file("default.rsr")
    var options = ConvertOptions()
    options.threads = 2
    _ = try! Converter(directory: defaultModelDirectory, options: options).convert(to: path)
    return path
}()
private let scratch = TemporaryDirectory()

/// `rsr serve` in this process, on a free loopback port.
struct RunningServer: Sendable {
    let engine: Engine
    let session: GenerationSession
    let port: Int
    private let task: Task<Void, any Error>

    var base: String { "http://127.0.0.1:\(port)" }

    static func start(parallel: Int = 8, maxQueue: Int = 64, apiKey: String? = nil, maxBodyBytes: Int = 4 << 20) async throws -> RunningServer {
        var engineOptions = Engine.Options()
        engineOptions.threads = 2
        engineOptions.parallel = parallel
        engineOptions.maxQueue = maxQueue
        let engine = Engine(modelPath: modelPath, options: engineOptions)
        guard case .ready = engine.waitUntilLoaded() else { throw EngineError.unavailable("\(engine.phase)") }
        let session = try GenerationSession(file: try ModelFile(path: modelPath))
        var options = OpenAIServer.Options()
        options.port = 0
        options.apiKey = apiKey
        options.modelID = "default"
        options.maxBodyBytes = maxBodyBytes
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = OpenAIServer(engine: engine, session: session, options: options).application { port in
            continuation.yield(port)
            continuation.finish()
        }
        let task = Task { try await application.run() }
        var port = 0
        for await p in ports { port = p }
        return RunningServer(engine: engine, session: session, port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        engine.shutdown()
    }

    /// What `rsr generate` writes for `prompt` (greedy), as ids turned to text the way the server does.
    func generateAlone(_ prompt: [Int], maxTokens: Int) throws -> String {
        let model = try Transformer(file: try ModelFile(path: modelPath), threads: 2)
        var ids: [Int] = []
        try Generator(model: model, stopTokens: session.stopTokens).generate(prompt: prompt, maxTokens: maxTokens) { ids.append($0); return true }
        return session.tokenizer.decode(ids, skipSpecialTokens: true)
    }
}

/// Runs a program off Swift's cooperative threads (the server in this process needs them) and returns
/// its exit status and standard output.
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async -> (status: Int32, output: String) {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            let pipe = Pipe()
            process.standardOutput = pipe
            do { try process.run() } catch {
                continuation.resume(returning: (-1, "\(error)"))
                return
            }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
        }
    }
}

/// curl's answer: the status code and the body.
func curl(_ arguments: [String]) async -> (status: Int, body: String) {
    let (_, output) = await run("curl", ["-s", "-S", "-w", "\n%{http_code}"] + arguments)
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
}

/// The parsed JSON object of `text`.
func object(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}
