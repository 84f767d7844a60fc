import FileIO
import Foundation
import RSRCore

/// A model file mapped into memory. Opening checks the header, the section table, the manifest and
/// every small section; tensors and layouts are used in place and checked in full by `verify()`.
public final class ModelFile: @unchecked Sendable {
    /// Sections below this size, and all embedded files, have their checksum checked on open.
    public static let smallSectionBytes: UInt64 = 1 << 20

    public let path: String
    public let formatVersion: FormatVersion
    /// What the file needs of its reader (header flags).
    public let features: FormatFeatures
    public let sections: [Section]
    public let manifest: Manifest
    private let mapped: MappedFile
    private let names: [Int: String]

    /// Opens the model file at `path`. `backing` says how its bytes are held: by default a private copy
    /// on huge pages where the system offers them (decoding streams every weight per token), else mapped.
    public init(path: String, backing: MappedFile.Backing = .automatic) throws {
        let mapped = try MappedFile(path: path, backing: backing)
        self.path = path
        self.mapped = mapped
        let bytes = mapped.bytes
        let header = try Self.readHeader(bytes, path: path)
        formatVersion = header.version
        features = header.features
        sections = try Self.readTable(bytes, header: header, path: path)

        let manifestIndex = Int(header.manifestSection)
        guard manifestIndex < sections.count, sections[manifestIndex].kind == .manifest else {
            throw ModelFileError(path: path, part: "header", "the manifest section \(manifestIndex) is not a manifest entry of the section table")
        }
        let manifestPart = "manifest (section \(manifestIndex))"
        let manifestBytes = Self.slice(bytes, sections[manifestIndex])
        guard CRC32.checksum(manifestBytes) == sections[manifestIndex].crc else {
            throw ModelFileError(path: path, part: manifestPart, "checksum mismatch: the file is corrupt")
        }
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(manifestBytes))
        } catch {
            throw ModelFileError(path: path, part: manifestPart, "not a valid manifest: \((error as? DecodingError)?.fieldDescription ?? "\(error)")")
        }
        let used = FormatFeatures(of: manifest)
        guard used.isSubset(of: features) else {
            throw ModelFileError(path: path, part: manifestPart, "uses \(used.subtracting(features)), which the header does not declare: the file is corrupt")
        }
        var names = try ManifestCheck(manifest: manifest, sections: sections, path: path).sectionNames()
        names[manifestIndex] = "manifest"
        self.names = names

        for (i, section) in sections.enumerated() where section.kind == .file || section.size < Self.smallSectionBytes {
            try checkCRC(i)
        }
        for (name, entry) in manifest.linears {
            for layout in entry.layouts {
                let header = try? Layout(borrowing: self.bytes(layout.section), owner: mapped, validate: false)
                guard let header, header.rows == entry.rows, header.cols == entry.cols, header.weights == entry.weights,
                      header.kind.name == layout.kernel, header.k == layout.k else {
                    throw ModelFileError(path: path, part: part(layout.section),
                                         "its layout header does not match \(name) in the manifest (\(entry.rows)x\(entry.cols) \(entry.weights), \(layout.kernel), k \(layout.k))")
                }
            }
        }
        for (name, entry) in manifest.integerLinears ?? [:] {
            let header = try? BitPlaneLayout(borrowing: self.bytes(entry.section), owner: mapped, validate: false)
            guard let header, header.rows == entry.rows, header.cols == entry.cols, header.bits == entry.bits,
                  header.group == min(entry.group, entry.cols), header.hasZeroPoints == entry.zeroPoints, header.isPermuted == entry.permuted,
                  header.isPacked == entry.packed,
                  header.scaleType.rawValue == entry.scaleType.rawValue else {
                throw ModelFileError(path: path, part: part(entry.section),
                                     "its integer layout header does not match \(name) in the manifest (\(entry.rows)x\(entry.cols), \(entry.bits) bits, groups of \(entry.group)\(entry.packed ? ", packed" : ""))")
            }
        }
    }

    /// The bytes of a section, in place.
    public func bytes(_ section: Int) -> UnsafeRawBufferPointer { Self.slice(mapped.bytes, sections[section]) }

    /// A description of a section for messages, e.g. "section 12 (tensor embed_tokens)".
    public func part(_ section: Int) -> String {
        "section \(section)" + (names[section].map { " (\($0))" } ?? "")
    }

    /// An embedded file's contents.
    public func file(_ name: String) -> Data? {
        manifest.files[name].map { Data(bytes($0)) }
    }

    /// A tensor's entry and bytes, in place.
    public func tensor(_ name: String) -> (entry: TensorEntry, bytes: UnsafeRawBufferPointer)? {
        manifest.tensors[name].map { ($0, bytes($0.section)) }
    }

    /// A layer's layout for a kernel, used in place. `validate` checks every index (O(size)); a layout
    /// whose section passed `verify()` may skip it.
    public func layout(_ entry: LayoutEntry, validate: Bool = true) throws -> Layout {
        do {
            return try Layout(borrowing: bytes(entry.section), owner: mapped, validate: validate)
        } catch let error as KernelError {
            throw ModelFileError(path: path, part: part(entry.section), "not a valid layout: \(error)")
        }
    }

    /// Checks every section's checksum and every layout's indices. `progress` gets bytes checked so far.
    public func verify(progress: ((UInt64) -> Void)? = nil) throws {
        var done: UInt64 = 0
        for i in sections.indices {
            try checkCRC(i)
            done += sections[i].size
            progress?(done)
        }
        for entry in manifest.linears.values {
            for layout in entry.layouts { _ = try self.layout(layout, validate: true) }
        }
        for entry in (manifest.integerLinears ?? [:]).values { _ = try bitPlanes(entry, validate: true) }
    }

    /// An integer linear's bit-planes, used in place. `validate` checks its zero points and permutation
    /// (O(size)); a section that passed `verify()` may skip it.
    public func bitPlanes(_ entry: IntegerLinearEntry, validate: Bool = true) throws -> BitPlaneLayout {
        do {
            return try BitPlaneLayout(borrowing: bytes(entry.section), owner: mapped, validate: validate)
        } catch let error as KernelError {
            throw ModelFileError(path: path, part: part(entry.section), "not a valid bit-plane layout: \(error)")
        }
    }

    private func checkCRC(_ i: Int) throws {
        guard CRC32.checksum(bytes(i)) == sections[i].crc else {
            throw ModelFileError(path: path, part: part(i), "checksum mismatch: the file is corrupt")
        }
    }

    private static func slice(_ bytes: UnsafeRawBufferPointer, _ section: Section) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(section.offset)..<Int(section.offset + section.size)])
    }

    private static func readHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> FileHeader {
        let header: FileHeader
        do {
            header = try FileHeader(decoding: bytes, supported: .current)
        } catch {
            let problem = switch error {
            case .badMagic where bytes.count >= 8 && Array(bytes[0..<8]) == FileHeader.magic:
                "the file is \(bytes.count) bytes, shorter than its 64-byte header: truncated"
            case .badMagic: "does not start with \"RSRMODEL\": not an rsr model file"
            case .unsupportedVersion(let v) where v > .current:
                "format version \(v) is newer than this rsr reads (\(FormatVersion.current.major).x); update rsr"
            case .unsupportedVersion(let v): "format version \(v) is not one this rsr reads (\(FormatVersion.current.major).x)"
            case .unknownFeatures(let f):
                "the file uses features this rsr does not know (\(f.subtracting(.known))): written by a newer rsr; update rsr"
            case .badChecksum: "checksum mismatch: the file is corrupt"
            case .nonzeroReserved: "reserved fields are not zero: the file is corrupt or from an incompatible writer"
            }
            throw ModelFileError(path: path, part: "header", problem)
        }
        let actual = UInt64(bytes.count)
        if actual < header.fileSize {
            throw ModelFileError(path: path, part: "header", "the file is \(actual) bytes but its header says \(header.fileSize): truncated")
        }
        if actual > header.fileSize {
            throw ModelFileError(path: path, part: "header", "the file is \(actual) bytes but its header says \(header.fileSize): data after the end")
        }
        return header
    }

    private static func readTable(_ bytes: UnsafeRawBufferPointer, header: FileHeader, path: String) throws -> [Section] {
        let fail = { (problem: String) in ModelFileError(path: path, part: "section table", problem) }
        let count = UInt64(header.sectionCount)
        // Compared by subtraction: the offset comes from the file, and an addition could overflow.
        guard header.tableOffset >= UInt64(FileHeader.size), header.tableOffset % UInt64(Section.alignment) == 0,
              header.tableOffset <= header.fileSize, header.fileSize - header.tableOffset == count * UInt64(Section.entrySize) else {
            throw fail("\(count) entries at offset \(header.tableOffset) do not end the \(header.fileSize)-byte file")
        }
        let table = UnsafeRawBufferPointer(rebasing: bytes[Int(header.tableOffset)...])
        guard CRC32.checksum(table) == header.tableCRC else { throw fail("checksum mismatch: the file is corrupt") }
        var reader = ByteReader(table)
        var sections: [Section] = []
        var end = UInt64(FileHeader.size)
        for i in 0..<Int(count) {
            guard let section = Section.decode(&reader) else { throw fail("entry \(i) has an unknown kind or nonzero reserved bytes") }
            guard section.offset % UInt64(Section.alignment) == 0, section.offset >= end,
                  section.size <= header.tableOffset, section.offset <= header.tableOffset - section.size else {
                throw fail("entry \(i) (offset \(section.offset), \(section.size) bytes) is misaligned, overlaps another or runs past the table")
            }
            end = section.offset + section.size
            sections.append(section)
        }
        return sections
    }
}
