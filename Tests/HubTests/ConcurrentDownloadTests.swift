import FileIO
import Foundation
@testable import Hub
import TestSupport
import Testing

/// Two downloads of the same repository at once (two terminals, two programs sharing the cache) take
/// turns on each file through its lock: both succeed, and the file is fetched once.
@Suite(.serialized) struct ConcurrentDownloadTests {
    let hub: FakeHub
    let dir = TemporaryDirectory()
    var cache: String { dir.file("hub") }

    init() throws { hub = try FakeHub() }

    /// Runs `request` from two threads at once, each with its own downloader; returns both results.
    func downloadTwiceAtOnce(_ request: DownloadRequest) -> [Result<String, Error>] {
        let results = LockedDictionary<Int, Result<String, Error>>()
        let group = DispatchGroup()
        for i in 0..<2 {
            group.enter()
            Thread.detachNewThread { [hub, cache] in
                defer { group.leave() }
                let downloader = HubDownloader(configuration: testConfiguration(hub, cache: cache))
                results[i] = Result { try downloader.download(request) }
            }
        }
        group.wait()
        return [results[0]!, results[1]!]
    }

    /// A slow weights file, so that the second download starts while the first is still writing it.
    func addSlowRepo() -> [FakeHub.File] {
        let files = sampleRepo(weights: 1_000_000)
        hub.add("org/model", files: files)
        hub.drip["model.safetensors"] = 0.01
        return files
    }

    @Test func twoDownloadsIntoOneCacheBothSucceedWithTheVerifiedFile() throws {
        let files = addSlowRepo()
        let results = downloadTwiceAtOnce(DownloadRequest(repo: "org/model"))
        let snapshots = try results.map { try $0.get() }
        #expect(snapshots[0] == snapshots[1])
        #expect(Path.read(Path.join(snapshots[0], "model.safetensors")) == files[2].content)
        #expect(hub.bytesServed("model.safetensors") == files[2].content.count) // fetched once
        let repoDir = Path.join(cache, "models--org--model")
        #expect(!Path.files(under: repoDir).contains { $0.hasSuffix(".incomplete") })
        #expect(Path.exists(Path.join(cache, ".locks", "models--org--model", files[2].etag + ".lock"))) // where huggingface_hub puts it
    }

    @Test func twoDownloadsIntoOneLocalFolderBothSucceedWithTheVerifiedFile() throws {
        let files = addSlowRepo()
        var request = DownloadRequest(repo: "org/model")
        request.localDirectory = dir.file("local")
        let results = downloadTwiceAtOnce(request)
        for result in results { #expect(try result.get() == dir.file("local")) }
        #expect(Path.read(dir.file("local/model.safetensors")) == files[2].content)
        #expect(hub.bytesServed("model.safetensors") == files[2].content.count)
        #expect(Path.exists(dir.file("local/.cache/huggingface/download/model.safetensors.lock")))
    }
}
