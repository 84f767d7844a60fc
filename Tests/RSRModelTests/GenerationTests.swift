import Foundation
import RSRConvert
import RSRFormat
import RSRModel
import TestSupport
import Testing

@Suite struct GenerationTests {
    let model: Transformer

    init() throws {
        model = try Transformer(file: try ModelFile(path: try ConvertedFixtures.shared.path("bitnet-bf16-online")), threads: 2)
    }

    func run(_ options: SamplingOptions, prompt: [Int] = [0, 48, 839, 506], n: Int = 16, stop: Set<Int> = []) throws -> [Int] {
        var tokens: [Int] = []
        try Generator(model: model, options: options, stopTokens: stop).generate(prompt: prompt, maxTokens: n) { tokens.append($0); return true }
        return tokens
    }

    @Test func seededSamplingIsReproducible() throws {
        var options = SamplingOptions()
        options.greedy = false
        options.temperature = 1.5
        options.seed = 42
        let first = try run(options), second = try run(options)
        #expect(first == second && first.count == 16)
        options.seed = 43
        let other = try run(options)
        options.seed = 44
        #expect(try other != first || run(options) != first)
    }

    @Test func topKOfOneAndTinyTopPAreGreedy() throws {
        let greedy = try run(SamplingOptions())
        var k1 = SamplingOptions()
        k1.greedy = false
        k1.topK = 1
        k1.seed = 7
        #expect(try run(k1) == greedy)
        var p = SamplingOptions()
        p.greedy = false
        p.topP = 1e-6
        p.seed = 9
        #expect(try run(p) == greedy)
    }

    @Test func stopTokensEndGenerationAndAreReported() throws {
        let greedy = try run(SamplingOptions())
        let stop = greedy[5]
        let first = greedy.firstIndex(of: stop)!
        var tokens: [Int] = []
        let (stats, reason) = try Generator(model: model, stopTokens: [stop]).generate(prompt: [0, 48, 839, 506], maxTokens: 16) {
            tokens.append($0)
            return true
        }
        #expect(reason == .endOfSequence && tokens == Array(greedy[...first]) && stats.generatedTokens == first + 1)
    }

    @Test func badPromptsAreRefused() throws {
        #expect(throws: ModelError.self) { try run(SamplingOptions(), prompt: []) }
        let tooLong = [Int](repeating: 5, count: model.config.contextLength)
        let error = try #require(throws: ModelError.self) { try run(SamplingOptions(), prompt: tooLong) }
        #expect(error.description.contains("context window is \(model.config.contextLength)"))
        #expect(throws: ModelError.self) { try run(SamplingOptions(), prompt: [0, model.config.vocabSize]) }
    }

    @Test func generationStopsAtTheContextWindow() throws {
        let context = model.config.contextLength
        var count = 0
        let (_, reason) = try Generator(model: model).generate(prompt: [Int](repeating: 7, count: context - 3), maxTokens: 50) { _ in
            count += 1
            return true
        }
        #expect(reason == .contextFull && count == 3)
    }
}

@Suite struct SamplerTests {
    func sample(_ logits: [Float], _ options: SamplingOptions, history: [Int] = []) -> Int {
        var sampler = Sampler(options)
        var values = logits
        return values.withUnsafeMutableBufferPointer { sampler.next($0, history: history) }
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        var options = SamplingOptions()
        options.repetitionPenalty = 2
        // token 0 (3.0) is halved to 1.5 and loses to token 1 (2.0); token 2 (-1) would be doubled to -2
        #expect(sample([3, 2, -1], options, history: [0, 0, 2]) == 1)
        #expect(sample([3, 2, -1], SamplingOptions(), history: [0]) == 0)
    }

    @Test func topKKeepsOnlyTheKBestTokens() {
        var options = SamplingOptions()
        options.greedy = false
        options.topK = 2
        for seed in 0..<200 as Range<UInt64> {
            options.seed = seed
            #expect([0, 3].contains(sample([5, 1, 0, 4.9, 2], options)))
        }
    }

    @Test func topPKeepsTheSmallestSetReachingP() {
        var options = SamplingOptions()
        options.greedy = false
        options.topP = 0.7
        // probabilities ~0.64, 0.24, 0.09, 0.03: the first two reach 0.7
        var seen = Set<Int>()
        for seed in 0..<300 as Range<UInt64> {
            options.seed = seed
            seen.insert(sample([3, 2, 1, 0], options))
        }
        #expect(seen == [0, 1])
    }

    @Test func optionsAreValidated() {
        var options = SamplingOptions()
        options.temperature = 0
        #expect(options.problem != nil)
        options = SamplingOptions()
        options.topP = 1.5
        #expect(options.problem != nil)
        #expect(SamplingOptions().problem == nil)
    }
}
