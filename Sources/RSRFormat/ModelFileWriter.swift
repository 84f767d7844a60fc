import FileIO
import Foundation

/// Writes a model file: sections streamed one after another, then the manifest, the section table and
/// finally the header at offset 0. The file appears at its destination only when `finish` succeeds;
/// an error, an interruption or dropping the writer leaves nothing there.
public final class ModelFileWriter {
    private let file: TemporaryFile
    private let replacing: Bool
    private var sections: [Section] = []
    private var open: (kind: SectionKind, offset: UInt64, crc: UInt32)?
    private var offset = UInt64(FileHeader.size)

    public var destination: String { file.destination }

    /// `replacing` false: `finish` keeps a file that is at `destination` by then and throws
    /// `FileIOError.exists` instead of replacing it.
    public init(destination: String, replacing: Bool = true) throws {
        TemporaryFile.removeAbandoned(besides: destination) // a killed conversion's gigabytes
        file = try TemporaryFile(destination: destination)
        self.replacing = replacing
        try file.sink.write([UInt8](repeating: 0, count: FileHeader.size))
    }

    /// Adds a section holding `bytes`; returns its index.
    @discardableResult
    public func addSection(_ kind: SectionKind, _ bytes: UnsafeRawBufferPointer) throws -> Int {
        beginSection(kind)
        try append(bytes)
        return try endSection()
    }

    @discardableResult
    public func addSection(_ kind: SectionKind, _ bytes: [UInt8]) throws -> Int {
        try bytes.withUnsafeBytes { try addSection(kind, $0) }
    }

    /// Starts a section written in pieces with `append`.
    public func beginSection(_ kind: SectionKind) {
        precondition(open == nil, "a section is already open")
        open = (kind, offset, 0)
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let current = open else { preconditionFailure("no section is open") }
        try file.sink.write(bytes)
        open = (current.kind, current.offset, CRC32.checksum(bytes, continuing: current.crc))
        offset += UInt64(bytes.count)
    }

    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Ends the open section, pads the file to the next 64-byte boundary, and returns the section's index.
    public func endSection() throws -> Int {
        guard let current = open else { preconditionFailure("no section is open") }
        open = nil
        sections.append(Section(offset: current.offset, size: offset - current.offset, crc: current.crc, kind: current.kind))
        try pad()
        return sections.count - 1
    }

    /// Index the next section will get.
    public var nextSection: Int { sections.count }

    /// Writes the manifest, the section table and the header, flushes to disk and renames the file into
    /// place. Every section the manifest names must have been added.
    public func finish(manifest: Manifest) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let manifestSection = try addSection(.manifest, Array(try encoder.encode(manifest)))
        var table = ByteWriter()
        for section in sections { section.encode(into: &table) }
        let tableOffset = offset
        try file.sink.write(table.bytes)
        offset += UInt64(table.bytes.count)
        let header = FileHeader(version: .current, features: FormatFeatures(of: manifest), fileSize: offset, tableOffset: tableOffset,
                                sectionCount: UInt32(sections.count), tableCRC: CRC32.checksum(table.bytes),
                                manifestSection: UInt32(manifestSection))
        try file.sink.write(header.encoded(), at: 0)
        try file.publish(replacing: replacing)
    }

    /// Removes the partial file now (it is also removed when the writer is released unfinished).
    public func discard() { file.discard() }

    private func pad() throws {
        let padding = Int((UInt64(Section.alignment) - offset % UInt64(Section.alignment)) % UInt64(Section.alignment))
        guard padding > 0 else { return }
        try file.sink.write([UInt8](repeating: 0, count: padding))
        offset += UInt64(padding)
    }
}
