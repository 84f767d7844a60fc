import RSRCore

/// One sequence's keys and values: up to `capacity` positions in pages of a `KVPool`, taken as the
/// sequence grows and given back when it is reset or let go. Attention reads them through the page table.
public final class KVCache {
    public let pool: KVPool
    public let capacity: Int
    /// Positions filled so far.
    public private(set) var count = 0
    /// The tokens at positions 0..<count, for the pool's prefix index.
    private var tokens: [Int] = []
    /// pages[i] holds positions i * pagePositions ..< (i + 1) * pagePositions.
    let pages: UnsafeMutablePointer<UInt32>
    private var pagesTaken = 0
    /// The prefix index's link for the last full page (where the next full page is recorded).
    private var chain = PrefixIndex.root

    /// A cache of `capacity` positions in `pool`; it takes no page before it is written.
    public init(pool: KVPool, capacity: Int) {
        self.pool = pool
        self.capacity = max(0, capacity)
        pages = .allocate(capacity: KVPool.pages(holding: self.capacity, pagePositions: pool.pagePositions))
    }

    deinit {
        releasePages()
        pages.deallocate()
    }

    var layers: Int { pool.layers }

    /// Takes the pool's pages for the longest run of whole pages at the start of `prompt` that the pool holds,
    /// leaving at least the prompt's last token to run (its logits are wanted); returns the positions taken.
    /// Only an empty cache of a pool that keeps prefixes takes any.
    public func reusePrefix(of prompt: [Int]) -> Int {
        guard count == 0, pool.keepsPrefixes else { return 0 }
        let size = pool.pagePositions
        var parent = PrefixIndex.root
        while (pagesTaken + 1) * size < prompt.count, (pagesTaken + 1) * size <= capacity {
            let start = pagesTaken * size
            guard let (page, link) = pool.findPrefix(prompt[start..<start + size], after: parent) else { break }
            pool.share(page)
            pages[pagesTaken] = page
            pagesTaken += 1
            parent = link
        }
        chain = parent
        count = pagesTaken * size
        tokens = Array(prompt[..<count])
        return count
    }

    /// Takes pages for positions count..<count + n.
    func reserve(_ n: Int) throws {
        guard count + n <= capacity else { throw ModelError("\(count + n) positions exceed the cache's \(capacity)") }
        let size = pool.pagePositions
        while pagesTaken * size < count + n {
            guard let page = pool.take(after: pagesTaken > 0 ? pages[pagesTaken - 1] : nil) else {
                throw ModelError("the KV pool's \(pool.pageCount) pages are all in use")
            }
            pages[pagesTaken] = page
            pagesTaken += 1
        }
    }

    /// Stores `tokens` rows of [kvHeads][headDim] keys and values at positions count..<count + tokens
    /// (their pages reserved).
    func append(keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, tokens: Int, layer: Int) {
        let keys = pool.keys(layer), values = pool.values(layer), size = pool.pagePositions, d = pool.headDim
        for t in 0..<tokens {
            let position = count + t, page = pages[position / size]
            for h in 0..<pool.kvHeads {
                let source = (t * pool.kvHeads + h) * d, target = pool.offset(page: page, row: position % size, head: h)
                switch pool.cacheType {
                case .f32:
                    (keys.assumingMemoryBound(to: Float.self) + target).update(from: k + source, count: d)
                    (values.assumingMemoryBound(to: Float.self) + target).update(from: v + source, count: d)
                case .f16:
                    TransformerKernels.halves(k + source, count: d, into: keys.assumingMemoryBound(to: UInt16.self) + target, pool: nil)
                    TransformerKernels.halves(v + source, count: d, into: values.assumingMemoryBound(to: UInt16.self) + target, pool: nil)
                }
            }
        }
    }

    /// Counts `run` as stored at the next positions (every layer has appended them), and records the pages
    /// they fill in the pool's prefix index.
    func commit(_ run: [Int]) {
        let size = pool.pagePositions
        count += run.count
        guard pool.keepsPrefixes else { return }
        tokens += run
        let full = count / size
        var recorded = (count - run.count) / size
        while recorded < full {
            let start = recorded * size
            chain = pool.recordPrefix(pages[recorded], tokens: tokens[start..<start + size], after: chain)
            recorded += 1
        }
    }

    /// Forgets every position (a new prompt) and gives its pages back.
    public func reset() {
        releasePages()
        count = 0
        tokens = []
        chain = PrefixIndex.root
    }

    private func releasePages() {
        for i in 0..<pagesTaken { pool.release(pages[i]) }
        pagesTaken = 0
    }
}

/// Tokens of one sequence in a batched step (`Transformer.forward(_ chunks:)`): they run at the cache's
/// next positions.
public struct SequenceChunk {
    public let cache: KVCache
    public let tokens: [Int]

    public init(cache: KVCache, tokens: [Int]) {
        self.cache = cache
        self.tokens = tokens
    }
}
