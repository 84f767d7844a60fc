import Dispatch
import Foundation
import RSRCore
import RSRFormat
import RSRModel
import Synchronization

/// A model serving many requests at once: one thread owns the model and runs every active sequence's next
/// tokens as one batch per step (continuous batching: requests join and leave between steps, prompts are
/// prefilled in chunks beside running decodes). Everything else talks to it through this class, which
/// holds only the waiting requests, the cancellations and the counters, behind a mutex.
public final class Engine: Sendable {
    public struct Options: Sendable {
        public var threads = 1
        /// Sequences running at once.
        public var parallel = 4
        /// Positions a sequence may use at most (the model's context window when nil or larger).
        public var context: Int?
        /// Requests that may wait for a slot; more are refused.
        public var maxQueue = 64
        /// Tokens one step runs at most: every decoding sequence's next token, then prompt chunks (nil: 64).
        /// Never fewer than `parallel`, so that every running sequence has its token in each step.
        public var stepTokens: Int?

        /// Keeps the KV pages of finished prompts, so that a prompt beginning with the same tokens (a system
        /// prompt, the earlier turns of a chat) runs only the rest. Results are the same either way.
        public var prefixCaching = true

        /// How sequences' keys and values are stored: f16 halves the cache (twice the sequences or context in
        /// the same memory) and the bytes attention reads, at the cost of rounding them.
        public var cacheType = KVCacheType.f32

        var tokensPerStep: Int { max(stepTokens ?? 64, parallel) }

        public init() {}
    }

    public enum Phase: Sendable, Equatable {
        case loading
        /// The model's config and the context a sequence may use.
        case ready(ModelConfig, context: Int)
        case failed(String)
        case stopped
    }

    struct Pending: Sendable {
        let id: UInt64
        let request: GenerationRequest
        let onEvent: @Sendable (GenerationEvent) -> Void
        let submitted: UInt64
    }

    struct Inbox: Sendable {
        var phase = Phase.loading
        var waiting: [Pending] = []
        var cancelled: Set<UInt64> = []
        var stopping = false
        var nextID: UInt64 = 1
        var metrics = EngineMetrics()
    }

    let options: Options
    let inbox = Mutex(Inbox())
    /// Signalled on every submission, cancellation and shutdown: the loop sleeps on it when idle.
    let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the engine's thread, which loads the model file at `path` and then serves.
    public init(modelPath path: String, options: Options) {
        self.options = options
        let thread = Thread { [self] in
            run(modelPath: path)
            finished.signal()
        }
        thread.name = "rsr-engine"
        thread.start()
    }

    public var phase: Phase { inbox.withLock { $0.phase } }
    public var metrics: EngineMetrics { inbox.withLock { $0.metrics } }

    /// Waits until the model is loaded or failed to load; returns the phase.
    public func waitUntilLoaded() -> Phase {
        while true {
            let phase = self.phase
            if phase != .loading { return phase }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Queues `request`; `onEvent` hears its tokens and its end, on the engine's thread (it must return
    /// quickly). Returns the request's id, for `cancel`.
    @discardableResult
    public func submit(_ request: GenerationRequest, onEvent: @escaping @Sendable (GenerationEvent) -> Void) throws(EngineError) -> UInt64 {
        let id = try inbox.withLock { inbox throws(EngineError) -> UInt64 in
            guard !inbox.stopping else { throw .unavailable("the server is shutting down") }
            guard case .ready(let config, let context) = inbox.phase else {
                if case .failed(let why) = inbox.phase { throw .unavailable("the model failed to load: \(why)") }
                throw .unavailable("the model is still loading")
            }
            if let problem = Self.problem(request, config: config, context: context) {
                inbox.metrics.requestsRejected += 1
                throw .invalid(problem)
            }
            // waiting requests beyond the free slots are the queue
            guard inbox.waiting.count < options.maxQueue + max(0, options.parallel - inbox.metrics.active) else {
                inbox.metrics.requestsRejected += 1
                throw .queueFull(waiting: inbox.waiting.count)
            }
            let id = inbox.nextID
            inbox.nextID += 1
            inbox.waiting.append(Pending(id: id, request: request, onEvent: onEvent, submitted: DispatchTime.now().uptimeNanoseconds))
            inbox.metrics.requestsAccepted += 1
            inbox.metrics.waiting = inbox.waiting.count
            return id
        }
        wake.signal()
        return id
    }

    /// Stops request `id` at the next step (it hears `finished(.stopped, ...)`); nothing when it has ended.
    public func cancel(_ id: UInt64) {
        inbox.withLock { _ = $0.cancelled.insert(id) }
        wake.signal()
    }

    /// Refuses new requests, stops every running and waiting one (each hears `finished(.stopped, ...)`),
    /// and returns once the engine's thread has let the model go.
    public func shutdown() {
        inbox.withLock { $0.stopping = true }
        wake.signal()
        finished.wait()
        finished.signal() // a second shutdown returns at once
    }

    /// What makes `request` impossible to run, as a sentence; nil when it can run.
    static func problem(_ request: GenerationRequest, config: ModelConfig, context: Int) -> String? {
        if request.prompt.isEmpty { return "the prompt is empty: there must be at least one token" }
        do { _ = try Generator.capacity(prompt: request.prompt.count, maxTokens: request.maxTokens, context: context) } catch { return "\(error)" }
        if let bad = request.prompt.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            return "token id \(bad) is outside the vocabulary of \(config.vocabSize)"
        }
        if request.maxTokens < 0 { return "max_tokens must not be negative" }
        return request.sampling.problem
    }

    private func run(modelPath path: String) {
        let scheduler: BatchScheduler
        do {
            let model = try Transformer(file: try ModelFile(path: path), threads: options.threads, maxBatch: options.tokensPerStep,
                                        cacheType: options.cacheType)
            let context = min(options.context ?? model.config.contextLength, model.config.contextLength)
            scheduler = try BatchScheduler(model: model, context: context, parallel: options.parallel, stepTokens: options.tokensPerStep,
                                           prefixCaching: options.prefixCaching)
            inbox.withLock { $0.phase = .ready(model.config, context: context) }
        } catch {
            inbox.withLock { $0.phase = .failed("\(error)") }
            return
        }
        serve(scheduler)
        inbox.withLock { $0.phase = .stopped }
    }

    /// The loop: take new requests and cancellations, run a step, count; sleep when nothing runs.
    private func serve(_ scheduler: BatchScheduler) {
        while true {
            let (admitted, cancelled, dropped, stopping) = inbox.withLock { inbox in
                let cancelled = inbox.cancelled
                inbox.cancelled = []
                let dropped = inbox.waiting.filter { cancelled.contains($0.id) }
                inbox.waiting.removeAll { cancelled.contains($0.id) }
                let room = inbox.stopping ? 0 : max(0, options.parallel - scheduler.active)
                let admitted = Array(inbox.waiting.prefix(room))
                inbox.waiting.removeFirst(admitted.count)
                return (admitted, cancelled, dropped, inbox.stopping)
            }
            var tally = Tally()
            for pending in admitted { tally.add(scheduler.admit(pending)) }
            tally.add(scheduler.cancel(stopping ? nil : cancelled))
            for pending in dropped {
                pending.onEvent(.finished(.stopped, GenerationUsage()))
                tally.cancelled += 1
            }
            if stopping {
                let waiting = inbox.withLock { inbox in
                    defer { inbox.waiting = [] }
                    return inbox.waiting
                }
                for pending in waiting {
                    pending.onEvent(.finished(.stopped, GenerationUsage()))
                    tally.cancelled += 1
                }
            }
            if !stopping && !scheduler.isIdle { tally.add(scheduler.step()) }
            let active = scheduler.active, pages = scheduler.pages
            inbox.withLock { inbox in
                tally.record(into: &inbox.metrics)
                inbox.metrics.waiting = inbox.waiting.count
                inbox.metrics.active = active
                (inbox.metrics.kvPagesInUse, inbox.metrics.kvPagesCached, inbox.metrics.kvPages) = pages
            }
            if stopping { return }
            if scheduler.isIdle { wake.wait() }
        }
    }
}
