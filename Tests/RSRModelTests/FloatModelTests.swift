import FileIO
import Foundation
import RSRConvert
import RSRFormat
import RSRModel
import TestSupport
import Testing

/// A float Llama converted without --quantize: projections kept as stored and run in f32, against
/// transformers running the same checkpoint in float32.
@Suite struct FloatModelTests {
    func model(maxBatch: Int = 128) throws -> Transformer {
        let path = try ConvertedFixtures.shared.path(floatLlamaFixture, keepFloat: true)
        return try Transformer(file: try ModelFile(path: path), threads: 2, maxBatch: maxBatch)
    }

    @Test func projectionsStayInTheCheckpointsType() throws {
        let file = try ModelFile(path: try ConvertedFixtures.shared.path(floatLlamaFixture, keepFloat: true))
        #expect(file.manifest.linears.isEmpty)
        #expect(file.manifest.source.quantization == .none)
        for layer in 0..<file.manifest.model.layerCount {
            for name in ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] {
                #expect(file.manifest.tensors["layers.\(layer).\(name)"]?.type == .bf16, "layers.\(layer).\(name)")
            }
        }
    }

    /// transformers' float32 logits differ from these only in the order of float sums: measured at most
    /// 2e-5 on logits up to 8; 1e-4 leaves room for other instruction sets' orders.
    @Test func logitsAndGreedyTokensAreTransformers() throws {
        let model = try model()
        for ref in try Reference.load(floatLlamaFixture) {
            let out = try model.forward(ref.inputIDs, cache: model.makeCache(capacity: ref.inputIDs.count)).values
            for (id, expected) in zip(ref.top10IDs, ref.top10Logits) {
                #expect(abs(out[id] - expected) <= 1e-4, "\(ref.prompt.debugDescription): token \(id): \(out[id]) vs \(expected)")
            }
            var tokens: [Int] = []
            try Generator(model: model).generate(prompt: ref.inputIDs, maxTokens: ref.greedyIDs.count) { tokens.append($0); return true }
            #expect(Array(tokens.prefix(ref.sureSteps)) == Array(ref.greedyIDs.prefix(ref.sureSteps)), "\(ref.prompt.debugDescription)")
        }
    }

    /// Logits of every position from one batched run equal those of the same tokens run one at a time,
    /// across prefill batches (maxBatch 7 splits 40 tokens into 6 steps), for any range asked for.
    @Test(arguments: [0..<40, 5..<33, 39..<40, 12..<12])
    func logitsOfChosenPositionsAreThoseOfTokenByTokenRuns(positions: Range<Int>) throws {
        let model = try model(maxBatch: 7)
        let ids = (0..<40).map { ($0 * 37 + 11) % model.config.vocabSize }
        let batched = try model.forward(ids, cache: model.makeCache(capacity: ids.count), logitsAt: positions)
        #expect(batched.rows == positions.count)
        let cache = try model.makeCache(capacity: ids.count)
        for (position, id) in ids.enumerated() {
            let single = try model.forward([id], cache: cache).values
            guard positions.contains(position) else { continue }
            let row = Array(batched[position: position])
            let worst = zip(row, single).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4, "position \(position): largest difference \(worst)")
        }
    }

    @Test func logitPositionsOutsideTheRunAreRefused() throws {
        let model = try model()
        #expect(throws: ModelError.self) { try model.forward([1, 2, 3], cache: model.makeCache(capacity: 3), logitsAt: 2..<4) }
    }

    /// The header declares float projections, so that a reader without them refuses the file; a header
    /// that hides them from a manifest that uses them is corrupt.
    @Test func theHeaderDeclaresFloatProjections() throws {
        let path = try ConvertedFixtures.shared.path(floatLlamaFixture, keepFloat: true)
        #expect(try ModelFile(path: path).features == .floatProjections)
        var bytes = try #require(Path.read(path))
        bytes[12] = 0
        let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[60 + i] = $0[i] } }
        let hidden = ConvertedFixtures.shared.scratch.file("hidden-features.rsr")
        try AtomicFile.write(bytes, to: hidden)
        let error = try #require(throws: ModelFileError.self) { try ModelFile(path: hidden) }
        #expect(error.problem.contains("float-projections, which the header does not declare"), "\(error)")
    }

    @Test func ternaryKernelsAreRefusedForFloatProjections() throws {
        let file = try ModelFile(path: try ConvertedFixtures.shared.path(floatLlamaFixture, keepFloat: true))
        #expect(throws: ModelError.self) { try Transformer(file: file, threads: 1, kernel: .packedI2) }
    }
}
