import FileIO
import Foundation
import TestSupport
import Testing

/// A file read into private memory holds the same bytes as the file mapped, and `automatic` copies only
/// files large enough to gain from huge pages.
@Suite struct MappedFileTests {
    let dir = TemporaryDirectory()

    /// Bytes that differ from position to position, over a size that is not a whole number of pages.
    private func write(_ count: Int) throws -> (path: String, bytes: [UInt8]) {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        let path = dir.file("data")
        try AtomicFile.write(bytes, to: path)
        return (path, bytes)
    }

    @Test func aResidentCopyHoldsTheFilesBytes() throws {
        let (path, bytes) = try write(3 << 20 + 12345)
        let resident = try MappedFile(path: path, backing: .resident)
        let mapped = try MappedFile(path: path, backing: .mapped)
        #expect(resident.backing == .resident && mapped.backing == .mapped)
        #expect(Array(resident.bytes) == bytes)
        #expect(Array(mapped.bytes) == bytes)
    }

    @Test func aResidentCopyStartsOnAHugePageBoundary() throws {
        let (path, _) = try write(1 << 20)
        let resident = try MappedFile(path: path, backing: .resident)
        #expect(Int(bitPattern: resident.bytes.baseAddress!) % (2 << 20) == 0)
    }

    @Test func automaticKeepsSmallFilesMapped() throws {
        let path = dir.file("small")
        try AtomicFile.write([UInt8](repeating: 1, count: MappedFile.residentFrom - 1), to: path)
        #expect(try MappedFile(path: path, backing: .automatic).backing == .mapped)
    }

    @Test func anEmptyFileIsEmptyEitherWay() throws {
        let path = dir.file("empty")
        try AtomicFile.write([UInt8](), to: path)
        #expect(try MappedFile(path: path, backing: .resident).bytes.isEmpty)
        #expect(try MappedFile(path: path, backing: .mapped).bytes.isEmpty)
    }

    @Test func aDirectoryIsRefusedWithItsPath() throws {
        let error = try #require(throws: FileIOError.self) { try MappedFile(path: dir.path, backing: .resident) }
        #expect(error.description.hasPrefix(dir.path))
    }
}
