/// Why a Hub operation failed, phrased for the person at the terminal.
public enum HubError: Error, Equatable, CustomStringConvertible {
    case invalidRepoID(String)
    case invalidRevision(String)
    case unsafePath(String)
    case noMatchingFiles(repo: String, include: [String], exclude: [String])
    case unauthorized(what: String, status: Int)
    case notFound(what: String, code: String?)
    case server(what: String, status: Int)
    case unreachable(endpoint: String, reason: String)
    case timedOut(what: String)
    case interrupted(what: String, reason: String)
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    case checksumMismatch(file: String, digest: String, expected: String, actual: String)
    case badResponse(what: String, reason: String)
    case offlineMissing(repo: String, revision: String, reason: String)
    case file(String)

    public var description: String {
        switch self {
        case .invalidRepoID(let id):
            "'\(id)' is not a repository id: expected NAME or ORG/NAME of letters, digits, '-', '_' and '.'"
        case .invalidRevision(let rev):
            "'\(rev)' is not a revision: expected a branch, tag or commit hash without control characters or '..'"
        case .unsafePath(let path):
            "the Hub listed a file named '\(path)', which would be written outside the destination; refusing it"
        case .noMatchingFiles(let repo, let include, let exclude):
            "no file of \(repo) matches --include \(include.joined(separator: " ")) " +
                (exclude.isEmpty ? "" : "and --exclude \(exclude.joined(separator: " "))")
        case .unauthorized(let what, let status):
            "\(what): access denied (HTTP \(status)). The repository may be gated or private: accept its terms on the Hub and set HF_TOKEN to a token that can read it"
        case .notFound(let what, let code):
            "\(what): not found (HTTP 404\(code.map { ", \($0)" } ?? "")). Check the repository id, the revision and the file name"
        case .server(let what, let status):
            "\(what): the server kept failing (HTTP \(status)) after retries"
        case .unreachable(let endpoint, let reason):
            "cannot reach \(endpoint) (\(reason)). Check the network, or set HF_HUB_OFFLINE=1 to use files already in the cache"
        case .timedOut(let what):
            "\(what): timed out after retries"
        case .interrupted(let what, let reason):
            "\(what): the connection kept dropping (\(reason)) after retries"
        case .sizeMismatch(let file, let expected, let actual):
            "\(file): downloaded \(actual) bytes but the Hub announced \(expected); the partial file was removed"
        case .checksumMismatch(let file, let digest, let expected, let actual):
            "\(file): \(digest) is \(actual) but the Hub's etag is \(expected); the download was removed"
        case .badResponse(let what, let reason):
            "\(what): unexpected response from the Hub (\(reason))"
        case .offlineMissing(let repo, let revision, let reason):
            "HF_HUB_OFFLINE is set and \(repo) at \(revision) is not in the cache (\(reason)); unset HF_HUB_OFFLINE to download it"
        case .file(let message):
            message
        }
    }

    /// A value from the server, quoted with control characters escaped and cut to 100 characters, so a
    /// hostile header cannot garble or flood the one-line error.
    static func quoted(_ value: String) -> String {
        value.count <= 100 ? String(reflecting: value) : String(reflecting: String(value.prefix(100))) + "…"
    }
}
