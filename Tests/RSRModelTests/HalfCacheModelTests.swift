import Foundation
import RSRCore
import RSRFormat
import RSRModel
import TestSupport
import Testing

/// A model whose caches hold halves: what it changes in the default model's output, and what it refuses.
@Suite struct HalfCacheModelTests {
    /// Each step's logits after `prompt` and then `forced` tokens, one at a time.
    func logits(_ model: Transformer, _ prompt: [Int], then forced: [Int]) throws -> [[Float]] {
        let cache = try model.makeCache(capacity: prompt.count + forced.count)
        return try [Array(model.forward(prompt, cache: cache).values)] + forced.map { try Array(model.forward([$0], cache: cache).values) }
    }

    func argmax(_ x: [Float]) -> Int { x.indices.max { x[$0] < x[$1] }! }

    /// Rounding keys and values to halves (11 significant bits) moves the default model's logits by about 0.4%
    /// of their spread at the median step of a 200-token continuation (1.6% at most: a moved attention output
    /// can flip the int8 rounding of the next product's input), the f32 cache's greedy tokens fed to both;
    /// greedy decoding on its own agrees for the first 64 tokens (it parts later, where two tokens nearly tie).
    @Test func theDefaultModelsLogitsMoveLittleWithAHalfCache() throws {
        let file = try ModelFile(path: ChunkedPrefillTests.modelPath)
        let full = try Transformer(file: file, threads: 2), half = try Transformer(file: file, threads: 2, cacheType: .f16)
        let prompt = (0..<40).map { 5 + $0 * 37 % (full.config.vocabSize - 5) }
        var ids: [Int] = []
        let cache = try full.makeCache(capacity: prompt.count + 200)
        var last = Array(try full.forward(prompt, cache: cache).values)
        for _ in 0..<200 {
            ids.append(argmax(last))
            if ids.count < 200 { last = Array(try full.forward([ids.last!], cache: cache).values) }
        }
        let (a, b) = (try logits(full, prompt, then: Array(ids.dropLast())), try logits(half, prompt, then: Array(ids.dropLast())))
        // per step: the largest change of a logit, as a fraction of the step's spread of logits
        let changes = zip(a, b).map { x, y in zip(x, y).map { abs($0 - $1) }.max()! / (x.max()! - x.min()!) }.sorted()
        #expect(changes[0] > 0 && changes[changes.count / 2] < 0.01 && changes.last! < 0.03,
                "median \(changes[changes.count / 2]), largest \(changes.last!)")

        var halfIDs: [Int] = []
        let halfCache = try half.makeCache(capacity: prompt.count + 64)
        last = Array(try half.forward(prompt, cache: halfCache).values)
        for _ in 0..<64 {
            halfIDs.append(argmax(last))
            last = Array(try half.forward([halfIDs.last!], cache: halfCache).values)
        }
        #expect(halfIDs == Array(ids.prefix(64)))
    }

    @Test func aModelRefusesACacheOfAnotherType() throws {
        let file = try ModelFile(path: ChunkedPrefillTests.modelPath)
        let half = try Transformer(file: file, threads: 1, cacheType: .f16), full = try Transformer(file: file, threads: 1)
        let error = #expect(throws: ModelError.self) { try half.forward([1, 2], cache: try full.makeCache(capacity: 4)) }
        #expect(error?.description.contains("f32") == true)
    }
}
