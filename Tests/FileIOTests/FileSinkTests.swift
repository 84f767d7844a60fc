import FileIO
import Foundation
import TestSupport
import Testing

/// FileSink.append writes only into a regular file: whatever else sits at the path is refused, not used.
@Suite struct FileSinkTests {
    let dir = TemporaryDirectory()

    @Test func appendContinuesARegularFileAndCountsItsSize() throws {
        let path = dir.file("data")
        try AtomicFile.write(Array("abc".utf8), to: path)
        let sink = try FileSink.append(path: path)
        #expect(sink.bytesWritten == 3)
        try sink.write(Array("de".utf8))
        #expect(try sink.size() == 5)
        try sink.close()
        #expect(Path.read(path) == Array("abcde".utf8))
    }

    @Test func aSymbolicLinkAtThePathIsRefusedAndItsTargetUntouched() throws {
        let target = dir.file("victim"), link = dir.file("blob.incomplete")
        try AtomicFile.write(Array("keep".utf8), to: target)
        try Path.symlink(target, at: link)
        let error = #expect(throws: FileIOError.self) { try FileSink.append(path: link) }
        #expect(error?.description == "\(link): open for writing failed: it is a symbolic link; expected a regular file")
        #expect(Path.read(target) == Array("keep".utf8))
    }

    @Test func aDanglingSymbolicLinkIsNotFollowedToCreateItsTarget() throws {
        let target = dir.file("created-elsewhere"), link = dir.file("blob.incomplete")
        try Path.symlink(target, at: link)
        #expect(throws: FileIOError.self) { try FileSink.append(path: link) }
        #expect(!Path.exists(target))
    }

    @Test func aFIFOIsRefusedWithoutWaitingForAReader() throws {
        let fifo = dir.file("pipe")
        #expect(mkfifo(fifo, 0o644) == 0)
        let error = #expect(throws: FileIOError.self) { try FileSink.append(path: fifo) }
        #expect(error?.description.hasPrefix("\(fifo): open for writing failed") == true)
    }

    @Test func aDirectoryIsRefusedAsNotARegularFile() throws {
        let error = #expect(throws: FileIOError.self) { try FileSink.append(path: dir.path) }
        #expect(error?.description.hasPrefix("\(dir.path): open for writing failed") == true)
    }
}
