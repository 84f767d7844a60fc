import FileIO
import Foundation
import TestSupport
import Testing

/// Appending never writes through a link or into something that is not a plain file.
@Suite struct FileSinkTests {
    let dir = TemporaryDirectory()

    @Test func appendingRefusesASymbolicLink() throws {
        let target = dir.file("target")
        try AtomicFile.write(Array("precious".utf8), to: target)
        try FileManager.default.createSymbolicLink(atPath: dir.file("partial"), withDestinationPath: target)
        let error = try #require(throws: FileIOError.self) { _ = try FileSink.append(path: dir.file("partial")) }
        #expect(error.operation.contains("symbolic link"), "\(error)")
        #expect(Path.read(target) == Array("precious".utf8))
    }

    @Test func appendingRefusesADanglingSymbolicLink() throws {
        try FileManager.default.createSymbolicLink(atPath: dir.file("partial"), withDestinationPath: dir.file("elsewhere"))
        #expect(throws: FileIOError.self) { _ = try FileSink.append(path: dir.file("partial")) }
        #expect(!Path.exists(dir.file("elsewhere")))
    }

    @Test func appendingRefusesAFIFO() throws {
        #expect(mkfifo(dir.file("pipe"), 0o644) == 0)
        let error = try #require(throws: FileIOError.self) { _ = try FileSink.append(path: dir.file("pipe")) }
        #expect(error.description.contains(dir.file("pipe")))
    }

    @Test func appendingContinuesAFileAtItsEnd() throws {
        try AtomicFile.write(Array("abc".utf8), to: dir.file("partial"))
        let sink = try FileSink.append(path: dir.file("partial"))
        #expect(sink.bytesWritten == 3)
        try sink.write(Array("def".utf8))
        try sink.close()
        #expect(Path.read(dir.file("partial")) == Array("abcdef".utf8))
    }

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
}
