import FileIO
import Foundation
import TestSupport
import Testing

/// A temporary file appears at its destination whole, and without replacing what is there when asked not to.
@Suite struct TemporaryFileTests {
    let dir = TemporaryDirectory()

    @Test func publishingWithoutReplacingKeepsAnExistingFile() throws {
        let destination = dir.file("out")
        try AtomicFile.write(Array("first".utf8), to: destination)
        let file = try TemporaryFile(destination: destination)
        try file.sink.write(Array("second".utf8))
        let error = try #require(throws: FileIOError.self) { try file.publish(replacing: false) }
        #expect(error.isExists)
        file.discard()
        #expect(Path.read(destination) == Array("first".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out"])
    }

    @Test func publishingWithoutReplacingCreatesAMissingFile() throws {
        let destination = dir.file("out")
        let file = try TemporaryFile(destination: destination)
        try file.sink.write(Array("new".utf8))
        try file.publish(replacing: false)
        #expect(Path.read(destination) == Array("new".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out"])
    }
}
