import Dispatch
import RSRModel

/// What one pass of the loop did, added to the engine's counters under its lock.
struct Tally {
    var finished = 0, failed = 0, cancelled = 0, promptTokens = 0, cachedPromptTokens = 0, generatedTokens = 0
    var steps = 0, rows = 0, sequences = 0, firstTokens = 0
    var secondsToFirstToken = 0.0

    mutating func add(_ other: Tally) {
        finished += other.finished; failed += other.failed; cancelled += other.cancelled
        promptTokens += other.promptTokens; cachedPromptTokens += other.cachedPromptTokens; generatedTokens += other.generatedTokens
        steps += other.steps; rows += other.rows; sequences += other.sequences
        firstTokens += other.firstTokens; secondsToFirstToken += other.secondsToFirstToken
    }

    func record(into m: inout EngineMetrics) {
        m.requestsFinished += finished; m.requestsFailed += failed; m.requestsCancelled += cancelled
        m.promptTokens += promptTokens; m.cachedPromptTokens += cachedPromptTokens; m.generatedTokens += generatedTokens
        m.steps += steps; m.stepRows += rows; m.stepSequences += sequences
        m.firstTokens += firstTokens; m.secondsToFirstTokenSum += secondsToFirstToken
    }
}

/// The running sequences and how a step is made of them; lives on the engine's thread, which alone
/// touches the model. A step runs every decoding sequence's next token, then as many prompt tokens of the
/// prefilling ones, in admission order, as the step has room for. Each sequence samples from its own
/// logits with its own sampler, so what it generates is what it generates alone. Every sequence's cache
/// comes from one KV pool with room for `parallel` sequences of `context` positions; with prefix caching, a
/// prompt that begins like an earlier one takes that one's pages instead of running those tokens again.
final class BatchScheduler {
    struct Sequence {
        let pending: Engine.Pending
        let cache: KVCache
        var sampler: Sampler
        /// Prompt and generated tokens.
        var history: [Int]
        /// Tokens of `history` not yet run through the model.
        var unrun: ArraySlice<Int>
        var generated = 0
        /// Prompt tokens found in the pool's pages instead of run.
        var cached = 0
        var firstToken: UInt64?
        var prompt: Int { pending.request.prompt.count }
    }

    let model: Transformer
    let context: Int
    let stepTokens: Int
    let pool: KVPool
    private var sequences: [Sequence] = []
    /// Each step's logits, a row per sequence, kept from step to step.
    private var logits: [Float] = []

    init(model: Transformer, context: Int, parallel: Int, stepTokens: Int, prefixCaching: Bool) throws {
        self.model = model
        self.context = context
        self.stepTokens = stepTokens
        pool = try model.makePool(pages: max(1, parallel) * KVPool.pages(holding: context), prefixCaching: prefixCaching)
    }

    var active: Int { sequences.count }
    var isIdle: Bool { sequences.isEmpty }

    /// Starts `pending`'s sequence (it takes a step's room from the next step on).
    func admit(_ pending: Engine.Pending) -> Tally {
        var tally = Tally()
        let request = pending.request
        guard request.maxTokens > 0 else {
            var usage = GenerationUsage()
            usage.promptTokens = request.prompt.count
            pending.onEvent(.finished(.length, usage))
            return tally
        }
        let capacity: Int
        do {
            capacity = try Generator.capacity(prompt: request.prompt.count, maxTokens: request.maxTokens, context: context)
        } catch {
            pending.onEvent(.failed("\(error)"))  // checked at submission, so not expected
            tally.failed = 1
            return tally
        }
        sequences.append(Sequence(pending: pending, cache: KVCache(pool: pool, capacity: capacity), sampler: Sampler(request.sampling),
                                  history: request.prompt, unrun: request.prompt[...]))
        return tally
    }

    /// Before a prompt's first chunk runs, takes the pool's pages for its beginning: looked up then rather
    /// than at admission, a burst of prompts that begin alike finds the pages of the first, whose prefill
    /// the step budget runs before theirs. Returns the prompt tokens found.
    private func startPrompt(_ i: Int) -> Int {
        let cached = sequences[i].cache.reusePrefix(of: sequences[i].history)
        sequences[i].cached = cached
        sequences[i].unrun = sequences[i].history[cached...]
        return cached
    }

    /// Pages of the pool that sequences hold, that only the prefix index holds, and in all.
    var pages: (inUse: Int, cached: Int, total: Int) { (pool.pagesInUse, pool.pagesCached, pool.pageCount) }

    /// Stops the sequences whose ids are in `ids` (every one when nil).
    func cancel(_ ids: Set<UInt64>?) -> Tally {
        var tally = Tally()
        sequences.removeAll { sequence in
            guard ids?.contains(sequence.pending.id) ?? true else { return false }
            sequence.pending.onEvent(.finished(.stopped, usage(sequence)))
            tally.cancelled += 1
            return true
        }
        return tally
    }

    /// One batched step; sequences that end leave.
    func step() -> Tally {
        var tally = Tally()
        var chunks: [SequenceChunk] = [], owners: [Int] = []
        var room = stepTokens
        // decoding sequences first, so that a long prompt never holds them up; then prompt chunks
        for decoding in [true, false] {
            for i in sequences.indices where room > 0 && (sequences[i].history.count > sequences[i].prompt) == decoding {
                if sequences[i].cache.count == 0 { tally.cachedPromptTokens += startPrompt(i) }
                let take = min(room, sequences[i].unrun.count)
                chunks.append(SequenceChunk(cache: sequences[i].cache, tokens: Array(sequences[i].unrun.prefix(take))))
                owners.append(i)
                room -= take
            }
        }
        let vocab = model.config.vocabSize
        if logits.count < chunks.count * vocab { logits = [Float](repeating: 0, count: chunks.count * vocab) }
        do {
            try logits.withUnsafeMutableBufferPointer { try model.forward(chunks, logits: $0) }
        } catch {
            for i in owners { sequences[i].pending.onEvent(.failed("\(error)")) }
            tally.failed = owners.count
            let failed = Set(owners)
            sequences = sequences.enumerated().filter { !failed.contains($0.offset) }.map(\.element)
            return tally
        }
        tally.steps = 1
        tally.rows = chunks.reduce(0) { $0 + $1.tokens.count }
        tally.sequences = chunks.count
        var ended = Set<Int>()
        for (row, (i, chunk)) in zip(owners, chunks).enumerated() {
            sequences[i].unrun.removeFirst(chunk.tokens.count)
            if sequences[i].history.count == sequences[i].prompt { tally.promptTokens += chunk.tokens.count }
            guard sequences[i].unrun.isEmpty else { continue }  // the prompt goes on in the next step
            if let reason = sample(&sequences[i], row: row, tally: &tally) {
                sequences[i].pending.onEvent(.finished(reason, usage(sequences[i])))
                tally.finished += 1
                ended.insert(i)
            }
        }
        if !ended.isEmpty { sequences = sequences.enumerated().filter { !ended.contains($0.offset) }.map(\.element) }
        return tally
    }

    /// Picks the sequence's next token and hands it over; returns why the sequence ends, if it does (in
    /// Generator's order: a stop token, the length asked for, the context window).
    private func sample(_ sequence: inout Sequence, row: Int, tally: inout Tally) -> StopReason? {
        let vocab = model.config.vocabSize
        let token = logits.withUnsafeMutableBufferPointer { all in
            sequence.sampler.next(UnsafeMutableBufferPointer(rebasing: all[row * vocab..<(row + 1) * vocab]), history: sequence.history)
        }
        if sequence.firstToken == nil {
            let now = DispatchTime.now().uptimeNanoseconds
            sequence.firstToken = now
            tally.firstTokens += 1
            tally.secondsToFirstToken += Double(now - sequence.pending.submitted) / 1e9
        }
        sequence.history.append(token)
        sequence.generated += 1
        tally.generatedTokens += 1
        sequence.pending.onEvent(.token(token))
        let request = sequence.pending.request
        if request.stopTokens.contains(token) { return .endOfSequence }
        if sequence.generated >= request.maxTokens { return .length }
        if sequence.history.count >= sequence.cache.capacity { return .contextFull }
        sequence.unrun = [token]
        return nil
    }

    private func usage(_ sequence: Sequence) -> GenerationUsage {
        var usage = GenerationUsage()
        usage.promptTokens = sequence.prompt
        usage.cachedPromptTokens = sequence.cached
        usage.generatedTokens = sequence.generated
        let now = DispatchTime.now().uptimeNanoseconds
        usage.secondsToFirstToken = sequence.firstToken.map { Double($0 - sequence.pending.submitted) / 1e9 } ?? 0
        usage.seconds = Double(now - sequence.pending.submitted) / 1e9
        return usage
    }
}
