import FileIO
import Foundation
import RSRCore
@testable import RSRFormat
import TestSupport
import Testing

/// Damaged files are refused with an error naming the part that is damaged.
@Suite struct CorruptionTests {
    let dir = TemporaryDirectory()

    func damaged(_ change: (inout [UInt8], ModelFile) -> Void) throws -> String {
        let sample = try SampleFile(in: dir)
        var bytes = try #require(Path.read(sample.path))
        change(&bytes, try ModelFile(path: sample.path))
        let path = dir.file("damaged.rsr")
        try AtomicFile.write(bytes, to: path)
        return path
    }

    func openError(_ path: String) throws -> ModelFileError {
        try #require(throws: ModelFileError.self) { _ = try ModelFile(path: path) }
    }

    @Test(arguments: [SectionKind.manifest, .file, .tensor, .layout])
    func aFlippedByteInAnySectionNamesThatSection(kind: SectionKind) throws {
        var index = 0
        let path = try damaged { bytes, file in
            index = file.sections.firstIndex { $0.kind == kind }!
            let section = file.sections[index]
            bytes[Int(section.offset + section.size / 2)] ^= 0x10
        }
        let error = try openError(path)
        #expect(error.part.hasPrefix(kind == .manifest ? "manifest (section \(index))" : "section \(index) ("), "\(error)")
        #expect(error.problem.contains("checksum mismatch"))
        if kind == .layout { #expect(error.part.contains("layout of layers.0.q_proj")) }
    }

    @Test func aFlippedHeaderOrTableByteIsCaught() throws {
        let header = try damaged { bytes, _ in bytes[20] ^= 1 }
        #expect(try openError(header).part == "header")
        let table = try damaged { bytes, _ in bytes[bytes.count - 10] ^= 1 }
        let error = try openError(table)
        #expect(error.part == "section table" && error.problem.contains("checksum"), "\(error)")
    }

    @Test func truncatedAndExtendedFilesAreRefused() throws {
        for cut in [1, 100, 4000] {
            let path = try damaged { bytes, _ in bytes.removeLast(min(cut, bytes.count - 64)) }
            let error = try openError(path)
            #expect(error.part == "header" && error.problem.contains("truncated"), "\(error)")
        }
        let short = try damaged { bytes, _ in bytes.removeLast(bytes.count - 30) }
        #expect(try openError(short).problem.contains("truncated"))
        let longer = try damaged { bytes, _ in bytes += [0, 0] }
        #expect(try openError(longer).problem.contains("data after the end"))
    }

    @Test func wrongMagicIsNotAModelFile() throws {
        let path = try damaged { bytes, _ in bytes[0] = UInt8(ascii: "X") }
        #expect(try openError(path).problem.contains("not an rsr model file"))
        let safetensors = dir.file("model.safetensors")
        try AtomicFile.write([8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8), to: safetensors)
        #expect(try openError(safetensors).problem.contains("not an rsr model file"))
    }

    @Test func aFutureVersionAsksForANewerRsr() throws {
        let path = try damaged { bytes, _ in
            bytes[8] = 2
            bytes[10] = 0
            Self.resealHeader(&bytes)
        }
        let error = try openError(path)
        #expect(error.part == "header" && error.problem.contains("format version 2.0 is newer"), "\(error)")
    }

    /// A newer minor version of the same major opens: what it adds is for readers that know it.
    @Test func aNewerMinorVersionOpens() throws {
        let path = try damaged { bytes, _ in
            bytes[10] = 7
            Self.resealHeader(&bytes)
        }
        let file = try ModelFile(path: path)
        #expect(file.formatVersion == FormatVersion(major: 1, minor: 7))
    }

    /// A feature flag this reader does not know: refused, naming it, instead of misread.
    @Test func anUnknownFeatureAsksForANewerRsr() throws {
        let path = try damaged { bytes, _ in
            bytes[15] = 0x80
            Self.resealHeader(&bytes)
        }
        let error = try openError(path)
        #expect(error.part == "header" && error.problem.contains("features this rsr does not know (0x80000000)"), "\(error)")
    }

    /// The header CRC over bytes 0..<60, after a deliberate change.
    static func resealHeader(_ bytes: inout [UInt8]) {
        let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[60 + i] = $0[i] } }
    }

    /// Header fields near the top of their range must be refused, not overflow the checks that use them.
    @Test func aHeaderWithAHugeTableOffsetIsRefused() throws {
        for offset in [UInt64.max & ~UInt64(Section.alignment - 1), 1 << 63] {
            let path = try damaged { bytes, _ in
                withUnsafeBytes(of: offset.littleEndian) { for i in 0..<8 { bytes[24 + i] = $0[i] } }
                let crc = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }
                withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[60 + i] = $0[i] } }
            }
            let error = try openError(path)
            #expect(error.part == "section table" && error.problem.contains("do not end the"), "\(error)")
        }
    }

    /// Open checks small sections only; a large layout's damage is found by verify, naming the section.
    @Test func verifyFindsDamageInLargeSections() throws {
        let sample = try SampleFile(in: dir, rows: 2048, cols: 4096)
        var bytes = try #require(Path.read(sample.path))
        let file = try ModelFile(path: sample.path)
        let index = try #require(file.sections.firstIndex { $0.kind == .layout })
        #expect(file.sections[index].size > ModelFile.smallSectionBytes)
        bytes[Int(file.sections[index].offset) + 200_000] ^= 0x01
        let path = dir.file("large.rsr")
        try AtomicFile.write(bytes, to: path)
        let opened = try ModelFile(path: path)
        let error = try #require(throws: ModelFileError.self) { try opened.verify() }
        #expect(error.part == "section \(index) (layout of layers.0.q_proj (rsr-t))", "\(error)")
    }

    @Test func aManifestThatContradictsTheTableIsRefused() throws {
        let sample = try SampleFile(in: dir)
        /// The sample's sections under another manifest.
        func rewritten(_ change: (inout Manifest) -> Void) throws -> String {
            var manifest = sample.manifest
            change(&manifest)
            let path = dir.file("rewritten.rsr")
            let writer = try ModelFileWriter(destination: path)
            try writer.addSection(.file, [1])
            try writer.addSection(.tensor, [UInt8](repeating: 0, count: 96 * 4))
            try sample.layout.withBytes { _ = try writer.addSection(.layout, $0) }
            try writer.finish(manifest: manifest)
            return path
        }
        let rows = try openError(try rewritten { $0.linears["layers.0.q_proj"]!.rows = 32 })
        #expect(rows.problem.contains("does not match layers.0.q_proj"), "\(rows)")
        let kind = try openError(try rewritten { $0.tensors["layers.0.input_layernorm"]!.section = 2 })
        #expect(kind.problem.contains("not a tensor one"), "\(kind)")
        let missing = try openError(try rewritten { $0.files["tokenizer.json"] = 9 })
        #expect(missing.problem.contains("section 9, which does not exist"), "\(missing)")
    }
}
