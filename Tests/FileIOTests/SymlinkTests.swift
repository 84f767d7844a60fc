import FileIO
import Foundation
import TestSupport
import Testing

/// Two downloads of one snapshot link the same names at once; neither may fail because the other got there first.
@Suite struct SymlinkTests {
    let dir = TemporaryDirectory()

    @Test func linkingOneNameFromManyThreadsAtOnceAlwaysSucceeds() throws {
        let link = dir.file("config.json")
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<300 {
                do { try Path.symlink("../blobs/\(worker)-\(i)", at: link) } catch { failures.add("\(error)") }
            }
        }
        #expect(failures.all.count == 0, "\(failures.all.prefix(3))")
        #expect(Path.readLink(link)?.hasPrefix("../blobs/") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["config.json"], "temporary links left behind")
    }

    @Test func linkingReplacesAnExistingFile() throws {
        let link = dir.file("model.safetensors")
        try AtomicFile.write(Array("old".utf8), to: link)
        try Path.symlink("../blobs/abc", at: link)
        #expect(Path.readLink(link) == "../blobs/abc")
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
