import ArgumentParser
import Dispatch
import Foundation
import Hummingbird
import RSREngine
import RSRFormat
import RSRServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over OpenAI's HTTP API, batching concurrent requests.",
        discussion: """
            MODEL is what rsr generate takes; a directory or repo id converts once with rsr convert's --kernel \
            serve (rsr-t for one sequence, packed-i2 for the batches of several). Endpoints: POST \
            /v1/chat/completions and /v1/completions (whole or streamed as server-sent events), GET /v1/models, /health (200 once the model is loaded) and /metrics \
            (Prometheus). Up to --parallel requests run at once, each step decoding all of them as one batch; \
            up to --max-queue more wait, and further ones get 429. Their keys and values share one cache of \
            --parallel x --context positions in pages of 64, whose memory is taken as it is written; the pages of \
            finished prompts are kept, and a prompt that begins with the same tokens (a system prompt, the earlier \
            turns of a chat) reuses them instead of reading those tokens again. SIGTERM or SIGINT stops accepting \
            connections, lets running requests go on for --shutdown-grace seconds, stops them, and exits 0.
            """
    )

    @Argument(help: "A model file, a model directory or a Hub repo id.")
    var model: String

    @Option(help: "Address to listen on (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "Requests generating at once.")
    var parallel = 4

    @Option(help: "Positions a request may use at most (default: the model's context window).")
    var context: Int?

    @Flag(inversion: .prefixedNo, help: "Reuse the cached keys and values of earlier prompts' shared beginnings.")
    var prefixCache = true

    @Option(help: "Requests that may wait for a slot; more are refused with 429.")
    var maxQueue = 64

    @Option(help: ArgumentHelp("Tokens one step runs at most: each generating request's next token, then prompt chunks (at least --parallel).",
                               discussion: "Fewer keep the gaps between tokens short while new prompts are read; more read prompts sooner."))
    var batchTokens = 64

    @Option(help: "Require 'Authorization: Bearer KEY' on every request but /health (or set RSR_API_KEY).")
    var apiKey: String?

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var cache: CacheTypeOption

    @Option(help: "Where to run: auto or cpu (the CUDA backend does not serve batches yet).")
    var backend: Backend = .auto

    @Option(help: "Seconds running requests may go on after SIGTERM before they are stopped.")
    var shutdownGrace = 10.0

    @Option(help: "When MODEL is a repo id: branch, tag or commit.")
    var revision = "main"

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port \(port) is out of range; use 0 to 65535.") }
        if !(1...256).contains(parallel) { throw ValidationError("--parallel \(parallel) is out of range; use 1 to 256.") }
        if let context, context < 2 { throw ValidationError("--context must be at least 2.") }
        if maxQueue < 0 { throw ValidationError("--max-queue must be 0 or more.") }
        if !(1...4096).contains(batchTokens) { throw ValidationError("--batch-tokens \(batchTokens) is out of range; use 1 to 4096.") }
        if backend == .cuda { throw ValidationError("--backend cuda does not serve yet (the CUDA model runs one sequence); use --backend cpu.") }
        if apiKey?.isEmpty == true { throw ValidationError("--api-key is empty.") }
        if !(shutdownGrace >= 0) { throw ValidationError("--shutdown-grace must be 0 or more seconds.") }
    }

    func run() async throws {
        var source = ModelSource(argument: model)
        source.revision = revision
        source.kernel = .serve // steps of a few sequences take a batch kernel (KernelPolicy.serve)
        source.backing = .mapped // for the tokenizer; the engine reads the weights into memory itself
        let file = try source.open()
        let session = try GenerationSession(file: file)
        var engineOptions = Engine.Options()
        engineOptions.threads = threads.count
        engineOptions.parallel = parallel
        engineOptions.context = context
        engineOptions.maxQueue = maxQueue
        engineOptions.stepTokens = batchTokens
        engineOptions.prefixCaching = prefixCache
        engineOptions.cacheType = cache.cacheType
        let engine = Engine(modelPath: file.path, options: engineOptions)
        if case .failed(let why) = engine.waitUntilLoaded() { throw ValidationError("\(file.path): \(why)") }
        var options = OpenAIServer.Options()
        options.host = host
        options.port = port
        options.apiKey = apiKey ?? ProcessInfo.processInfo.environment["RSR_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        options.modelID = model
        let server = OpenAIServer(engine: engine, session: session, options: options)
        let grace = shutdownGrace
        let signals = [SIGTERM, SIGINT].map { signal in
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                DispatchQueue.global().asyncAfter(deadline: .now() + grace) { engine.shutdown() }
            }
            source.resume()
            return source
        }
        let host = self.host, threadCount = threads.count, cacheType = cache.cacheType
        let application = server.application { port in
            let line = "rsr: serving \(file.path) on http://\(host):\(port) (\(parallel) at once, \(threadCount) threads, \(cacheType.rawValue) KV cache)\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        engine.shutdown()
        signals.forEach { $0.cancel() }
    }
}
