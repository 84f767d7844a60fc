import Dispatch
import Foundation
import RSRConvert
import RSREngine
import RSRFormat
import RSRModel
import Synchronization
import TestSupport
import Testing

/// Everything the engine said to each request, by request.
final class Transcript: Sendable {
    private let events = Mutex<[Int: [GenerationEvent]]>([:])
    private let ended = DispatchSemaphore(value: 0)

    func listener(_ key: Int) -> @Sendable (GenerationEvent) -> Void {
        { event in
            self.events.withLock { $0[key, default: []].append(event) }
            if case .token = event { return }
            self.ended.signal()
        }
    }

    /// Waits for `count` requests to end (at most a minute each).
    func waitForEnds(_ count: Int) -> Bool {
        (0..<count).allSatisfy { _ in ended.wait(timeout: .now() + 60) == .success }
    }

    func tokens(_ key: Int) -> [Int] {
        events.withLock { $0[key, default: []] }.compactMap { if case .token(let t) = $0 { t } else { nil } }
    }

    func end(_ key: Int) -> GenerationEvent? { events.withLock { $0[key]?.last } }
}

func startEngine(parallel: Int, maxQueue: Int = 64, stepTokens: Int = 32, prefixCaching: Bool = true) throws -> Engine {
    var options = Engine.Options()
    options.prefixCaching = prefixCaching
    options.threads = 2
    options.parallel = parallel
    options.maxQueue = maxQueue
    options.stepTokens = stepTokens
    let engine = Engine(modelPath: modelPath, options: options)
    guard case .ready = engine.waitUntilLoaded() else { throw EngineError.unavailable("\(engine.phase)") }
    return engine
}

/// What `rsr generate` gives `prompt`: the tokens of a Generator over the model alone.
func generatedAlone(_ model: Transformer, _ prompt: [Int], sampling: SamplingOptions, maxTokens: Int) throws -> [Int] {
    var tokens: [Int] = []
    try Generator(model: model, options: sampling).generate(prompt: prompt, maxTokens: maxTokens) {
        tokens.append($0)
        return true
    }
    return tokens
}

@Suite struct EngineTests {
    /// Prompts of 1 to 45 tokens (longer than a step, so their prefill is cut into chunks beside the others'
    /// decoding), one of them sampled with a seed.
    static let prompts: [[Int]] = (0..<8).map { i in (0..<(1 + i * 6)).map { 5 + ($0 * 31 + i * 17) % 4000 } }

    static func request(_ i: Int) -> GenerationRequest {
        var sampling = SamplingOptions()
        if i == 3 {
            sampling.greedy = false
            sampling.temperature = 0.8
            sampling.topP = 0.9
            sampling.seed = 7
        }
        return GenerationRequest(prompt: prompts[i], maxTokens: 12, sampling: sampling)
    }

    /// With the step budget at its least (one token per running request, prompts a token at a time as room
    /// frees) and at 32 (chunks of several prompts in one step).
    @Test(arguments: [8, 32])
    func eightConcurrentRequestsGetWhatEachGetsAlone(stepTokens: Int) throws {
        let model = try Transformer(file: try ModelFile(path: modelPath), threads: 2)
        let alone = try Self.prompts.indices.map { i in try generatedAlone(model, Self.prompts[i], sampling: Self.request(i).sampling, maxTokens: 12) }
        let engine = try startEngine(parallel: 8, stepTokens: stepTokens)
        defer { engine.shutdown() }
        let transcript = Transcript()
        for i in Self.prompts.indices { try engine.submit(Self.request(i), onEvent: transcript.listener(i)) }
        #expect(transcript.waitForEnds(8))
        for i in Self.prompts.indices {
            #expect(transcript.tokens(i) == alone[i], "request \(i)")
            guard case .finished(.length, let usage) = transcript.end(i) else {
                Issue.record("request \(i) ended with \(String(describing: transcript.end(i)))")
                continue
            }
            #expect(usage.promptTokens == Self.prompts[i].count && usage.generatedTokens == 12)
        }
        var metrics = engine.metrics  // counted after the step that ended the last request
        for _ in 0..<200 where metrics.requestsFinished < 8 {
            Thread.sleep(forTimeInterval: 0.005)
            metrics = engine.metrics
        }
        #expect(metrics.requestsFinished == 8 && metrics.generatedTokens == 96 && metrics.active == 0)
        #expect(metrics.stepSequences > metrics.steps, "steps held several sequences")
    }

    /// Four prompts that begin with the same 150 tokens: the first runs alone, then three at once take its two
    /// whole pages (128 positions) instead of running those tokens, and each gets the tokens it gets alone.
    /// The same when all four come at once (the others look for pages when their first chunk runs, after the
    /// first prompt's). Without prefix caching nothing is taken.
    @Test(arguments: [(true, false), (true, true), (false, false)])
    func promptsThatShareABeginningReuseItsPagesAndGetWhatEachGetsAlone(prefixCaching: Bool, atOnce: Bool) throws {
        let shared = (0..<150).map { 9 + ($0 * 53) % 4000 }
        let prompts = (0..<4).map { i in shared + (0...i).map { 100 + i * 10 + $0 } }
        let model = try Transformer(file: try ModelFile(path: modelPath), threads: 2)
        let alone = try prompts.map { try generatedAlone(model, $0, sampling: SamplingOptions(), maxTokens: 8) }
        let engine = try startEngine(parallel: 4, prefixCaching: prefixCaching)
        defer { engine.shutdown() }
        let transcript = Transcript()
        try engine.submit(GenerationRequest(prompt: prompts[0], maxTokens: 8), onEvent: transcript.listener(0))
        if !atOnce { #expect(transcript.waitForEnds(1)) }
        for i in 1..<4 { try engine.submit(GenerationRequest(prompt: prompts[i], maxTokens: 8), onEvent: transcript.listener(i)) }
        #expect(transcript.waitForEnds(atOnce ? 4 : 3))
        for i in prompts.indices {
            #expect(transcript.tokens(i) == alone[i], "request \(i)")
            guard case .finished(.length, let usage) = transcript.end(i) else {
                Issue.record("request \(i) ended with \(String(describing: transcript.end(i)))")
                continue
            }
            #expect(usage.promptTokens == prompts[i].count && usage.cachedPromptTokens == (prefixCaching && i > 0 ? 128 : 0), "request \(i)")
        }
        var metrics = engine.metrics
        for _ in 0..<200 where metrics.requestsFinished < 4 {
            Thread.sleep(forTimeInterval: 0.005)
            metrics = engine.metrics
        }
        let ran = prompts.reduce(0) { $0 + $1.count } - (prefixCaching ? 3 * 128 : 0)
        #expect(metrics.cachedPromptTokens == (prefixCaching ? 3 * 128 : 0) && metrics.promptTokens == ran)
        #expect(metrics.kvPagesInUse == 0 && metrics.kvPages == 4 * 4 && metrics.kvPagesCached == (prefixCaching ? 2 : 0))
    }

    @Test func requestsBeyondTheQueueAndImpossibleOnesAreRefused() throws {
        let engine = try startEngine(parallel: 1, maxQueue: 1)
        defer { engine.shutdown() }
        let transcript = Transcript()
        let long = GenerationRequest(prompt: [5, 6, 7], maxTokens: 200)
        try engine.submit(long, onEvent: transcript.listener(0))
        while transcript.tokens(0).isEmpty { Thread.sleep(forTimeInterval: 0.005) }  // running: the queue is empty
        try engine.submit(long, onEvent: transcript.listener(1))
        for _ in 0..<3 {
            #expect(throws: EngineError.queueFull(waiting: 1)) { try engine.submit(long, onEvent: transcript.listener(2)) }
        }
        #expect(engine.metrics.requestsRejected == 3 && engine.metrics.waiting == 1)
        let bad: [(GenerationRequest, String)] = [
            (GenerationRequest(prompt: [], maxTokens: 4), "prompt is empty"),
            (GenerationRequest(prompt: [Int](repeating: 5, count: 5000), maxTokens: 4), "context window"),
            (GenerationRequest(prompt: [999_999], maxTokens: 4), "outside the vocabulary"),
            (GenerationRequest(prompt: [5], maxTokens: -1), "max_tokens"),
        ]
        for (request, words) in bad {
            #expect(throws: EngineError.self) { try engine.submit(request, onEvent: transcript.listener(9)) }
            do { try engine.submit(request, onEvent: transcript.listener(9)) } catch { #expect(error.description.contains(words), "\(error)") }
        }
    }

    @Test func aCancelledRequestStopsAndLeavesItsSlotToTheNext() throws {
        let engine = try startEngine(parallel: 1)
        defer { engine.shutdown() }
        let transcript = Transcript()
        let first = try engine.submit(GenerationRequest(prompt: [5, 6, 7], maxTokens: 10_000), onEvent: transcript.listener(0))
        try engine.submit(GenerationRequest(prompt: [8, 9], maxTokens: 5), onEvent: transcript.listener(1))
        while transcript.tokens(0).count < 3 { Thread.sleep(forTimeInterval: 0.005) }
        engine.cancel(first)
        #expect(transcript.waitForEnds(2))
        guard case .finished(.stopped, _) = transcript.end(0) else { Issue.record("\(String(describing: transcript.end(0)))"); return }
        #expect(transcript.tokens(0).count < 200 && transcript.tokens(1).count == 5)
        for _ in 0..<200 where engine.metrics.requestsCancelled == 0 { Thread.sleep(forTimeInterval: 0.005) }
        #expect(engine.metrics.requestsCancelled == 1)
    }

    @Test func shutdownStopsRunningAndWaitingRequests() throws {
        let engine = try startEngine(parallel: 1)
        let transcript = Transcript()
        for i in 0..<3 { try engine.submit(GenerationRequest(prompt: [5, 6, 7], maxTokens: 10_000), onEvent: transcript.listener(i)) }
        while transcript.tokens(0).isEmpty { Thread.sleep(forTimeInterval: 0.005) }
        engine.shutdown()
        #expect(transcript.waitForEnds(3))
        for i in 0..<3 {
            guard case .finished(.stopped, _) = transcript.end(i) else { Issue.record("request \(i): \(String(describing: transcript.end(i)))"); continue }
        }
        #expect(engine.phase == .stopped)
        #expect(throws: EngineError.self) { try engine.submit(GenerationRequest(prompt: [5], maxTokens: 1), onEvent: { _ in }) }
    }
}
