import FileIO
import Foundation
@testable import Hub
import TestSupport
import Testing

/// A mirror (HF_ENDPOINT) or proxy that lies: names that would become paths outside the cache, redirects
/// to other URL schemes, files planted in the cache. Each is refused with one clear error and nothing is
/// written outside the cache.
@Suite(.serialized) struct HostileHubTests {
    let hub: FakeHub
    let dir = TemporaryDirectory()
    var cache: String { dir.file("hub") }

    init() throws { hub = try FakeHub() }

    func download(_ request: DownloadRequest = DownloadRequest(repo: "org/model")) throws -> String {
        try HubDownloader(configuration: testConfiguration(hub, cache: cache)).download(request)
    }

    /// Files written anywhere under the test's directory except in the cache.
    var writtenOutsideTheCache: [String] { Path.files(under: dir.path).filter { !$0.hasPrefix("hub/") } }

    /// "ABSOLUTE" stands for a path in the test's directory (so a regression writes there, not in $HOME).
    @Test(arguments: ["../../../escaped", "ABSOLUTE", "not-a-hash", String(repeating: "a", count: 39), String(repeating: "a", count: 41)])
    func anETagThatIsNotAHashIsRefused(etag: String) throws {
        let hostile = etag == "ABSOLUTE" ? dir.file("outside/bashrc") : etag
        try Path.makeDirectories(dir.file("outside"))
        hub.add("org/model", files: sampleRepo())
        hub.etagHeader["config.json"] = "\"\(hostile)\""
        let error = #expect(throws: HubError.self) { try download() }
        guard case .badResponse(let what, let reason) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(what == "org/model/config.json")
        #expect(reason.contains("ETag \"\(hostile)\" is not a hash; expected 40 hexadecimal digits (git blob SHA-1) or 64 (LFS SHA-256)"))
        #expect(writtenOutsideTheCache.isEmpty)
        #expect(!Path.exists(Path.join(cache, "models--org--model", "snapshots")))
    }

    @Test func anETagThatIsAPathIsRefusedForALocalFolderToo() throws {
        hub.add("org/model", files: sampleRepo())
        hub.etagHeader["model.safetensors"] = "\"../../../../escaped\""
        var request = DownloadRequest(repo: "org/model")
        request.localDirectory = dir.file("hub/local")
        let error = #expect(throws: HubError.self) { try download(request) }
        #expect(error?.description.contains("ETag \"../../../../escaped\" is not a hash") == true)
        #expect(writtenOutsideTheCache.isEmpty)
        #expect(!Path.exists(dir.file("hub/local/model.safetensors")))
    }

    @Test func aVeryLongETagIsShortenedInTheError() throws {
        hub.add("org/model", files: sampleRepo())
        hub.etagHeader["config.json"] = "\"" + String(repeating: "../", count: 1000) + "\""
        let error = #expect(throws: HubError.self) { try download() }
        #expect(error.map { $0.description.count < 400 } == true, "\(String(describing: error))")
    }

    @Test func anLFSETagThatIsAPathIsRefused() throws {
        hub.add("org/model", files: sampleRepo())
        hub.etagHeader["model.safetensors"] = "\"../../../escaped\""
        let error = #expect(throws: HubError.self) { try download() }
        #expect(error?.description.contains("org/model/model.safetensors: unexpected response from the Hub (ETag \"../../../escaped\" is not a hash") == true)
        #expect(writtenOutsideTheCache.isEmpty)
    }

    @Test func aRepoCommitHeaderThatIsNotACommitIsRefused() throws {
        hub.add("org/model", files: sampleRepo())
        hub.commitHeader["config.json"] = "../../../escaped"
        let error = #expect(throws: HubError.self) { try download() }
        #expect(error == .badResponse(what: "org/model/config.json",
                                      reason: "X-Repo-Commit \"../../../escaped\" is not a commit hash; expected 40 lowercase hexadecimal digits"))
        #expect(writtenOutsideTheCache.isEmpty)
    }

    @Test func aRevisionShaThatIsAPathIsRefused() throws {
        hub.add("org/model", files: sampleRepo(), commit: "../../../escaped")
        let error = #expect(throws: HubError.self) { try download() }
        #expect(error?.description.contains("sha '../../../escaped' is not a commit hash") == true)
        #expect(Path.files(under: dir.path).isEmpty)
    }

    @Test func aContentRedirectToAFileURLIsRefusedAndNothingIsWritten() throws {
        hub.add("org/model", files: sampleRepo())
        hub.contentRedirect["model.safetensors"] = "file:///etc/passwd"
        let error = #expect(throws: HubError.self) { try download() }
        #expect(error == .badResponse(what: "org/model/model.safetensors", reason: "redirect to \"file:///etc/passwd\", which is not an http or https URL"))
        let weights = Path.join(cache, "models--org--model", "blobs", hub.repo("org/model").files[2].etag)
        #expect(!Path.exists(weights))
        #expect((Path.fileSize(weights + ".incomplete") ?? 0) == 0)
        #expect(Path.files(under: Path.join(cache, "models--org--model", "snapshots")).isEmpty)
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/x"])
    func aResolveRedirectToAnotherSchemeIsRefused(location: String) throws {
        hub.add("org/model", files: sampleRepo())
        hub.resolveRedirect["config.json"] = location
        let error = #expect(throws: HubError.self) { try download() }
        #expect(error == .badResponse(what: "org/model/config.json", reason: "redirect to \"\(location)\", which is not an http or https URL"))
        #expect(writtenOutsideTheCache.isEmpty)
    }

    /// libcurl itself is limited to http and https, whatever URL reaches it.
    @Test(arguments: ["file:///etc/passwd", "dict://127.0.0.1/x", "gopher://127.0.0.1/x"])
    func libcurlRefusesOtherSchemes(url: String) throws {
        let http = HTTPClient(connectTimeout: 2, stallTimeout: 1)
        var received = 0
        let error = #expect(throws: TransportError.self) { _ = try http.send(HTTPRequest(url: url)) { _, chunk in received += chunk.count } }
        #expect(error?.message.lowercased().contains("protocol") == true, "\(String(describing: error))")
        #expect(received == 0)
    }

    @Test func aSymbolicLinkPlantedAsTheIncompleteBlobIsNotWrittenThrough() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        let victim = dir.file("victim")
        try AtomicFile.write(Array("keep".utf8), to: victim)
        let blobs = Path.join(cache, "models--org--model", "blobs")
        try Path.makeDirectories(blobs)
        try Path.symlink(victim, at: Path.join(blobs, files[2].etag + ".incomplete"))
        let error = #expect(throws: FileIOError.self) { try download() }
        #expect(error?.description.hasSuffix("open for writing failed: it is a symbolic link; expected a regular file") == true)
        #expect(Path.read(victim) == Array("keep".utf8))
        #expect(Path.readLink(Path.join(blobs, files[2].etag)) == nil) // the blob did not become the link
    }
}
