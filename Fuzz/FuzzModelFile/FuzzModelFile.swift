import FileIO
import Foundation
import FuzzSupport
import RSRCore
import RSRFormat

/// An rsr model file: opened (header, section table, manifest, small sections' checksums, layout headers),
/// verified (every checksum, every layout validated), then every file, tensor and layout read through the
/// public API, and each layout (ternary, binary or bit-planes) that validated unpacked and multiplied.
///
/// Input: one mode byte, then the file. With the mode byte's low bit set, the target first repairs the
/// file size and every checksum it can find (header, table, sections), so that mutations reach the
/// manifest and layout parsers instead of stopping at the first checksum mismatch.
@main enum FuzzModelFile {
    static func main() {
        if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--write-seeds" {
            do { try writeSeeds(into: CommandLine.arguments[2]) } catch { print("\(error)"); exit(1) }
            exit(0)
        }
        FuzzDriver.run { input in
            guard let mode = input.first else { return }
            var bytes = Array(input.dropFirst())
            if mode & 1 == 1 { repairChecksums(&bytes) }
            let file = try ModelFile(path: FuzzDriver.writeScratch(bytes))
            try file.verify()
            for name in file.manifest.files.keys { _ = file.file(name) }
            for name in file.manifest.tensors.keys {
                guard let (entry, data) = file.tensor(name) else { fatalError("tensor \(name) is listed but not readable") }
                _ = entry.shape
                _ = Array(data.prefix(64))
            }
            for entry in file.manifest.linears.values {
                for layoutEntry in entry.layouts {
                    let layout = try file.layout(layoutEntry, validate: true)
                    guard layout.rows * layout.cols <= 1 << 20 else { continue }
                    _ = try layout.unpack()
                    let x = (0..<layout.cols).map { Int8($0 % 3 - 1) }
                    _ = try layout.multiply(x, batch: 1)
                    // Not every layout has a kernel for float activations; those say so.
                    _ = try? layout.multiply(x.map(Float.init), batch: 1)
                }
            }
            for entry in (file.manifest.integerLinears ?? [:]).values {
                let planes = try file.bitPlanes(entry, validate: true)
                guard planes.rows * planes.cols <= 1 << 20 else { continue }
                _ = try planes.unpack()
                let x = (0..<planes.cols).map { Int8(truncatingIfNeeded: $0 * 37) }
                _ = try planes.multiply(x, batch: 1)
                _ = try planes.multiply(x + x + x + x, batch: 4)
            }
        }
    }

    /// Sets the header's file size to the real one and recomputes the section, table and header checksums
    /// wherever the header and table point inside the file.
    static func repairChecksums(_ b: inout [UInt8]) {
        guard b.count >= 64 else { return }
        func u32(_ at: Int) -> UInt32 { b[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ at: Int) -> UInt64 { b[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func put<T: FixedWidthInteger>(_ value: T, at: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (i, byte) in $0.enumerated() { b[at + i] = byte } }
        }
        func crc(_ range: Range<Int>) -> UInt32 { b[range].withUnsafeBytes { CRC32.checksum($0) } }
        put(UInt64(b.count), at: 16)
        let tableOffset = u64(24), count = Int(u32(32))
        if tableOffset <= UInt64(b.count) {
            let table = Int(tableOffset)
            for i in 0..<count {
                let entry = table + i * 32
                guard entry + 32 <= b.count else { break }
                let offset = u64(entry), size = u64(entry + 8)
                guard offset <= UInt64(b.count), size <= UInt64(b.count) - offset else { continue }
                put(crc(Int(offset)..<Int(offset + size)), at: entry + 16)
            }
            put(crc(table..<b.count), at: 36)
        }
        put(crc(0..<60), at: 60)
    }

    /// Small valid model files, written by the real writer: one with an rsr-t layout and one with packed-i2
    /// and rsr layouts of a binary matrix. Each gets the mode byte 0 (as is) and 1 (checksums repaired).
    static func writeSeeds(into directory: String) throws {
        let config = ModelConfig(architecture: .bitnet, vocabSize: 100, hiddenSize: 40, intermediateSize: 80, layerCount: 1,
                                 headCount: 2, kvHeadCount: 1, headDim: 20, contextLength: 64, rmsNormEps: 1e-5,
                                 ropeTheta: 500000, ropeScaling: nil, activation: .relu2, tiedEmbeddings: true, subNorms: true,
                                 linearInputNormEps: nil, attentionBias: false, mlpBias: false, bosTokenId: 1, eosTokenIds: [2],
                                 padTokenId: nil)
        var rng = SplitMix64(seed: 7)
        let samples: [(String, WeightKind, [LayoutKind])] = [
            ("ternary-rsrt", .ternary, [.rsrT]),
            ("ternary-i2-rsr", .ternary, [.packedI2, .rsr(k: LayoutKind.rsrKRange(.ternary).lowerBound)]),
            ("binary-rsr", .binary, [.rsr(k: LayoutKind.rsrKRange(.binary).lowerBound), .rsrT]),
        ]
        for (name, weights, kinds) in samples {
            let matrix = try LowBitMatrix.random(rows: 16, cols: 40, kind: weights, using: &rng)
            let path = "\(directory)/\(name).rsr"
            let writer = try ModelFileWriter(destination: path)
            let file = try writer.addSection(.file, Array("{\"model_type\": \"bitnet\"}".utf8))
            let values: [Float] = (0..<40).map { Float($0) / 7 }
            let tensor = try values.withUnsafeBytes { try writer.addSection(.tensor, $0) }
            var layouts: [LayoutEntry] = []
            for kind in kinds {
                let layout = try Layout(matrix, as: kind)
                let section = try layout.withBytes { try writer.addSection(.layout, $0) }
                layouts.append(LayoutEntry(section: section, kernel: kind.name, k: layout.k, phases: kinds.count == 1 ? [.decode, .prefill] : layouts.isEmpty ? [.decode] : [.prefill],
                                           bitsPerWeight: layout.bitsPerWeight))
            }
            var manifest = Manifest(producer: "fuzz seed", source: .init(architecture: "BitNetForCausalLM", quantization: .packed),
                                    model: config)
            manifest.files["config.json"] = file
            manifest.tensors["layers.0.input_layernorm"] = TensorEntry(section: tensor, type: .f32, shape: [40], source: nil)
            manifest.linears["layers.0.q_proj"] = LinearEntry(rows: 16, cols: 40, weights: weights, scale: 0.5, scaleMode: .multiply,
                                                              layouts: layouts, source: "model.layers.0.self_attn.q_proj.weight")
            try writer.finish(manifest: manifest)
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            try Data([0] + written).write(to: URL(fileURLWithPath: "\(directory)/\(name)-as-is"))
            try Data([1] + written).write(to: URL(fileURLWithPath: "\(directory)/\(name)-repaired"))
            unlink(path)
        }
        // an integer linear: 3-bit codes in groups of 16 with zero points and a column permutation
        let codes = (0..<16 * 40).map { _ in UInt8.random(in: 0...7, using: &rng) }
        let matrix = try IntegerMatrix(rows: 16, cols: 40, bits: 3, group: 16, codes: codes, scales: (0..<48).map { Float($0 + 1) / 64 },
                                       zeros: (0..<48).map { UInt8($0 % 8) }, permutation: (0..<40).reversed().map(UInt32.init))
        let planes = try BitPlaneLayout(matrix)
        let path = "\(directory)/int3.rsr"
        let writer = try ModelFileWriter(destination: path)
        let section = try planes.withBytes { try writer.addSection(.layout, $0) }
        var manifest = Manifest(producer: "fuzz seed", source: .init(architecture: "LlamaForCausalLM", quantization: .gptq), model: config)
        manifest.integerLinears = ["layers.0.q_proj": IntegerLinearEntry(section: section, rows: 16, cols: 40, bits: 3, group: 16,
                                                                         zeroPoints: true, permuted: true, scaleType: .f16,
                                                                         bitsPerWeight: planes.bitsPerWeight, source: "model.layers.0.self_attn.q_proj")]
        try writer.finish(manifest: manifest)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try Data([0] + written).write(to: URL(fileURLWithPath: "\(directory)/int3-as-is"))
        try Data([1] + written).write(to: URL(fileURLWithPath: "\(directory)/int3-repaired"))
        unlink(path)
    }
}
