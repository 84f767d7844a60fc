import Foundation
import RSRConvert
import RSRFormat
import RSRModel
import TestSupport
import Testing

/// A prompt longer than the model's batch runs as several prefill batches; the logits after it must be
/// those of one batch (integer products make this exact), whichever row of the last batch holds the last token.
@Suite struct ChunkedPrefillTests {
    static let modelPath: String = {
        let path = ConvertedFixtures.shared.scratch.file("default.rsr")
        var options = ConvertOptions()
        options.threads = 2
        _ = try! Converter(directory: defaultModelDirectory, options: options).convert(to: path)
        return path
    }()

    func logits(maxBatch: Int, _ ids: [Int]) throws -> [Float] {
        let model = try Transformer(file: try ModelFile(path: Self.modelPath), threads: 2, maxBatch: maxBatch)
        return try model.forward(ids, cache: model.makeCache(capacity: ids.count + 8)).values
    }

    @Test(arguments: [1, 3, 7, 16])
    func aLongPromptInSmallBatchesGivesTheSameLogits(maxBatch: Int) throws {
        for length in [1, maxBatch, maxBatch + 1, 3 * maxBatch - 1, 3 * maxBatch, 50] {
            let ids = (0..<length).map { 7 + ($0 * 131) % 3000 }
            #expect(try logits(maxBatch: maxBatch, ids) == logits(maxBatch: 128, ids), "\(length) tokens in batches of \(maxBatch)")
        }
    }

    @Test func greedyGenerationDoesNotDependOnTheBatch() throws {
        let prompt = (0..<40).map { 11 + ($0 * 97) % 3000 }
        var continuations: [[Int]] = []
        for maxBatch in [128, 6] {
            let model = try Transformer(file: try ModelFile(path: Self.modelPath), threads: 2, maxBatch: maxBatch)
            var tokens: [Int] = []
            try Generator(model: model).generate(prompt: prompt, maxTokens: 12) { tokens.append($0); return true }
            continuations.append(tokens)
        }
        #expect(continuations[0].count == 12 && continuations[0] == continuations[1])
    }
}
