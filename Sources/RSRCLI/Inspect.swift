import ArgumentParser
import Console
import Foundation
import RSRFormat

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an rsr model file: format, model, layers, sizes and checksums.",
        discussion: """
            Opening a file checks its header, section table, manifest and every small section against their \
            CRC-32s. --verify also checks every tensor and layout section and every layout index, reading the \
            whole file.
            """
    )

    @Argument(help: "The model file.")
    var file: String

    @Flag(help: "Check the checksum of every section and every layout's indices.")
    var verify = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let model = try ModelFile(path: file, backing: .mapped) // read, not decoded: no copy
        if verify {
            let bar = ProgressBar(enabled: !json, label: "Verifying", total: Double(model.sections.reduce(0) { $0 + $1.size }), unit: .bytes)
            var last: UInt64 = 0
            try model.verify { done in
                bar.add(Double(done - last))
                last = done
            }
            bar.finish(always: false)
        }
        if json {
            print(String(decoding: try InspectReport(model, verified: verify).json(), as: UTF8.self))
        } else {
            print(InspectReport(model, verified: verify).text)
        }
    }
}

/// What `rsr inspect` prints.
struct InspectReport: Encodable {
    struct SectionInfo: Encodable {
        let index: Int
        let kind: String
        let name: String
        let offset: UInt64
        let size: UInt64
        let crc32: String
    }

    let path: String
    let formatVersion: String
    let features: [String]
    let fileBytes: UInt64
    /// Whether every section and layout was checked (--verify); small sections always are.
    let verified: Bool
    let ternaryWeights: Int
    let decodeBitsPerWeight: Double
    let storedBitsPerWeight: Double
    let sections: [SectionInfo]
    let manifest: Manifest

    enum CodingKeys: String, CodingKey {
        case path, formatVersion = "format_version", features, fileBytes = "file_bytes", verified
        case ternaryWeights = "ternary_weights", decodeBitsPerWeight = "decode_bits_per_weight"
        case storedBitsPerWeight = "stored_bits_per_weight", sections, manifest
    }

    init(_ model: ModelFile, verified: Bool) {
        path = model.path
        formatVersion = model.formatVersion.description
        features = model.features.description.split(separator: ", ").map(String.init)
        fileBytes = model.sections.last.map { $0.offset + $0.size } ?? 0
        self.verified = verified
        manifest = model.manifest
        sections = model.sections.enumerated().map { i, s in
            SectionInfo(index: i, kind: s.kind.description, name: model.part(i), offset: s.offset, size: s.size,
                        crc32: String(format: "%08x", s.crc))
        }
        let linears = model.manifest.linears.values
        ternaryWeights = linears.reduce(0) { $0 + $1.rows * $1.cols }
        let weights = Double(max(ternaryWeights, 1))
        let decodeBytes = linears.compactMap { $0.layout(for: .decode) }.reduce(0) { $0 + model.sections[$1.section].size }
        let storedBytes = linears.flatMap(\.layouts).reduce(0) { $0 + model.sections[$1.section].size }
        decodeBitsPerWeight = Double(decodeBytes * 8) / weights
        storedBitsPerWeight = Double(storedBytes * 8) / weights
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    var text: String {
        let m = manifest.model
        var lines = [
            "file      \(path)",
            "format    version \(formatVersion)\(features.isEmpty ? "" : " (" + features.joined(separator: ", ") + ")"), "
                + "\(Format.bytes(Double(fileBytes))), \(sections.count) sections",
            "model     \(m.architecture.rawValue) (\(manifest.source.architecture)), \(m.layerCount) layers, hidden \(m.hiddenSize), "
                + "intermediate \(m.intermediateSize), heads \(m.headCount)/\(m.kvHeadCount) x \(m.headDim), vocab \(m.vocabSize), "
                + "context \(m.contextLength)",
            "          \(m.activation.rawValue), rope theta \(m.ropeTheta)\(m.ropeScaling.map { ", \($0.kind.rawValue) rope scaling x\($0.factor)" } ?? ""), "
                + "rms eps \(m.rmsNormEps)\(m.tiedEmbeddings ? ", tied embeddings" : "")\(m.subNorms ? ", sub-norms" : "")"
                + "\(m.linearInputNormEps != nil ? ", BitLinear input norms" : "")",
            "source    \(manifest.source.repo.map { $0 + (manifest.source.revision.map { " @ \($0)" } ?? "") + ", " } ?? "")"
                + "\(sourceWeights), "
                + "written by \(manifest.producer)",
            "files     " + manifest.files.keys.sorted().map { "\($0) (\(Format.bytes(Double(sections[manifest.files[$0]!].size))))" }.joined(separator: ", "),
        ]
        let matrices = manifest.tensors.filter { $0.value.shape.count == 2 }.sorted { $0.key < $1.key }
        for (name, t) in matrices {
            lines.append("tensor    \(name) \(t.type.rawValue) \(t.shape) \(Format.bytes(Double(sections[t.section].size)))")
        }
        let vectors = manifest.tensors.values.filter { $0.shape.count == 1 }
        lines.append("vectors   \(vectors.count) norm/bias vectors, \(Format.bytes(Double(vectors.reduce(0) { $0 + sections[$1.section].size }))) F32")
        if !manifest.linears.isEmpty {
            lines.append("")
            lines.append(pad("linear", 24) + pad("shape", 14) + pad("kernel", 11) + pad("k", 4) + pad("phases", 16)
                         + pad("bits/w", 8) + pad("bytes", 11) + pad("scale", 16) + "crc32")
        }
        for (name, linear) in manifest.linears.sorted(by: { LayerSchema.inModelOrder($0.key, $1.key) }) {
            for (i, layout) in linear.layouts.enumerated() {
                let scale = i > 0 ? "" : (linear.scaleMode == .multiply ? "x " : "/ ") + String(format: "%.6g", linear.scale)
                lines.append(pad(i == 0 ? name : "", 24) + pad(i == 0 ? "\(linear.rows)x\(linear.cols)" : "", 14) + pad(layout.kernel, 11)
                             + pad("\(layout.k)", 4) + pad(layout.phases.map(\.rawValue).joined(separator: ","), 16)
                             + pad(String(format: "%.3f", layout.bitsPerWeight), 8) + pad(Format.bytes(Double(sections[layout.section].size)), 11)
                             + pad(scale, 16) + sections[layout.section].crc32)
            }
        }
        let integers = (manifest.integerLinears ?? [:]).sorted(by: { LayerSchema.inModelOrder($0.key, $1.key) })
        if !integers.isEmpty {
            lines.append("")
            lines.append(pad("integer linear", 24) + pad("shape", 14) + pad("bits", 6) + pad("layout", 12) + pad("group", 8) + pad("zero points", 13)
                         + pad("scales", 8) + pad("bits/w", 8) + pad("bytes", 11) + "crc32")
            for (name, linear) in integers {
                lines.append(pad(name, 24) + pad("\(linear.rows)x\(linear.cols)", 14) + pad("\(linear.bits)", 6)
                             + pad(linear.packed ? "packed" : "bit-planes", 12)
                             + pad(linear.group >= linear.cols ? "row" : "\(linear.group)", 8)
                             + pad(linear.zeroPoints ? "per group" : "symmetric", 13) + pad(linear.scaleType.rawValue, 8)
                             + pad(String(format: "%.3f", linear.bitsPerWeight), 8) + pad(Format.bytes(Double(sections[linear.section].size)), 11)
                             + sections[linear.section].crc32 + (linear.permuted ? "  act order" : ""))
            }
        }
        lines.append("")
        if !manifest.linears.isEmpty || integers.isEmpty {
            lines.append("ternary   \(ternaryWeights) weights; \(String(format: "%.3f", decodeBitsPerWeight)) bits/weight read per token, "
                         + "\(String(format: "%.3f", storedBitsPerWeight)) stored")
        }
        if !integers.isEmpty {
            let weights = integers.reduce(0) { $0 + $1.value.rows * $1.value.cols }
            let bytes = integers.reduce(0) { $0 + sections[$1.value.section].size }
            lines.append("integer   \(weights) weights; \(String(format: "%.3f", Double(bytes * 8) / Double(weights))) bits/weight, scales included")
        }
        lines.append("checksums " + (verified ? "all \(sections.count) sections and every layout index verified"
                                              : "header, section table, manifest and small sections verified on open; --verify checks all"))
        return lines.joined(separator: "\n")
    }

    private var sourceWeights: String {
        switch manifest.source.quantization {
        case .none: "float projections kept as stored"
        case .roundToNearest, .compressedTensors, .gptq: manifest.source.quantization.rawValue + " integer weights"
        default: manifest.source.quantization.rawValue + " ternary weights"
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

