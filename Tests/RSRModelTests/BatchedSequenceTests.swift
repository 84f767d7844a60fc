import FileIO
import Foundation
import RSRConvert
import RSRCore
import RSRFormat
import RSRModel
import TestSupport
import Testing

/// Several sequences in one batch (`Transformer.forward(_ chunks:)`): each gets the logits it gets alone,
/// whatever the others in the step are, whether they prefill or decode, and however prompts are cut.
@Suite struct BatchedSequenceTests {
    /// The default model (ternary, tied BF16 head), an int4 quantization of the trained float Llama (packed
    /// codes, its float head) and a ternary model with an int8 head.
    static let models: [String] = [
        ChunkedPrefillTests.modelPath,
        try! ConvertedFixtures.shared.path(floatLlamaFixture, integer: IntegerQuantization(bits: 4, group: 32, asymmetric: true)),
        {
            let path = ConvertedFixtures.shared.scratch.file("bitnet-int8-head.rsr")
            var options = ConvertOptions()
            options.threads = 2
            options.embeddings = .int8
            _ = try! Converter(directory: Path.join(fixturesDirectory, "bitnet-2b4t-packed"), options: options).convert(to: path)
            return path
        }(),
    ]

    /// Greedy continuation of `prompt` run alone, one token at a time after the prompt: the logits of each step.
    func alone(_ model: Transformer, _ prompt: [Int], steps: Int) throws -> [[Float]] {
        let cache = try model.makeCache(capacity: prompt.count + steps)
        var logits = [Array(try model.forward(prompt, cache: cache).values)]
        for _ in 1..<steps {
            logits.append(Array(try model.forward([argmax(logits.last!)], cache: cache).values))
        }
        return logits
    }

    func argmax(_ x: [Float]) -> Int { x.indices.max { x[$0] < x[$1] }! }

    @Test(arguments: 0..<3, KVCacheType.allCases)
    func everySequenceOfABatchGetsItsOwnLogits(model index: Int, cache: KVCacheType) throws {
        let model = try Transformer(file: try ModelFile(path: Self.models[index]), threads: 2, maxBatch: 24, cacheType: cache)
        let vocab = model.config.vocabSize
        // five sequences, so that a step holds four and more (a float head's batch kernel takes rows four at a time)
        let prompts = [(0..<5).map { 3 + $0 * 7 % vocab }, (0..<12).map { 40 + $0 * 13 % vocab }, [17], [9, 8, 7], (0..<4).map { 60 + $0 }]
        let steps = 6
        let expected = try prompts.map { try alone(model, $0, steps: steps) }

        // Together: the second prompt cut in chunks of 5 beside the others' steps, the third joining late.
        let caches = try prompts.map { try model.makeCache(capacity: $0.count + steps) }
        var fed = prompts.map { _ in 0 }, got: [[[Float]]] = prompts.map { _ in [] }
        for _ in 0..<40 {
            var chunks: [SequenceChunk] = [], owners: [Int] = []
            for s in prompts.indices where got[s].count < steps && !(s == 2 && got[0].count < 2) {
                let tokens = fed[s] < prompts[s].count ? Array(prompts[s][fed[s]..<min(fed[s] + 5, prompts[s].count)]) : [argmax(got[s].last!)]
                chunks.append(SequenceChunk(cache: caches[s], tokens: tokens))
                owners.append(s)
                fed[s] += tokens.count
            }
            if chunks.isEmpty { break }
            for (s, logits) in zip(owners, try model.forward(chunks)) where fed[s] >= prompts[s].count {
                got[s].append(logits)
            }
        }
        for s in prompts.indices {
            #expect(got[s].count == steps, "sequence \(s)")
            for step in 0..<min(steps, got[s].count) {
                let differing = zip(got[s][step], expected[s][step]).filter { $0 != $1 }.count
                #expect(differing == 0, "sequence \(s), step \(step): \(differing) of \(vocab) logits differ")
            }
        }
    }

    @Test func aStepRefusesMoreTokensThanTheBatchAndARepeatedSequence() throws {
        let model = try Transformer(file: try ModelFile(path: Self.models[0]), threads: 1, maxBatch: 4)
        let cache = try model.makeCache(capacity: 16), other = try model.makeCache(capacity: 16)
        #expect(throws: ModelError.self) { try model.forward([SequenceChunk(cache: cache, tokens: [1, 2, 3]), SequenceChunk(cache: other, tokens: [4, 5])]) }
        #expect(throws: ModelError.self) { try model.forward([SequenceChunk(cache: cache, tokens: [1]), SequenceChunk(cache: cache, tokens: [2])]) }
        #expect(cache.count == 0 && other.count == 0)
    }
}
