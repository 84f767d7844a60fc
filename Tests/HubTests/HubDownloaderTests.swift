import FileIO
import Foundation
@testable import Hub
import TestSupport
import Testing

@Suite(.serialized) struct HubDownloaderTests {
    let hub: FakeHub
    let dir = TemporaryDirectory()
    var cache: String { dir.file("hub") }

    init() throws { hub = try FakeHub() }

    func downloader(token: String? = nil, _ adjust: (inout HubConfiguration) -> Void = { _ in }) -> HubDownloader {
        var config = testConfiguration(hub, cache: cache, token: token)
        adjust(&config)
        return HubDownloader(configuration: config)
    }

    @Test func cacheLayoutMatchesHuggingfaceHub() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        let commit = hub.repo("org/model").commit
        let snapshot = try downloader().download(DownloadRequest(repo: "org/model"))
        let repoDir = Path.join(cache, "models--org--model")
        #expect(snapshot == Path.join(repoDir, "snapshots", commit))
        #expect(Path.read(Path.join(repoDir, "refs", "main")) == Array(commit.utf8)) // the hash, no newline
        for file in files where file.path != "README.md" {
            let pointer = Path.join(snapshot, file.path)
            let depth = file.path.split(separator: "/").count - 1
            #expect(Path.readLink(pointer) == String(repeating: "../", count: depth + 2) + "blobs/\(file.etag)", "\(file.path)")
            #expect(Path.read(Path.join(repoDir, "blobs", file.etag)) == file.content, "\(file.path)")
            #expect(Path.read(pointer) == file.content)
        }
        #expect(!Path.exists(Path.join(snapshot, "README.md"))) // not in the default patterns
        #expect(!Path.files(under: repoDir).contains { $0.hasSuffix(".incomplete") })
    }

    @Test func secondRunFetchesNoContent() throws {
        hub.add("org/model", files: sampleRepo())
        let first = try downloader().download(DownloadRequest(repo: "org/model"))
        hub.clearLog()
        let second = try downloader().download(DownloadRequest(repo: "org/model"))
        #expect(second == first)
        #expect(hub.requests.map(\.path) == ["/api/models/org/model/revision/main"]) // the listing only
    }

    @Test func blobsAlreadyCachedAreLinkedNotFetched() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        _ = try downloader().download(DownloadRequest(repo: "org/model"))
        // The same content under a new commit: new snapshot, no content transferred again.
        hub.add("org/model", files: files)
        hub.clearLog()
        let snapshot = try downloader().download(DownloadRequest(repo: "org/model"))
        #expect(snapshot.hasSuffix(hub.repo("org/model").commit))
        #expect(!hub.requests.contains { $0.method == "GET" && $0.path.contains("/resolve/") || $0.server == "cdn" })
        #expect(Path.read(Path.join(snapshot, "model.safetensors")) == files[2].content)
    }

    @Test func tokenGoesToTheHubOnlyNeverToTheCDN() throws {
        hub.add("org/private", files: sampleRepo(), isPrivate: true)
        _ = try downloader(token: hub.token).download(DownloadRequest(repo: "org/private"))
        let hubRequests = hub.requests.filter { $0.server == "hub" }, cdnRequests = hub.requests.filter { $0.server == "cdn" }
        #expect(!cdnRequests.isEmpty)
        #expect(cdnRequests.allSatisfy { $0.authorization == nil })
        #expect(hubRequests.allSatisfy { $0.authorization == "Bearer \(hub.token)" })
    }

    @Test func privateRepoWithoutTokenSaysSo() throws {
        hub.add("org/private", files: sampleRepo(), isPrivate: true)
        let error = #expect(throws: HubError.self) { try downloader().download(DownloadRequest(repo: "org/private")) }
        #expect(error == .unauthorized(what: "org/private at revision main", status: 401))
        #expect(error?.description.contains("set HF_TOKEN") == true)
        #expect(error?.description.contains(hub.token) == false)
    }

    @Test func missingRepoRevisionOrFileIs404() throws {
        hub.add("org/model", files: sampleRepo())
        let repo = #expect(throws: HubError.self) { try downloader().download(DownloadRequest(repo: "org/nothing")) }
        #expect(repo == .notFound(what: "org/nothing at revision main", code: "RepoNotFound"))
        var request = DownloadRequest(repo: "org/model")
        request.revision = "v9"
        let revision = #expect(throws: HubError.self) { try downloader().download(request) }
        #expect(revision == .notFound(what: "org/model at revision v9", code: "RevisionNotFound"))
    }

    @Test func droppedConnectionResumesWithoutRefetching() throws {
        let files = sampleRepo(weights: 500_000)
        hub.add("org/model", files: files)
        hub.dropAfter["model.safetensors"] = 200_000
        let snapshot = try downloader().download(DownloadRequest(repo: "org/model"))
        #expect(Path.read(Path.join(snapshot, "model.safetensors")) == files[2].content)
        #expect(hub.bytesServed("model.safetensors") == 500_000) // every byte sent once
        let ranges = hub.requests.filter { $0.server == "cdn" }.map(\.range)
        #expect(ranges == [nil, "bytes=200000-"])
    }

    @Test func interruptedRunResumesFromTheIncompleteBlob() throws {
        let files = sampleRepo(weights: 400_000)
        hub.add("org/model", files: files)
        hub.dropAfter["model.safetensors"] = 150_000
        // One attempt only: the run fails, leaving the partial blob and no snapshot entry.
        let error = #expect(throws: HubError.self) { try downloader { $0.maxAttempts = 1 }.download(DownloadRequest(repo: "org/model")) }
        #expect(error?.description.contains("connection kept dropping") == true)
        let commit = hub.repo("org/model").commit
        let snapshot = Path.join(cache, "models--org--model", "snapshots", commit)
        #expect(!Path.exists(Path.join(snapshot, "model.safetensors")))
        #expect(Path.fileSize(Path.join(cache, "models--org--model", "blobs", files[2].etag + ".incomplete")) == 150_000)
        // The next run asks for the rest only.
        _ = try downloader().download(DownloadRequest(repo: "org/model"))
        #expect(Path.read(Path.join(snapshot, "model.safetensors")) == files[2].content)
        #expect(hub.bytesServed("model.safetensors") == 400_000)
    }

    @Test func serverIgnoringRangeOrRefusingItRestarts() throws {
        let files = sampleRepo(weights: 300_000)
        hub.add("org/model", files: files)
        hub.dropAfter["model.safetensors"] = 100_000
        hub.ignoreRange.insert("model.safetensors")
        let snapshot = try downloader().download(DownloadRequest(repo: "org/model"))
        #expect(Path.read(Path.join(snapshot, "model.safetensors")) == files[2].content)

        let other = sampleRepo(weights: 200_000)
        hub.add("org/other", files: other)
        hub.dropAfter["model.safetensors"] = 50_000
        hub.refuseRange.insert("model.safetensors")
        let second = try downloader().download(DownloadRequest(repo: "org/other"))
        #expect(Path.read(Path.join(second, "model.safetensors")) == other[2].content)
    }

    @Test func serverErrorsAreRetried() throws {
        hub.add("org/model", files: sampleRepo())
        hub.failures["model.safetensors"] = [500, 503]
        hub.failures["config.json"] = [500]
        let snapshot = try downloader().download(DownloadRequest(repo: "org/model"))
        #expect(Path.exists(Path.join(snapshot, "model.safetensors")))
        #expect(Path.exists(Path.join(snapshot, "config.json")))
    }

    @Test func tooManyRequestsWaitsForRetryAfter() throws {
        hub.add("org/model", files: sampleRepo())
        hub.failures["model.safetensors"] = [429]
        let start = Date()
        _ = try downloader().download(DownloadRequest(repo: "org/model"))
        #expect(Date().timeIntervalSince(start) >= 1) // Retry-After: 1
    }

    @Test func persistentServerErrorFailsAndLeavesNothingInTheSnapshot() throws {
        hub.add("org/model", files: sampleRepo())
        hub.failures["model.safetensors"] = [500, 500, 500, 500]
        let error = #expect(throws: HubError.self) { try downloader().download(DownloadRequest(repo: "org/model")) }
        #expect(error == .server(what: "org/model/model.safetensors", status: 500))
        let snapshots = Path.join(cache, "models--org--model", "snapshots")
        #expect(Path.files(under: snapshots).isEmpty)
        #expect(!Path.exists(Path.join(cache, "models--org--model", "refs", "main")))
    }

    @Test func wrongContentForAnLFSEtagIsRemoved() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        hub.corrupt.insert("model.safetensors")
        let error = #expect(throws: HubError.self) { try downloader().download(DownloadRequest(repo: "org/model")) }
        guard case .checksumMismatch(let file, let digest, let expected, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(file == "org/model/model.safetensors")
        #expect(digest == "SHA-256")
        #expect(expected == files[2].sha256)
        let blobs = Path.join(cache, "models--org--model", "blobs")
        #expect(!Path.files(under: blobs).contains { $0.hasPrefix(files[2].etag) })
        #expect(Path.files(under: Path.join(cache, "models--org--model", "snapshots")).isEmpty)
    }

    @Test func wrongContentForAGitBlobEtagIsRemoved() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        hub.corrupt.insert("config.json")
        let error = #expect(throws: HubError.self) { try downloader().download(DownloadRequest(repo: "org/model")) }
        guard case .checksumMismatch(let file, let digest, let expected, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(file == "org/model/config.json")
        #expect(digest == "git blob SHA-1")
        #expect(expected == files[0].gitBlobSHA1)
        #expect(error?.description.contains("git blob SHA-1 is") == true)
        #expect(!Path.exists(Path.join(cache, "models--org--model", "blobs", files[0].etag)))
        #expect(Path.files(under: Path.join(cache, "models--org--model", "snapshots")).isEmpty)
    }

    @Test(arguments: ["../../escape", "/etc/passwd", "a\\b", "ok/../../x", "nul\0byte"])
    func unsafeServerPathsAreRefused(name: String) throws {
        hub.add("org/evil", files: sampleRepo() + [.init(path: name, content: Array("x".utf8), lfs: false)])
        let error = #expect(throws: HubError.self) {
            var request = DownloadRequest(repo: "org/evil")
            request.include = ["*"]
            _ = try downloader().download(request)
        }
        #expect(error == .unsafePath(name))
        #expect(Path.files(under: dir.path).isEmpty) // nothing written anywhere
    }

    @Test func stalledTransferTimesOut() throws {
        hub.add("org/model", files: sampleRepo())
        hub.stallAfter["model.safetensors"] = 0
        // One attempt, one second of stall allowed: the stall (8 s) must be detected as a timeout.
        let error = #expect(throws: HubError.self) { try downloader { $0.maxAttempts = 1 }.download(DownloadRequest(repo: "org/model")) }
        #expect(error == .timedOut(what: "org/model/model.safetensors"))
    }

    @Test func unreachableEndpointSaysSoAndMentionsOfflineMode() throws {
        var config = testConfiguration(hub, cache: cache)
        config.endpoint = "http://127.0.0.1:1" // nothing listens on port 1
        let error = #expect(throws: HubError.self) { try HubDownloader(configuration: config).download(DownloadRequest(repo: "org/model")) }
        #expect(error?.description.contains("cannot reach http://127.0.0.1:1") == true)
        #expect(error?.description.contains("HF_HUB_OFFLINE=1") == true)
    }

    @Test func offlineModeAnswersFromTheCacheWithoutRequests() throws {
        hub.add("org/model", files: sampleRepo())
        let online = try downloader().download(DownloadRequest(repo: "org/model"))
        hub.clearLog()
        let offline = try downloader { $0.offline = true }.download(DownloadRequest(repo: "org/model"))
        #expect(offline == online)
        var byCommit = DownloadRequest(repo: "org/model")
        byCommit.revision = hub.repo("org/model").commit
        #expect(try downloader { $0.offline = true }.download(byCommit) == online)
        #expect(hub.requests.isEmpty)
        let error = #expect(throws: HubError.self) { try downloader { $0.offline = true }.download(DownloadRequest(repo: "org/other")) }
        #expect(error?.description.contains("HF_HUB_OFFLINE is set") == true)
    }

    @Test func includeAndExcludePatterns() throws {
        hub.add("org/model", files: sampleRepo())
        var request = DownloadRequest(repo: "org/model")
        request.include = ["*.json"]
        request.exclude = ["nested/*"]
        let snapshot = try downloader().download(request)
        #expect(Path.files(under: snapshot) == ["config.json", "tokenizer.json"])
        request.include = ["*.bin"]
        let error = #expect(throws: HubError.self) { try downloader().download(request) }
        #expect(error?.description.contains("no file of org/model matches --include *.bin") == true)
    }

    @Test func localDirectoryGetsFilesAndBookkeeping() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        var request = DownloadRequest(repo: "org/model")
        request.localDirectory = dir.file("local")
        let folder = try downloader().download(request)
        #expect(folder == dir.file("local"))
        for file in files where file.path != "README.md" {
            #expect(Path.read(Path.join(folder, file.path)) == file.content)
            let record = Path.read(Path.join(folder, ".cache/huggingface/download", file.path + ".metadata")).map { String(decoding: $0, as: UTF8.self) }
            #expect(record?.hasPrefix("\(hub.repo("org/model").commit)\n\(file.etag)\n") == true, "\(file.path)")
        }
        #expect(!Path.exists(cache)) // the cache is not touched
        hub.clearLog()
        _ = try downloader().download(request)
        #expect(hub.requests.map(\.path) == ["/api/models/org/model/revision/main"])
    }

    @Test func revisionsAndRepoIDsAreValidated() throws {
        for bad in ["", "a/b/c", "../x", "-a", "a--b", "a/b.", "a b"] {
            #expect(throws: HubError.invalidRepoID(bad)) { try downloader().download(DownloadRequest(repo: bad)) }
        }
        var request = DownloadRequest(repo: "org/model")
        for bad in ["", "../main", "refs/../x", "a\nb"] {
            request.revision = bad
            #expect(throws: HubError.invalidRevision(bad)) { try downloader().download(request) }
        }
    }
}
