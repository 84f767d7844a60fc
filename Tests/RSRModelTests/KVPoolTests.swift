import Foundation
import RSRFormat
@testable import RSRModel
import TestSupport
import Testing

/// The paged KV pool: which pages sequences take, which prefixes it keeps and gives back, and that a prompt
/// continuing from kept pages gets, bit for bit, the logits it gets alone.
@Suite struct KVPoolTests {
    func pool(pages: Int, prefixCaching: Bool = true) throws -> KVPool {
        try KVPool(layers: 1, kvHeads: 1, headDim: 4, pageCount: pages, pagePositions: 64, prefixCaching: prefixCaching)
    }

    func pageTable(_ cache: KVCache) -> [UInt32] {
        Array(UnsafeBufferPointer(start: cache.pages, count: (cache.count + 63) / 64))
    }

    /// Runs `tokens` through `cache` as far as the pool goes (pages and prefix index; no model).
    func fill(_ cache: KVCache, _ tokens: [Int]) throws {
        try cache.reserve(tokens.count)
        cache.commit(tokens)
    }

    @Test func aSequenceTakesPagesThatFollowEachOtherAndTheNextStartsMidwayInTheRest() throws {
        let pool = try pool(pages: 16, prefixCaching: false)
        let a = KVCache(pool: pool, capacity: 1024), b = KVCache(pool: pool, capacity: 1024)
        try fill(a, Array(0..<130))
        #expect(pageTable(a) == [0, 1, 2])
        try fill(b, [1])
        #expect(pageTable(b) == [9]) // the middle of pages 3..<16
        try fill(a, Array(0..<64))
        try fill(b, Array(0..<64))
        #expect(pageTable(a) == [0, 1, 2, 3] && pageTable(b) == [9, 10])
        #expect(pool.pagesInUse == 6)
        a.reset()
        #expect(pool.pagesInUse == 2 && pool.pagesCached == 0)
    }

    @Test func aPromptFindsTheWholePagesOfAnEarlierOneItBeginsWith() throws {
        let pool = try pool(pages: 8)
        let first = Array(100..<300)
        do {
            let a = KVCache(pool: pool, capacity: 256)
            try fill(a, first)
            #expect(pool.pagesInUse == 4)
        }
        #expect(pool.pagesInUse == 0 && pool.pagesCached == 3) // the full pages; the fourth held 8 positions
        let b = KVCache(pool: pool, capacity: 256)
        #expect(b.reusePrefix(of: Array(first[..<150]) + [7, 8]) == 128)
        #expect(pageTable(b) == [0, 1] && pool.pagesInUse == 2)
        // the last token always runs: a prompt of exactly two pages takes one
        #expect(KVCache(pool: pool, capacity: 256).reusePrefix(of: Array(first[..<128])) == 64)
        // a different token in the second page stops the match there
        var changed = first
        changed[100] = 5
        #expect(KVCache(pool: pool, capacity: 256).reusePrefix(of: changed) == 64)
        // nor does a prompt that begins otherwise find anything
        #expect(KVCache(pool: pool, capacity: 256).reusePrefix(of: Array(1..<200)) == 0)
        // b goes on from the shared pages into a page of its own
        try fill(b, Array(first[128..<150]))
        #expect(pageTable(b).count == 3 && !pageTable(b).dropLast().contains(pageTable(b).last!))
    }

    @Test func keptPagesAreReusedOnlyWhenNoneIsFreeLeastRecentlyUsedFirst() throws {
        let pool = try pool(pages: 4)
        for start in [0, 1000] { // two prompts of one full page each, kept
            let cache = KVCache(pool: pool, capacity: 256)
            try fill(cache, Array(start..<start + 64))
        }
        #expect(pool.pagesCached == 2)
        _ = KVCache(pool: pool, capacity: 256).reusePrefix(of: Array(0..<65)) // the first prompt's page is used again
        let big = KVCache(pool: pool, capacity: 512)
        try fill(big, Array(5000..<5000 + 3 * 64)) // two free pages, then the page used longest ago
        #expect(pool.pagesCached == 1)
        #expect(KVCache(pool: pool, capacity: 256).reusePrefix(of: Array(1000..<1065)) == 0)
        #expect(KVCache(pool: pool, capacity: 256).reusePrefix(of: Array(0..<65)) == 64)
        #expect(throws: ModelError.self) { try fill(big, Array(0..<128)) } // the kept page, then none
    }

    /// Prompt p then a greedy continuation, alone in a cache of its own: the logits of each step.
    func alone(_ model: Transformer, _ prompt: [Int], steps: Int) throws -> [[Float]] {
        let cache = try model.makeCache(capacity: prompt.count + steps)
        var logits = [try model.forward(prompt, cache: cache).values]
        for _ in 1..<steps { logits.append(try model.forward([argmax(logits.last!)], cache: cache).values) }
        return logits
    }

    func argmax(_ x: [Float]) -> Int { x.indices.max { x[$0] < x[$1] }! }

    /// A first sequence's pages hold its prompt and some of what it generated; a second prompt that begins
    /// with those tokens, run while the first still holds them and again after it has ended, continues from
    /// the kept pages and gets the logits it gets alone, at every step.
    @Test func aPromptContinuingFromKeptPagesGetsTheLogitsItGetsAlone() throws {
        let model = try Transformer(file: try ModelFile(path: ChunkedPrefillTests.modelPath), threads: 2, maxBatch: 32)
        let pool = try model.makePool(pages: 12, prefixCaching: true)
        let prompt = (0..<100).map { 11 + ($0 * 37) % 3000 }
        var first: KVCache? = KVCache(pool: pool, capacity: 200)
        var history = prompt
        var logits = try model.forward(prompt, cache: first!).values
        for _ in 0..<40 {
            history.append(argmax(logits))
            logits = try model.forward([history.last!], cache: first!).values
        }
        let second = Array(history[..<135]) + [5, 6, 7]
        let expected = try alone(model, second, steps: 4)
        for round in 0..<2 {
            let cache = KVCache(pool: pool, capacity: 160)
            #expect(cache.reusePrefix(of: second) == 128, "round \(round)")
            var got = [try model.forward(Array(second[128...]), cache: cache).values]
            for _ in 1..<4 { got.append(try model.forward([argmax(got.last!)], cache: cache).values) }
            #expect(got == expected, "round \(round)")
            first = nil // the second round runs from pages no sequence holds
        }
    }
}
