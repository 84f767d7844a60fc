import FileIO

/// The cache layout huggingface_hub uses, so either tool reads what the other wrote:
///
///     {root}/models--{org}--{name}/blobs/{etag}              file contents, named by etag
///     {root}/models--{org}--{name}/refs/{revision}           the revision's commit hash (no newline)
///     {root}/models--{org}--{name}/snapshots/{commit}/{path} relative symlinks to ../../blobs/{etag}
struct HubCache {
    let root: String
    let repo: RepoID

    // The repository id is validated (RepoID); every other name below comes from the Hub or the user and
    // goes through Path.join(untrusted:), so it cannot climb out of its folder.
    var repoDirectory: String { Path.join(root, repo.cacheFolderName) }
    var blobsDirectory: String { Path.join(repoDirectory, "blobs") }
    func blob(_ etag: String) throws -> String { try Path.join(blobsDirectory, untrusted: etag) }
    func ref(_ revision: String) throws -> String { try Path.join(Path.join(repoDirectory, "refs"), untrusted: revision) }
    func snapshot(_ commit: String) throws -> String { try Path.join(Path.join(repoDirectory, "snapshots"), untrusted: commit) }
    func pointer(_ commit: String, _ path: String) throws -> String { try Path.join(snapshot(commit), untrusted: path) }
    /// huggingface_hub's lock for a blob: {root}/.locks/models--{org}--{name}/{etag}.lock.
    func lock(_ etag: String) throws -> String { try Path.join(Path.join(root, ".locks", repo.cacheFolderName), untrusted: etag + ".lock") }

    static func isCommitHash(_ revision: String) -> Bool {
        revision.count == 40 && revision.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The commit a revision names, from the cache alone: itself for a commit hash, else its ref file.
    func cachedCommit(_ revision: String) throws -> String? {
        if Self.isCommitHash(revision) { return revision }
        return Path.read(try ref(revision)).map { String(decoding: $0, as: UTF8.self) }.flatMap { Self.isCommitHash($0) ? $0 : nil }
    }

    /// Records that `revision` is `commit` (nothing to record when the revision is the commit itself).
    func writeRef(_ revision: String, commit: String) throws {
        guard revision != commit else { return }
        let path = try ref(revision)
        if try cachedCommit(revision) == commit { return }
        try Path.makeDirectories(Path.directory(of: path))
        try AtomicFile.write(Array(commit.utf8), to: path)
    }

    /// Whether the snapshot already has `path` and it resolves to a file.
    func hasFile(_ commit: String, _ path: String) throws -> Bool { Path.fileSize(try pointer(commit, path)) != nil }

    /// Points snapshots/{commit}/{path} at blobs/{etag} with a relative link.
    func link(_ commit: String, _ path: String, etag: String) throws {
        let link = try pointer(commit, path)
        try Path.makeDirectories(Path.directory(of: link))
        try Path.symlink(Path.relative(Path.absolute(try blob(etag)), from: Path.absolute(Path.directory(of: link))), at: link)
    }
}

/// Which server paths may be written locally: relative, no '..', no backslash or NUL, no empty part.
enum RepoPath {
    static func isSafe(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.contains("\\") && !path.contains("\0")
            && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != ".." && $0 != "." }
    }

    /// fnmatch-style patterns as huggingface_hub applies them: `*` also matches '/'.
    static func matches(_ path: String, include: [String], exclude: [String]) -> Bool {
        (include.isEmpty || include.contains { Glob.match($0, path) }) && !exclude.contains { Glob.match($0, path) }
    }
}

/// Shell-style wildcards (`*`, `?`, `[...]`) over whole strings, as Python's fnmatch.fnmatchcase.
enum Glob {
    static func match(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        // Iterative matcher with backtracking to the last '*'.
        var pi = 0, ti = 0, star: Int?, starText = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                star = pi
                starText = ti
                pi += 1
            } else if pi < p.count, let (matched, next) = single(p, pi, t[ti]), matched {
                pi = next
                ti += 1
            } else if let s = star {
                pi = s + 1
                starText += 1
                ti = starText
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches one character at pattern position `pi` ('?', a class, or a literal): whether it matched
    /// and where the pattern continues; nil for '*'.
    private static func single(_ p: [Unicode.Scalar], _ pi: Int, _ c: Unicode.Scalar) -> (Bool, Int)? {
        switch p[pi] {
        case "?": return (true, pi + 1)
        case "[":
            var i = pi + 1
            var negate = false
            if i < p.count, p[i] == "!" {
                negate = true
                i += 1
            }
            var found = false
            var first = true
            while i < p.count, p[i] != "]" || first {
                first = false
                if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
                    if p[i] <= c && c <= p[i + 2] { found = true }
                    i += 3
                } else {
                    if p[i] == c { found = true }
                    i += 1
                }
            }
            guard i < p.count else { return (p[pi] == c, pi + 1) } // unterminated '[': a literal
            return (found != negate, i + 1)
        default:
            return (p[pi] == c, pi + 1)
        }
    }
}
