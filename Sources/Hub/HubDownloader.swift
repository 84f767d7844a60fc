import FileIO
import Foundation

/// What to download: a repository at a revision, filtered by glob patterns, into the cache or a folder.
public struct DownloadRequest: Sendable {
    public static let defaultInclude = ["*.safetensors", "*.json", "tokenizer*", "*.jinja", "*.model"]

    public var repo: String
    public var revision = "main"
    public var include = DownloadRequest.defaultInclude
    public var exclude: [String] = []
    /// Overrides the configuration's cache directory.
    public var cacheDirectory: String?
    /// Download into this folder (with huggingface_hub's `.cache/huggingface` bookkeeping) instead of the cache.
    public var localDirectory: String?

    public init(repo: String) { self.repo = repo }
}

/// `rsr download`: fetches a repository snapshot the way huggingface_hub's snapshot_download does, sharing
/// its cache. Only verified blobs are linked into a snapshot, so an interrupted run leaves no partial file
/// there; the next run resumes the `.incomplete` blob.
public final class HubDownloader: Sendable {
    public let config: HubConfiguration
    let client: HubClient

    public init(configuration: HubConfiguration) {
        config = configuration
        client = HubClient(config: configuration)
    }

    /// Downloads what `request` names and returns the snapshot directory (or the local directory).
    public func download(_ request: DownloadRequest, progress: DownloadProgress? = nil) throws -> String {
        let repo = try RepoID(request.repo)
        try Self.validate(revision: request.revision)
        let progress = progress ?? DownloadProgress(enabled: false)
        if let local = request.localDirectory {
            return try downloadToFolder(repo, request, folder: Path.absolute(local), progress: progress)
        }
        let cache = HubCache(root: request.cacheDirectory ?? config.cacheDirectory, repo: repo)
        if config.offline { return try cachedSnapshot(cache, request) }

        let (commit, paths) = try listFiles(repo, request)
        let missing = try paths.filter { try !cache.hasFile(commit, $0) }
        let metadata = try fetchMetadata(repo, commit: commit, paths: missing)

        // Blobs already in the cache (another revision, an interrupted run) are not fetched again; a blob
        // shared by several paths is fetched once.
        var fetch: [String: FileMetadata] = [:]
        for path in missing {
            let meta = metadata[path]!
            if Path.fileSize(try cache.blob(meta.etag)) != meta.size { fetch[meta.etag] = meta }
        }
        if !fetch.isEmpty { try Path.makeDirectories(cache.blobsDirectory) }
        progress.begin(files: fetch.count, bytes: fetch.values.reduce(0) { $0 + $1.size })
        try concurrently(Array(fetch.values), width: config.concurrentDownloads) { meta in
            let path = missing.first { metadata[$0]!.etag == meta.etag }!
            let blob = try cache.blob(meta.etag)
            // Another download of this blob (another process, another thread) would append to the same
            // .incomplete file: one at a time, and whoever comes second finds the blob done.
            try FileLock.withLock(try cache.lock(meta.etag)) {
                if Path.fileSize(blob) == meta.size { return progress.add(meta.size) }
                let incomplete = blob + ".incomplete"
                try self.client.download(meta, name: "\(repo)/\(path)", to: incomplete, progress: progress.add)
                guard rename(incomplete, blob) == 0 else { throw FileIOError(path: blob, operation: "rename into") }
            }
        }
        progress.finish()
        for path in missing { try cache.link(commit, path, etag: metadata[path]!.etag) }
        try cache.writeRef(request.revision, commit: commit)
        return try cache.snapshot(commit)
    }

    /// Revisions become file names under refs/: no control characters, no '..' or empty parts.
    static func validate(revision: String) throws {
        let parts = revision.split(separator: "/", omittingEmptySubsequences: false)
        guard !revision.isEmpty, revision.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0 != "\\" }),
              parts.allSatisfy({ !$0.isEmpty && $0 != ".." && $0 != "." }) else {
            throw HubError.invalidRevision(revision)
        }
    }

    /// The commit of the revision and the repository's files that the patterns select. Every path the
    /// Hub lists is checked, selected or not: a listing with an unsafe path is refused as a whole.
    private func listFiles(_ repo: RepoID, _ request: DownloadRequest) throws -> (String, [String]) {
        let info = try client.repoInfo(repo, revision: request.revision)
        guard HubCache.isCommitHash(info.sha) else { throw HubError.badResponse(what: "\(repo)", reason: "sha '\(info.sha)' is not a commit hash") }
        let all = info.siblings.map(\.rfilename)
        if let unsafe = all.first(where: { !RepoPath.isSafe($0) }) { throw HubError.unsafePath(unsafe) }
        let paths = all.filter { RepoPath.matches($0, include: request.include, exclude: request.exclude) }
        guard !paths.isEmpty else { throw HubError.noMatchingFiles(repo: repo.value, include: request.include, exclude: request.exclude) }
        return (info.sha, paths)
    }

    private func fetchMetadata(_ repo: RepoID, commit: String, paths: [String]) throws -> [String: FileMetadata] {
        let results = LockedDictionary<String, FileMetadata>()
        try concurrently(paths, width: config.concurrentDownloads) { path in
            results[path] = try self.client.metadata(repo, revision: commit, path: path)
        }
        return results.snapshot
    }

    /// HF_HUB_OFFLINE: the snapshot the cache has for the revision, or a clear error.
    private func cachedSnapshot(_ cache: HubCache, _ request: DownloadRequest) throws -> String {
        guard let commit = try cache.cachedCommit(request.revision) else {
            throw HubError.offlineMissing(repo: cache.repo.value, revision: request.revision, reason: "no \(try cache.ref(request.revision))")
        }
        let snapshot = try cache.snapshot(commit)
        guard Path.isDirectory(snapshot) else {
            throw HubError.offlineMissing(repo: cache.repo.value, revision: request.revision, reason: "no \(snapshot)")
        }
        return snapshot
    }

    // ---- --local-dir ---------------------------------------------------------------------------------

    /// Downloads into `folder` as huggingface_hub does with local_dir: files at their repository paths,
    /// bookkeeping in folder/.cache/huggingface/download/{path}.metadata (commit, etag, time).
    private func downloadToFolder(_ repo: RepoID, _ request: DownloadRequest, folder: String, progress: DownloadProgress) throws -> String {
        if config.offline {
            guard !Path.files(under: folder).isEmpty else {
                throw HubError.offlineMissing(repo: repo.value, revision: request.revision, reason: "\(folder) is empty or missing")
            }
            return folder
        }
        let (commit, paths) = try listFiles(repo, request)
        let local = LocalFolder(root: folder, commit: commit)
        let stale = try paths.filter { try local.recorded($0)?.commit != commit }
        let metadata = try fetchMetadata(repo, commit: commit, paths: stale)
        var fetch: [String] = []
        for path in stale {
            if try local.recorded(path)?.etag == metadata[path]!.etag { try local.record(path, etag: metadata[path]!.etag) } else { fetch.append(path) }
        }
        progress.begin(files: fetch.count, bytes: fetch.reduce(0) { $0 + metadata[$1]!.size })
        try concurrently(fetch, width: config.concurrentDownloads) { path in
            let meta = metadata[path]!
            let incomplete = try local.incomplete(path, etag: meta.etag)
            let destination = try Path.join(folder, untrusted: path)
            try Path.makeDirectories(Path.directory(of: incomplete))
            try Path.makeDirectories(Path.directory(of: destination))
            // As in the cache: one download of a file at a time; the second finds it recorded.
            try FileLock.withLock(try local.lock(path)) {
                if try local.recorded(path)?.etag == meta.etag {
                    progress.add(meta.size)
                    return try local.record(path, etag: meta.etag)
                }
                try self.client.download(meta, name: "\(repo)/\(path)", to: incomplete, progress: progress.add)
                guard rename(incomplete, destination) == 0 else { throw FileIOError(path: destination, operation: "rename into") }
                try local.record(path, etag: meta.etag)
            }
        }
        progress.finish()
        return folder
    }
}

/// huggingface_hub's bookkeeping in a local folder: folder/.cache/huggingface/download/{path}.metadata
/// holds the commit, the etag and the time the file was written.
struct LocalFolder: Sendable {
    let root: String
    let commit: String

    var bookkeeping: String { Path.join(root, ".cache", "huggingface", "download") }
    func metadataPath(_ path: String) throws -> String { try Path.join(bookkeeping, untrusted: path + ".metadata") }
    func incomplete(_ path: String, etag: String) throws -> String { try Path.join(bookkeeping, untrusted: "\(path).\(etag).incomplete") }
    /// huggingface_hub's lock for a file of a local folder: {bookkeeping}/{path}.lock.
    func lock(_ path: String) throws -> String { try Path.join(bookkeeping, untrusted: path + ".lock") }

    /// The commit and etag recorded for a file that exists.
    func recorded(_ path: String) throws -> (commit: String, etag: String)? {
        guard Path.exists(try Path.join(root, untrusted: path)), let bytes = Path.read(try metadataPath(path)) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        return lines.count >= 2 ? (lines[0], lines[1]) : nil
    }

    func record(_ path: String, etag: String) throws {
        let metadataPath = try metadataPath(path)
        try Path.makeDirectories(Path.directory(of: metadataPath))
        try AtomicFile.write(Array("\(commit)\n\(etag)\n\(Date().timeIntervalSince1970)\n".utf8), to: metadataPath)
    }
}

/// Runs `body` on each item with up to `width` threads; the first error stops new items and is rethrown.
func concurrently<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) throws -> Void) throws {
    guard !items.isEmpty else { return }
    let state = ConcurrentState()
    let group = DispatchGroup()
    for _ in 0..<max(1, min(width, items.count)) {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            while let index = state.next(count: items.count) {
                do { try body(items[index]) } catch { state.fail(error) }
            }
        }
    }
    group.wait()
    if let error = state.error { throw error }
}

private final class ConcurrentState: @unchecked Sendable {
    private let lock = NSLock()
    private var index = 0
    private(set) var error: Error?

    func next(count: Int) -> Int? {
        lock.withLock {
            guard error == nil, index < count else { return nil }
            defer { index += 1 }
            return index
        }
    }

    func fail(_ error: Error) {
        lock.withLock { if self.error == nil { self.error = error } }
    }
}

final class LockedDictionary<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Key: Value] = [:]

    subscript(key: Key) -> Value? {
        get { lock.withLock { storage[key] } }
        set { lock.withLock { storage[key] = newValue } }
    }

    var snapshot: [Key: Value] { lock.withLock { storage } }
}
