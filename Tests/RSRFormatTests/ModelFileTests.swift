import FileIO
import Foundation
import RSRCore
@testable import RSRFormat
import TestSupport
import Testing

/// A small model file with one section of every kind, written through the real writer.
struct SampleFile {
    let path: String
    let layout: Layout
    let manifest: Manifest
    static let tensorValues: [Float] = (0..<96).map { Float($0) / 7 }

    init(in dir: TemporaryDirectory, rows: Int = 64, cols: Int = 96, kind: LayoutKind = .rsrT) throws {
        path = dir.file("model.rsr")
        var rng = SplitMix64(seed: 7)
        let matrix = try LowBitMatrix.random(rows: rows, cols: cols, kind: .ternary, using: &rng)
        layout = try Layout(matrix, as: kind)
        let writer = try ModelFileWriter(destination: path)
        let file = try writer.addSection(.file, Array("{\"model_type\": \"bitnet\"}".utf8))
        let tensor = try Self.tensorValues.withUnsafeBytes { try writer.addSection(.tensor, $0) }
        let layoutSection = try layout.withBytes { try writer.addSection(.layout, $0) }
        var manifest = Manifest(producer: "test", source: .init(architecture: "BitNetForCausalLM", quantization: .packed),
                                model: Self.config(hidden: cols, layers: 1))
        manifest.files["config.json"] = file
        manifest.tensors["layers.0.input_layernorm"] = TensorEntry(section: tensor, type: .f32, shape: [96], source: nil)
        manifest.linears["layers.0.q_proj"] = LinearEntry(
            rows: rows, cols: cols, weights: .ternary, scale: 0.5, scaleMode: .multiply,
            layouts: [LayoutEntry(section: layoutSection, kernel: kind.name, k: layout.k, phases: [.decode, .prefill],
                                  bitsPerWeight: layout.bitsPerWeight)],
            source: "model.layers.0.self_attn.q_proj.weight")
        try writer.finish(manifest: manifest)
        self.manifest = manifest
    }

    static func config(hidden: Int, layers: Int) -> ModelConfig {
        ModelConfig(architecture: .bitnet, vocabSize: 100, hiddenSize: hidden, intermediateSize: 2 * hidden, layerCount: layers,
                    headCount: 2, kvHeadCount: 1, headDim: hidden / 2, contextLength: 64, rmsNormEps: 1e-5, ropeTheta: 500000,
                    ropeScaling: nil, activation: .relu2, tiedEmbeddings: true, subNorms: true, linearInputNormEps: nil,
                    attentionBias: false, mlpBias: false, bosTokenId: 1, eosTokenIds: [2], padTokenId: nil)
    }
}

@Suite struct ModelFileTests {
    let dir = TemporaryDirectory()

    /// A reader that does not know sparse-i2 refuses the file by the header's flag, not by the manifest.
    @Test func sparseI2LayoutsAreDeclaredInTheHeader() throws {
        let sample = try SampleFile(in: dir, kind: .sparseI2)
        let file = try ModelFile(path: sample.path)
        #expect(file.features == .sparseI2Layouts && file.features.description.contains("sparse-i2"))
        let layout = try file.layout(try #require(file.manifest.linears["layers.0.q_proj"]?.layouts.first))
        #expect(layout.kind == .sparseI2)
        #expect(try layout.unpack() == sample.layout.unpack())
    }

    @Test func roundTripsEverySectionInPlace() throws {
        let sample = try SampleFile(in: dir)
        let file = try ModelFile(path: sample.path)
        #expect(file.formatVersion == .current && file.features.isEmpty)
        #expect(file.manifest == sample.manifest)
        #expect(file.file("config.json") == Data("{\"model_type\": \"bitnet\"}".utf8))
        let (entry, bytes) = try #require(file.tensor("layers.0.input_layernorm"))
        #expect(entry.shape == [96])
        #expect(Array(bytes.bindMemory(to: Float.self)) == SampleFile.tensorValues)
        for section in file.sections { #expect(section.offset % 64 == 0) }
        let layout = try file.layout(try #require(file.manifest.linears["layers.0.q_proj"]?.layouts.first))
        #expect(try layout.unpack() == sample.layout.unpack())
        try file.verify()
    }

    @Test func aLayoutIsUsedInPlaceFromTheMapping() throws {
        let sample = try SampleFile(in: dir)
        let file = try ModelFile(path: sample.path)
        let entry = try #require(file.manifest.linears["layers.0.q_proj"]?.layouts.first)
        let layout = try file.layout(entry)
        let x = (0..<96).map { Int8($0 % 13 - 6) }
        #expect(try layout.multiply(x, batch: 1) == sample.layout.multiply(x, batch: 1))
        layout.withBytes { bytes in
            #expect(bytes.baseAddress == file.bytes(entry.section).baseAddress)
        }
    }

    @Test func aFileReadIntoMemoryReadsAsTheMappedOne() throws {
        let sample = try SampleFile(in: dir)
        let mapped = try ModelFile(path: sample.path, backing: .mapped)
        let resident = try ModelFile(path: sample.path, backing: .resident)
        try resident.verify()
        #expect(resident.manifest == mapped.manifest)
        for i in resident.sections.indices { #expect(Array(resident.bytes(i)) == Array(mapped.bytes(i)), "section \(i)") }
        let entry = try #require(resident.manifest.linears["layers.0.q_proj"]?.layouts.first)
        let x = (0..<96).map { Int8($0 % 13 - 6) }
        #expect(try resident.layout(entry).multiply(x, batch: 1) == sample.layout.multiply(x, batch: 1))
    }

    @Test func anUnfinishedWriterLeavesNothing() throws {
        let path = dir.file("partial.rsr")
        do {
            let writer = try ModelFileWriter(destination: path)
            try writer.addSection(.tensor, [UInt8](repeating: 1, count: 1000))
        }
        #expect(!Path.exists(path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// Sizes that attention or rotary embeddings cannot take are named before anything runs.
    @Test func aConfigNamesTheHeadSizeItCannotRun() {
        var config = SampleFile.config(hidden: 64, layers: 1)
        #expect(config.problem == nil)
        config.headDim = 8194
        #expect(config.problem?.contains("head_dim (8194) is above 8192") == true)
        config.headDim = 33
        #expect(config.problem?.contains("head_dim (33) must be even") == true)
    }

    @Test func tensorTypesKnowTheirSizes() {
        #expect(TensorType.f32.byteCount(shape: [3, 5]) == 60)
        #expect(TensorType.bf16.byteCount(shape: [7]) == 14)
        #expect(TensorType.q8Row.byteCount(shape: [3, 10]) == 64 + 12)
        #expect(TensorType.q4_32.byteCount(shape: [2, 64]) == 4 * 18)
        #expect(TensorType.q4_32.byteCount(shape: [2, 48]) == nil)
        #expect(TensorType.f32.byteCount(shape: [1 << 31, 1 << 31]) == nil)
        #expect(TensorType.f32.byteCount(shape: []) == nil)
    }

    @Test func crcIsZlibs() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }
}
