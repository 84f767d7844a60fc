/// The fixed 64 bytes at the start of a model file (docs/FORMAT.md). Integers are little-endian.
///
///     0  magic "RSRMODEL"        8 bytes
///     8  format version           u16 major, u16 minor
///    12  feature flags            u32
///    16  file size                u64
///    24  section table offset     u64
///    32  section count            u32
///    36  section table CRC-32     u32
///    40  manifest section index   u32
///    44  reserved (0)             16 bytes
///    60  header CRC-32            u32, of bytes 0..<60
struct FileHeader: Equatable {
    static let size = 64
    static let magic = Array("RSRMODEL".utf8)

    var version: FormatVersion
    var features: FormatFeatures
    var fileSize: UInt64
    var tableOffset: UInt64
    var sectionCount: UInt32
    var tableCRC: UInt32
    var manifestSection: UInt32

    func encoded() -> [UInt8] {
        var bytes = ByteWriter()
        bytes.append(Self.magic)
        bytes.append(version.raw)
        bytes.append(features.rawValue)
        bytes.append(fileSize)
        bytes.append(tableOffset)
        bytes.append(sectionCount)
        bytes.append(tableCRC)
        bytes.append(manifestSection)
        bytes.append([UInt8](repeating: 0, count: 16))
        bytes.append(CRC32.checksum(bytes.bytes))
        return bytes.bytes
    }

    enum DecodeError: Error {
        case badMagic
        case unsupportedVersion(FormatVersion)
        case badChecksum
        case unknownFeatures(FormatFeatures)
        case nonzeroReserved
    }

    /// Decodes and checks the header in the order that gives the most useful error: a file that is not a
    /// model file, then one of another major version (whose header may differ), then corruption, then
    /// features this reader does not know.
    init(decoding bytes: UnsafeRawBufferPointer, supported: FormatVersion) throws(DecodeError) {
        var reader = ByteReader(bytes)
        guard bytes.count >= Self.size, Array(bytes[0..<8]) == Self.magic else { throw .badMagic }
        reader.skip(8)
        version = FormatVersion(raw: reader.u32())
        guard version.major == supported.major else { throw .unsupportedVersion(version) }
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60])) == bytes.loadUnaligned(fromByteOffset: 60, as: UInt32.self).littleEndian else {
            throw .badChecksum
        }
        features = FormatFeatures(rawValue: reader.u32())
        fileSize = reader.u64()
        tableOffset = reader.u64()
        sectionCount = reader.u32()
        tableCRC = reader.u32()
        manifestSection = reader.u32()
        guard bytes[44..<60].allSatisfy({ $0 == 0 }) else { throw .nonzeroReserved }
        guard features.isSubset(of: .known) else { throw .unknownFeatures(features) }
    }

    init(version: FormatVersion, features: FormatFeatures, fileSize: UInt64, tableOffset: UInt64, sectionCount: UInt32, tableCRC: UInt32, manifestSection: UInt32) {
        self.version = version
        self.features = features
        self.fileSize = fileSize
        self.tableOffset = tableOffset
        self.sectionCount = sectionCount
        self.tableCRC = tableCRC
        self.manifestSection = manifestSection
    }
}

/// What a section holds. The manifest says which file, tensor or layer each one is.
public enum SectionKind: UInt32, Sendable, CustomStringConvertible {
    case manifest = 1
    case file = 2
    case tensor = 3
    case layout = 4

    public var description: String {
        switch self {
        case .manifest: "manifest"
        case .file: "file"
        case .tensor: "tensor"
        case .layout: "layout"
        }
    }
}

/// One entry of the section table (32 bytes: offset u64, size u64, CRC-32 u32, kind u32, reserved u64).
public struct Section: Equatable, Sendable {
    static let entrySize = 32
    /// Sections start at multiples of this, so tensors and layouts can be used in place from a mapping.
    public static let alignment = 64

    public let offset: UInt64
    public let size: UInt64
    public let crc: UInt32
    public let kind: SectionKind

    func encode(into bytes: inout ByteWriter) {
        bytes.append(offset)
        bytes.append(size)
        bytes.append(crc)
        bytes.append(kind.rawValue)
        bytes.append(UInt64(0))
    }

    /// Nil for an entry whose kind is unknown or whose reserved bytes are not zero.
    static func decode(_ reader: inout ByteReader) -> Section? {
        let offset = reader.u64(), size = reader.u64(), crc = reader.u32(), rawKind = reader.u32(), reserved = reader.u64()
        guard let kind = SectionKind(rawValue: rawKind), reserved == 0 else { return nil }
        return Section(offset: offset, size: size, crc: crc, kind: kind)
    }
}

/// Little-endian serialisation of the header and the section table.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func append(_ raw: [UInt8]) { bytes += raw }
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func skip(_ n: Int) { offset += n }
    mutating func u32() -> UInt32 { read(UInt32.self) }
    mutating func u64() -> UInt64 { read(UInt64.self) }

    private mutating func read<T: FixedWidthInteger>(_: T.Type) -> T {
        defer { offset += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
