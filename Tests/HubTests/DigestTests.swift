import FileIO
import Foundation
@testable import Hub
import TestSupport
import Testing

@Suite struct DigestTests {
    let dir = TemporaryDirectory()

    /// Sizes around SHA-1's 64-byte blocks and its 56-byte padding limit (the "blob N\0" header shifts them).
    @Test(arguments: [0, 1, 46, 47, 48, 55, 56, 63, 64, 65, 119, 120, 1000, 1_000_000])
    func gitBlobHashAgreesWithCoreutilsSHA1(size: Int) throws {
        let path = dir.file("f\(size)")
        let bytes = randomBytes(size)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(try FileMetadata.Digest.gitBlobSHA1.hex(ofFile: path) == gitBlobSHA1Hex(bytes))
    }

    @Test func gitBlobHashOfKnownBlobs() throws {
        // `git hash-object` of an empty file and of "hello world\n".
        let empty = dir.file("empty"), hello = dir.file("hello")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(FileManager.default.createFile(atPath: hello, contents: Data("hello world\n".utf8)))
        #expect(try FileMetadata.Digest.gitBlobSHA1.hex(ofFile: empty) == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(try FileMetadata.Digest.gitBlobSHA1.hex(ofFile: hello) == "3b18e512dba79e4c8300dd08aeb37f8e728b8dad")
    }

    @Test(arguments: [(String(repeating: "a", count: 40), FileMetadata.Digest.gitBlobSHA1), (String(repeating: "F", count: 64), .sha256),
                      (String(repeating: "a", count: 39), nil), (String(repeating: "g", count: 40), nil), ("../../x", nil), ("", nil)])
    func etagsNameTheirDigest(etag: String, digest: FileMetadata.Digest?) {
        #expect(FileMetadata.Digest(etag: etag) == digest)
    }
}
