import Foundation
@testable import Hub

/// The parts of the Hugging Face Hub the downloader talks to, served from loopback: the revision API (and
/// the tree API huggingface_hub uses), `resolve` URLs that answer small files themselves and redirect LFS
/// files to a second host ("the CDN", 127.0.0.2), private repositories, and scripted faults.
final class FakeHub: @unchecked Sendable {
    struct File {
        let path: String
        let content: [UInt8]
        let lfs: Bool
        let sha256: String
        let gitBlobSHA1: String

        init(path: String, content: [UInt8], lfs: Bool) {
            self.path = path
            self.content = content
            self.lfs = lfs
            sha256 = sha256Hex(content)
            gitBlobSHA1 = gitBlobSHA1Hex(content)
        }

        /// As on the Hub: small files carry their git blob SHA-1 as etag, LFS files their SHA-256.
        var etag: String { lfs ? sha256 : gitBlobSHA1 }
    }

    struct Repo {
        var commit: String
        var files: [File]
        var isPrivate = false
        var branches: [String: String]
    }

    struct Logged {
        let server: String // "hub" or "cdn"
        let method: String
        let path: String
        let authorization: String?
        let range: String?
    }

    let token = "hf_secret_test_token"
    private(set) var hub: LoopbackServer!
    private(set) var cdn: LoopbackServer!
    private let lock = NSLock()
    private var repos: [String: Repo] = [:]
    private var logged: [Logged] = []
    private var served: [String: Int] = [:]

    // Faults, by repository path of the file; each fires on content GETs (of the file itself or its CDN copy).
    var failures: [String: [Int]] = [:]      // statuses answered, in order, before the content is served
    var retryAfter = "1"
    var dropAfter: [String: Int] = [:]       // first GET sends this many bytes of the file, then drops the connection
    var stallAfter: [String: Int] = [:]      // first GET sends this many bytes, then stalls for 8 s
    var corrupt: Set<String> = []            // content served with its first byte flipped
    var ignoreRange: Set<String> = []        // range requests answered 200 with the whole file
    var refuseRange: Set<String> = []        // first range request answered 416
    var drip: [String: Double] = [:]         // seconds to wait before each 16 KiB chunk of the file
    var contentRedirect: [String: String] = [:] // content GETs answered 302 to this Location

    // A hostile mirror or proxy, by repository path: what `resolve` answers (HEAD and GET) instead of the truth.
    var etagHeader: [String: String] = [:]   // the ETag (X-Linked-Etag for LFS files), sent as is
    var commitHeader: [String: String] = [:] // X-Repo-Commit
    var resolveRedirect: [String: String] = [:] // 302 to this Location

    init() throws {
        hub = try LoopbackServer(host: "127.0.0.1") { [unowned self] in self.handleHub($0, $1) }
        cdn = try LoopbackServer(host: "127.0.0.2") { [unowned self] in self.handleCDN($0, $1) }
    }

    deinit {
        hub.stop()
        cdn.stop()
    }

    var endpoint: String { hub.url }

    func add(_ id: String, files: [File], isPrivate: Bool = false, commit: String = randomHex(40)) {
        lock.withLock { repos[id] = Repo(commit: commit, files: files, isPrivate: isPrivate, branches: ["main": commit]) }
    }

    func repo(_ id: String) -> Repo { lock.withLock { repos[id]! } }
    var requests: [Logged] { lock.withLock { logged } }
    func bytesServed(_ path: String) -> Int { lock.withLock { served[path] ?? 0 } }
    func clearLog() { lock.withLock { logged = [] } }

    // ---- Handlers ------------------------------------------------------------------------------------

    private func handleHub(_ request: LoopbackServer.Request, _ connection: LoopbackServer.Connection) {
        log("hub", request)
        let parts = request.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        if parts.count >= 6, parts[0] == "api", parts[1] == "models" {
            return api(repoID: parts[2] + "/" + parts[3], kind: parts[4], revision: parts[5...].joined(separator: "/"), request, connection)
        }
        guard parts.count >= 5, parts[2] == "resolve" else { return connection.respond(404) }
        let id = parts[0] + "/" + parts[1], path = parts[4...].joined(separator: "/")
        guard let (repo, commit) = lookUp(id, revision: parts[3], request, connection) else { return }
        guard let file = repo.files.first(where: { $0.path == path }) else {
            return connection.respond(404, [("X-Error-Code", "EntryNotFound")], head: request.method == "HEAD")
        }
        let (etag, repoCommit, redirect) = lock.withLock { (etagHeader[path] ?? "\"\(file.etag)\"", commitHeader[path] ?? commit, resolveRedirect[path]) }
        let common = [("X-Repo-Commit", repoCommit)]
        if let redirect { return connection.respond(302, common + [("Location", redirect)], head: request.method == "HEAD") }
        if file.lfs {
            return connection.respond(302, common + [("Location", "\(cdn.url)/cdn/\(file.sha256)"), ("X-Linked-Etag", etag),
                                                     ("X-Linked-Size", "\(file.content.count)"), ("ETag", "\"pointer-etag\"")],
                                      head: request.method == "HEAD")
        }
        if request.method == "HEAD" {
            return connection.respond(200, common + [("ETag", etag), ("Content-Length", "\(file.content.count)")], head: true)
        }
        serve(file, request, connection, extra: common + [("ETag", etag)])
    }

    private func handleCDN(_ request: LoopbackServer.Request, _ connection: LoopbackServer.Connection) {
        log("cdn", request)
        let sha = String(request.path.split(separator: "/").last ?? "")
        let file = lock.withLock { repos.values.flatMap(\.files).first { $0.lfs && $0.sha256 == sha } }
        guard let file else { return connection.respond(404) }
        serve(file, request, connection, extra: [])
    }

    private func api(repoID: String, kind: String, revision: String, _ request: LoopbackServer.Request, _ connection: LoopbackServer.Connection) {
        guard let (repo, commit) = lookUp(repoID, revision: revision, request, connection) else { return }
        let json: Any
        if kind == "revision" {
            json = ["id": repoID, "sha": commit, "siblings": repo.files.map { ["rfilename": $0.path] }]
        } else if kind == "tree" {
            json = repo.files.map { file -> [String: Any] in
                var entry: [String: Any] = ["type": "file", "oid": file.gitBlobSHA1, "size": file.content.count, "path": file.path]
                if file.lfs { entry["lfs"] = ["oid": file.sha256, "size": file.content.count, "pointerSize": 134] }
                return entry
            }
        } else {
            return connection.respond(404)
        }
        connection.respond(200, [("Content-Type", "application/json")], body: Array(try! JSONSerialization.data(withJSONObject: json)))
    }

    /// The repository and commit a request names, or an error response (404 / 401) and nil.
    private func lookUp(_ id: String, revision: String, _ request: LoopbackServer.Request,
                        _ connection: LoopbackServer.Connection) -> (Repo, String)? {
        let head = request.method == "HEAD"
        guard let repo = lock.withLock({ repos[id] }) else {
            connection.respond(404, [("X-Error-Code", "RepoNotFound")], head: head)
            return nil
        }
        if repo.isPrivate, request.headers["authorization"] != "Bearer \(token)" {
            connection.respond(401, [("X-Error-Code", "GatedRepo")], head: head)
            return nil
        }
        guard let commit = revision == repo.commit ? repo.commit : repo.branches[revision] else {
            connection.respond(404, [("X-Error-Code", "RevisionNotFound")], head: head)
            return nil
        }
        return (repo, commit)
    }

    /// File content with Range support and the scripted faults.
    private func serve(_ file: File, _ request: LoopbackServer.Request, _ connection: LoopbackServer.Connection, extra: [(String, String)]) {
        let path = file.path
        if let status = lock.withLock({ failures[path]?.isEmpty == false ? failures[path]!.removeFirst() : nil }) {
            return connection.respond(status, status == 429 ? [("Retry-After", retryAfter)] : [], body: Array("error".utf8))
        }
        if let location = lock.withLock({ contentRedirect[path] }) { return connection.respond(302, [("Location", location)]) }
        let delay = lock.withLock { drip[path] }
        var body = file.content
        if corrupt.contains(path), !body.isEmpty { body[0] ^= 0xff }
        var start = 0, status = 200
        var headers = extra
        if let range = request.headers["range"], !ignoreRange.contains(path) {
            if lock.withLock({ refuseRange.remove(path) }) != nil { return connection.respond(416) }
            let offset = Int(range.dropFirst("bytes=".count).split(separator: "-").first ?? "") ?? 0
            guard offset < body.count else { return connection.respond(416) }
            start = offset
            status = 206
            headers.append(("Content-Range", "bytes \(offset)-\(body.count - 1)/\(body.count)"))
        }
        headers.append(("Content-Length", "\(body.count - start)"))
        let drop = lock.withLock { dropAfter.removeValue(forKey: path) }
        let stall = lock.withLock { stallAfter.removeValue(forKey: path) }
        var text = "HTTP/1.1 \(status) \(LoopbackServer.reason(status))\r\n"
        for (name, value) in headers + [("Connection", "close")] { text += "\(name): \(value)\r\n" }
        guard connection.write(Array((text + "\r\n").utf8)) else { return }
        let stop = min(body.count, drop ?? stall ?? body.count)
        var position = start
        while position < stop {
            let end = min(stop, position + 16384)
            if let delay { Thread.sleep(forTimeInterval: delay) }
            guard connection.write(Array(body[position..<end])) else { return }
            lock.withLock { served[path, default: 0] += end - position }
            position = end
        }
        if stall != nil { Thread.sleep(forTimeInterval: 8) }
        if drop != nil || stall != nil { return connection.close() }
    }

    private func log(_ server: String, _ request: LoopbackServer.Request) {
        lock.withLock {
            logged.append(Logged(server: server, method: request.method, path: request.path,
                                 authorization: request.headers["authorization"], range: request.headers["range"]))
        }
    }
}

func randomHex(_ count: Int) -> String { String((0..<count).map { _ in "0123456789abcdef".randomElement()! }) }

/// SHA-256 by coreutils' sha256sum, independent of the code under test.
func sha256Hex(_ bytes: [UInt8]) -> String { digestHex("sha256sum", bytes, length: 64) }

private func digestHex(_ tool: String, _ bytes: [UInt8], length: Int) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try! process.run()
    input.fileHandleForWriting.write(Data(bytes))
    try! input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(length))
}

/// The git blob hash ("blob <size>\0" + content, SHA-1) by coreutils' sha1sum.
func gitBlobSHA1Hex(_ bytes: [UInt8]) -> String { digestHex("sha1sum", Array("blob \(bytes.count)\0".utf8) + bytes, length: 40) }

func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }
