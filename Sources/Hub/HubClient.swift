import Foundation

/// A repository on the Hub: NAME or ORG/NAME.
public struct RepoID: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    /// Validates like huggingface_hub: one or two parts of letters, digits, '-', '_' and '.', at most 96
    /// characters each, no '--' or '..', not starting or ending with '-' or '.'.
    public init(_ value: String) throws {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let valid = (1...2).contains(parts.count) && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 96 && part.allSatisfy(allowed.contains) && !part.contains("--") && !part.contains("..")
                && !part.hasPrefix("-") && !part.hasPrefix(".") && !part.hasSuffix("-") && !part.hasSuffix(".")
        }
        guard valid else { throw HubError.invalidRepoID(value) }
        self.value = value
    }

    public var description: String { value }
    /// The cache folder name huggingface_hub uses: models--ORG--NAME.
    public var cacheFolderName: String { (["models"] + value.split(separator: "/").map(String.init)).joined(separator: "--") }
}

/// What `HEAD .../resolve/REV/PATH` says about a file.
struct FileMetadata: Equatable {
    let commit: String?
    /// Blob name in the cache: the LFS SHA-256 or the git blob hash, without quotes or W/.
    let etag: String
    let size: Int64
    /// Where to GET the content (the CDN for LFS files).
    let location: String

    /// How the content is checked against the etag: LFS files by SHA-256 (64 hexadecimal digits), other
    /// files by their git blob SHA-1 (40); nil for an etag that is neither.
    var digest: Digest? { Digest(etag: etag) }

    enum Digest: String {
        case sha256 = "SHA-256"
        case gitBlobSHA1 = "git blob SHA-1"

        init?(etag: String) {
            guard etag.allSatisfy(\.isHexDigit) else { return nil }
            switch etag.count {
            case 64: self = .sha256
            case 40: self = .gitBlobSHA1
            default: return nil
            }
        }
    }
}

/// The Hub's HTTP API with huggingface_hub's semantics: retries with backoff on timeouts, dropped
/// connections, 429 and 5xx; the token only ever sent to the endpoint's origin; HTTP errors turned into
/// `HubError`s.
final class HubClient: @unchecked Sendable {
    let config: HubConfiguration
    let http: HTTPClient

    init(config: HubConfiguration) {
        self.config = config
        http = HTTPClient(connectTimeout: config.connectTimeout, stallTimeout: config.stallTimeout)
    }

    struct RepoInfo: Decodable {
        struct Sibling: Decodable { let rfilename: String }
        let sha: String
        let siblings: [Sibling]
    }

    /// `GET {endpoint}/api/models/{repo}/revision/{revision}`: the commit and the file list.
    func repoInfo(_ repo: RepoID, revision: String) throws -> RepoInfo {
        let url = "\(config.endpoint)/api/models/\(repo)/revision/\(URLParts.encodeComponent(revision))"
        let what = "\(repo) at revision \(revision)"
        let (response, body) = try withRetries(what) { try self.fetch(url, what: what) }
        try check(response, what: what)
        do { return try JSONDecoder().decode(RepoInfo.self, from: Data(body)) } catch {
            throw HubError.badResponse(what: what, reason: "the revision info is not JSON with sha and siblings")
        }
    }

    func resolveURL(_ repo: RepoID, revision: String, path: String) -> String {
        "\(config.endpoint)/\(repo)/resolve/\(URLParts.encodeComponent(revision))/\(URLParts.encodePath(path))"
    }

    /// HEAD on the resolve URL, following relative redirects only (a renamed repository), like
    /// huggingface_hub; an absolute redirect points at the content (the CDN) and ends the walk.
    func metadata(_ repo: RepoID, revision: String, path: String) throws -> FileMetadata {
        let what = "\(repo)/\(path)"
        return try withRetries(what) {
            var url = self.resolveURL(repo, revision: revision, path: path)
            for _ in 0..<10 {
                let response = try self.http.send(HTTPRequest(method: "HEAD", url: url, headers: self.headers(for: url, extra: [("Accept-Encoding", "identity")])))
                let target = try Self.redirectTarget(response, from: url, what: what)
                if let target, URLParts.isRelative(response[header: "location"]!) {
                    url = target
                    continue
                }
                if target == nil { try self.check(response, what: what) }
                // The etag names the blob file in the cache and the commit its snapshot folder: both must
                // be hashes, never a path a mirror or proxy chose.
                guard let etag = Self.normalizeEtag(response[header: "x-linked-etag"] ?? response[header: "etag"]) else {
                    throw HubError.badResponse(what: what, reason: "no ETag")
                }
                guard FileMetadata.Digest(etag: etag) != nil else {
                    throw HubError.badResponse(what: what, reason: "ETag \(HubError.quoted(etag)) is not a hash; expected 40 hexadecimal digits (git blob SHA-1) or 64 (LFS SHA-256)")
                }
                let commit = response[header: "x-repo-commit"]
                if let commit, !HubCache.isCommitHash(commit) {
                    throw HubError.badResponse(what: what, reason: "X-Repo-Commit \(HubError.quoted(commit)) is not a commit hash; expected 40 lowercase hexadecimal digits")
                }
                let sizeText = response[header: "x-linked-size"] ?? (target != nil ? nil : response[header: "content-length"])
                guard let size = sizeText.flatMap(Int64.init) else { throw HubError.badResponse(what: what, reason: "no file size") }
                return FileMetadata(commit: commit, etag: etag, size: size, location: target ?? url)
            }
            throw HubError.badResponse(what: what, reason: "too many redirects")
        }
    }

    /// Where a redirect points (resolved against `url`), nil for a response that is not a redirect. Only
    /// http and https are followed: a `file:` or other location is refused, whoever sent it.
    static func redirectTarget(_ response: HTTPResponse, from url: String, what: String) throws -> String? {
        guard response.isRedirect, let location = response[header: "location"] else { return nil }
        let target = URLParts.resolve(location, against: url)
        guard URLParts.origin(target) != nil else {
            throw HubError.badResponse(what: what, reason: "redirect to \(HubError.quoted(location)), which is not an http or https URL")
        }
        return target
    }

    static func normalizeEtag(_ etag: String?) -> String? {
        guard var value = etag?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.hasPrefix("W/") { value.removeFirst(2) }
        value = value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return value.isEmpty ? nil : value
    }

    /// Request headers for `url`: the token only when `url` is on the endpoint's origin.
    func headers(for url: String, extra: [(String, String)] = []) -> [(String, String)] {
        var headers = extra
        if let token = config.token, URLParts.origin(url) == config.endpointOrigin {
            headers.append(("Authorization", "Bearer \(token)"))
        }
        return headers
    }

    /// GET of a small body (JSON), with the response.
    private func fetch(_ url: String, what: String) throws -> (HTTPResponse, [UInt8]) {
        var body: [UInt8] = []
        let response = try http.send(HTTPRequest(url: url, headers: headers(for: url))) { _, chunk in
            body += chunk
            if body.count > 64 << 20 { throw HubError.badResponse(what: what, reason: "response larger than 64 MiB") }
        }
        return (response, body)
    }

    // ---- Errors and retries ----------------------------------------------------------------------------

    /// A failure worth another attempt, after at least `delay` seconds.
    struct Retry: Error {
        let delay: Double?
        let final: HubError
    }

    /// Throws the `HubError` (or `Retry`) for an unsuccessful response; returns for 2xx.
    func check(_ response: HTTPResponse, what: String) throws {
        switch response.status {
        case 200..<300: return
        case 401, 403: throw HubError.unauthorized(what: what, status: response.status)
        case 404: throw HubError.notFound(what: what, code: response[header: "x-error-code"])
        case 429: throw Retry(delay: response[header: "retry-after"].flatMap(Double.init), final: .server(what: what, status: 429))
        case 500..<600: throw Retry(delay: nil, final: .server(what: what, status: response.status))
        default: throw HubError.badResponse(what: what, reason: "HTTP \(response.status)")
        }
    }

    /// Runs `body`, retrying `Retry`s and transport errors that may pass (timeouts, dropped connections)
    /// with exponential backoff; a host that cannot be reached fails at once.
    func withRetries<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var attempt = 1
        while true {
            let final: HubError
            let delay: Double?
            do {
                return try body()
            } catch let retry as Retry {
                (final, delay) = (retry.final, retry.delay)
            } catch let error as TransportError {
                switch error.kind {
                case .cannotConnect: throw HubError.unreachable(endpoint: config.endpoint, reason: error.message)
                case .timedOut: (final, delay) = (.timedOut(what: what), nil)
                case .interrupted: (final, delay) = (.interrupted(what: what, reason: error.message), nil)
                case .other: throw HubError.badResponse(what: what, reason: error.message)
                }
            }
            guard attempt < config.maxAttempts else { throw final }
            let backoff = min(config.retryMaxDelay, config.retryBaseDelay * pow(2, Double(attempt - 1)))
            Thread.sleep(forTimeInterval: min(config.retryMaxDelay, max(delay ?? 0, backoff)))
            attempt += 1
        }
    }
}
