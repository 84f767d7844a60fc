import Foundation
import RSRCore
import RSRFormat

/// The forward pass of the decoder-only transformers rsr converts: BitNet (relu² GLU, sub-norms),
/// Llama with BitLinear projections (SiLU GLU, optional per-projection input norms) and 1bitLLM's Bitnet
/// (SiLU GLU, sub-norms). Prompts run as batches through the prefill layouts, tokens one at a time
/// through the decode layouts; several sequences' tokens can share one batch (`forward(_ chunks:)`).
public final class Transformer {
    public let file: ModelFile
    public let config: ModelConfig
    let weights: ModelWeights
    let pool: ThreadPool
    private let rope: RoPE
    private let scratch: Scratch
    private let activation: Norms.Activation
    /// Prompt tokens per prefill step.
    public let maxBatch: Int
    /// The cache of the sequence run through `LanguageModel`.
    var sequence: KVCache?

    /// How the ternary projections are computed.
    public let kernel: ProductKernel
    /// How the caches this model makes store keys and values.
    public let cacheType: KVCacheType

    /// Loads the model file's weights in place, checking every layout's indices first. A baseline `kernel`
    /// builds its own copy of the weights from them (see ProductKernel).
    public init(file: ModelFile, threads: Int, maxBatch: Int = 128, kernel: ProductKernel = .index, cacheType: KVCacheType = .f32) throws {
        guard maxBatch >= 1 else { throw ModelError("maxBatch must be at least 1, not \(maxBatch)") }
        self.file = file
        config = file.manifest.model
        self.kernel = kernel
        self.cacheType = cacheType
        if kernel == .openblasF32 {
            let floats = file.manifest.linears.values.reduce(0) { $0 + $1.rows * $1.cols * 4 }
            let memory = Int(ProcessInfo.processInfo.physicalMemory)
            guard floats < memory / 4 * 3 else {
                throw ModelError("openblas-f32 needs \(floats >> 30) GiB of float weights; this machine has \(memory >> 30) GiB of memory")
            }
        }
        weights = try ModelWeights(file, kernel: kernel)
        pool = try ThreadPool(threads: threads)
        rope = RoPE(config: config)
        self.maxBatch = maxBatch
        activation = config.activation == .relu2 ? .relu2 : .silu
        scratch = Scratch(config: ModelConfigView(hidden: config.hiddenSize, intermediate: config.intermediateSize,
                                                  qWidth: config.headCount * config.headDim,
                                                  kvWidth: config.kvHeadCount * config.headDim),
                          maxBatch: maxBatch, floatBaseline: kernel == .hfUnpack || kernel == .openblasF32)
    }

    /// A cache for up to `capacity` positions, in a pool of its own.
    public func makeCache(capacity: Int) throws -> KVCache {
        KVCache(pool: try makePool(pages: KVPool.pages(holding: capacity), prefixCaching: false), capacity: capacity)
    }

    /// A pool of `pages` KV pages (of `KVPool.defaultPagePositions` positions) for this model's sequences.
    public func makePool(pages: Int, prefixCaching: Bool) throws -> KVPool {
        try KVPool(layers: config.layerCount, kvHeads: config.kvHeadCount, headDim: config.headDim, pageCount: pages,
                   cacheType: cacheType, prefixCaching: prefixCaching)
    }

    /// Runs `tokens` at the cache's next positions and returns the logits after each token at `positions`
    /// (indices into `tokens`; the last one when nil).
    public func forward(_ tokens: [Int], cache: KVCache, logitsAt positions: Range<Int>? = nil) throws -> Logits {
        guard !tokens.isEmpty else { throw ModelError("nothing to run: no tokens") }
        let positions = positions ?? tokens.count - 1..<tokens.count
        guard positions.lowerBound >= 0, positions.upperBound <= tokens.count else {
            throw ModelError("logits asked for positions \(positions) of a run of \(tokens.count) tokens")
        }
        try check(cache, adding: tokens)
        let vocab = config.vocabSize
        var values = [Float](repeating: 0, count: positions.count * vocab)
        var done = 0
        while done < tokens.count {
            let batch = min(maxBatch, tokens.count - done)
            try step([SequenceChunk(cache: cache, tokens: Array(tokens[done..<done + batch]))])
            let wanted = positions.clamped(to: done..<done + batch)
            if !wanted.isEmpty {
                let first = scratch.hidden + (wanted.lowerBound - done) * config.hiddenSize
                Norms.rms(first, rows: wanted.count, cols: config.hiddenSize, weight: weights.finalNorm, eps: config.rmsNormEps,
                          into: scratch.normed, pool: pool)
                try values.withUnsafeMutableBufferPointer { out in
                    try weights.head.multiply(scratch.normed, batch: wanted.count,
                                              into: out.baseAddress! + (wanted.lowerBound - positions.lowerBound) * vocab,
                                              workspace: scratch.workspace, pool: pool)
                }
            }
            done += batch
        }
        return Logits(vocabSize: vocab, positions: positions, values: values)
    }

    /// Runs the chunks of several sequences as one batch: every projection takes all their rows at once
    /// (the batch layouts), each chunk's tokens at its own cache's next positions, attending to its own cache.
    /// Returns, for each chunk, the logits after its last token. A sequence's results are those it gets alone:
    /// the products of ternary and integer weights are exact integers, attention and norms run row by row, and
    /// a float head multiplies each row on its own (its batch kernel sums in another order).
    public func forward(_ chunks: [SequenceChunk]) throws -> [[Float]] {
        var values = [Float](repeating: 0, count: chunks.count * config.vocabSize)
        try values.withUnsafeMutableBufferPointer { try forward(chunks, logits: $0) }
        return chunks.indices.map { Array(values[$0 * config.vocabSize..<($0 + 1) * config.vocabSize]) }
    }

    /// `forward(_:)` into `logits`, row i (of vocabSize floats) for chunk i, so that a caller stepping
    /// again and again reuses one buffer: a step of 8 sequences of a 128k vocabulary would otherwise
    /// allocate, clear and copy 4 MB while the pool's workers wait.
    public func forward(_ chunks: [SequenceChunk], logits: UnsafeMutableBufferPointer<Float>) throws {
        guard !chunks.isEmpty else { return }
        let hidden = config.hiddenSize, vocab = config.vocabSize
        guard logits.count >= chunks.count * vocab else {
            throw ModelError("logits for \(chunks.count) sequences need \(chunks.count * vocab) floats, not \(logits.count)")
        }
        let rows = chunks.reduce(0) { $0 + $1.tokens.count }
        guard rows <= maxBatch else { throw ModelError("\(rows) tokens in one step; this model takes at most \(maxBatch)") }
        for (i, chunk) in chunks.enumerated() {
            guard !chunk.tokens.isEmpty else { throw ModelError("chunk \(i) has no tokens") }
            guard !chunks[..<i].contains(where: { $0.cache === chunk.cache }) else { throw ModelError("chunk \(i) repeats a sequence of the step") }
            try check(chunk.cache, adding: chunk.tokens)
        }
        try step(chunks)
        var row = 0
        for (i, chunk) in chunks.enumerated() {
            row += chunk.tokens.count
            Norms.rms(scratch.hidden + (row - 1) * hidden, rows: 1, cols: hidden, weight: weights.finalNorm, eps: config.rmsNormEps,
                      into: scratch.normed + i * hidden, pool: pool)
        }
        let out = logits.baseAddress!
        if weights.head.type.isFloat {
            for i in chunks.indices {
                try weights.head.multiply(scratch.normed + i * hidden, batch: 1, into: out + i * vocab, workspace: scratch.workspace, pool: pool)
            }
        } else {
            try weights.head.multiply(scratch.normed, batch: chunks.count, into: out, workspace: scratch.workspace, pool: pool)
        }
    }

    /// Throws unless `tokens` fit in `cache` and the vocabulary, and the cache is this model's.
    private func check(_ cache: KVCache, adding tokens: [Int]) throws {
        guard cache.layers == config.layerCount, cache.pool.kvHeads == config.kvHeadCount, cache.pool.headDim == config.headDim else {
            throw ModelError("the cache was made for another model (\(cache.layers) layers of \(cache.pool.kvHeads) KV heads of \(cache.pool.headDim))")
        }
        guard cache.pool.cacheType == cacheType else {
            throw ModelError("the cache holds \(cache.pool.cacheType.rawValue) values; this model's attention reads \(cacheType.rawValue)")
        }
        guard cache.count + tokens.count <= cache.capacity else {
            throw ModelError("\(cache.count + tokens.count) positions exceed the cache's \(cache.capacity)")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw ModelError("token id \(bad) is outside the vocabulary of \(config.vocabSize)")
        }
    }

    /// One batch of chunks through every block: the rows of all chunks together through norms and
    /// projections, each chunk's through RoPE, its cache and attention at its own positions. Leaves the
    /// residual stream in scratch.hidden.
    private func step(_ chunks: [SequenceChunk]) throws {
        let c = config, s = scratch, n = chunks.reduce(0) { $0 + $1.tokens.count }
        let hidden = c.hiddenSize, qWidth = c.headCount * c.headDim, kvWidth = c.kvHeadCount * c.headDim
        var firstRow: [Int] = []
        var row = 0
        for chunk in chunks {
            firstRow.append(row)
            for token in chunk.tokens {
                try weights.embeddings.row(token, into: s.hidden + row * hidden)
                row += 1
            }
        }
        for chunk in chunks { try chunk.cache.reserve(chunk.tokens.count) }
        // every row's own position, so that one call per layer rotates the rows of all chunks
        let rotations = rope.rotations(positions: chunks.flatMap { chunk in (0..<chunk.tokens.count).map { chunk.cache.count + $0 } })
        for (layer, block) in weights.blocks.enumerated() {
            Norms.rms(s.hidden, rows: n, cols: hidden, weight: block.inputNorm, eps: c.rmsNormEps, into: s.normed, pool: pool)
            try Linear.project([block.q, block.k, block.v], s.normed, batch: n, into: [s.q, s.k, s.v], scratch: s, pool: pool)
            rotations.apply(s.q, heads: c.headCount, pool: pool)
            rotations.apply(s.k, heads: c.kvHeadCount, pool: pool)
            // every chunk's attention in one pass over the pool: a decoding sequence alone is a few tasks
            let sequences = chunks.indices.map { i in
                let cache = chunks[i].cache, tokens = chunks[i].tokens.count, r = firstRow[i]
                cache.append(keys: s.k + r * kvWidth, values: s.v + r * kvWidth, tokens: tokens, layer: layer)
                return TransformerKernels.AttentionSequence(q: s.q + r * qWidth, tokens: tokens, start: cache.count, keys: cache.pool.keys(layer),
                                                            values: cache.pool.values(layer), pages: cache.pages,
                                                            pagePositions: cache.pool.pagePositions, pageCount: cache.pool.pageCount,
                                                            into: s.attention + r * qWidth)
            }
            try TransformerKernels.attention(sequences, heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim,
                                             cacheType: cacheType, workspace: s.workspace, pool: pool)
            var attentionOut = UnsafePointer(s.attention)
            if let norm = block.attentionSubNorm {
                Norms.rms(s.attention, rows: n, cols: qWidth, weight: norm, eps: c.rmsNormEps, into: s.normed, pool: pool)
                attentionOut = UnsafePointer(s.normed)
            }
            try block.o(attentionOut, batch: n, into: s.projected, scratch: s, pool: pool)
            add(s.projected, into: s.hidden, count: n * hidden)

            Norms.rms(s.hidden, rows: n, cols: hidden, weight: block.postAttentionNorm, eps: c.rmsNormEps, into: s.normed, pool: pool)
            try Linear.project([block.gate, block.up], s.normed, batch: n, into: [s.gate, s.up], scratch: s, pool: pool)
            Norms.glu(s.gate, s.up, count: n * c.intermediateSize, activation: activation, pool: pool)
            var mlpOut = UnsafePointer(s.gate)
            if let norm = block.mlpSubNorm {
                Norms.rms(s.gate, rows: n, cols: c.intermediateSize, weight: norm, eps: c.rmsNormEps, into: s.normed, pool: pool)
                mlpOut = UnsafePointer(s.normed)
            }
            try block.down(mlpOut, batch: n, into: s.projected, scratch: s, pool: pool)
            add(s.projected, into: s.hidden, count: n * hidden)
        }
        for chunk in chunks { chunk.cache.commit(chunk.tokens) }
    }

    private func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    /// Bytes one decoded token reads from the weights (layouts, head, an embedding row).
    public var bytesPerToken: Int { weights.bytesPerToken }
}
