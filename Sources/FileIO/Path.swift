#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX path and directory helpers.
public enum Path {
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public static func join(_ parts: String...) -> String { join(parts) }

    public static func join(_ parts: [String]) -> String {
        var result = ""
        for part in parts where !part.isEmpty {
            if result.isEmpty || part.hasPrefix("/") { result = part } else if result.hasSuffix("/") { result += part } else { result += "/" + part }
        }
        return result
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Last modification time in seconds since 1970 (following links), nil when it does not exist.
    public static func modificationTime(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Size of a regular file (following links), nil when it does not exist.
    public static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Creates `path` and its missing parents.
    public static func makeDirectories(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = directory(of: path)
        if parent != path, !parent.isEmpty, parent != "." { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw FileIOError(path: path, operation: "mkdir") }
    }

    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Reads a whole (small) file; nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { out += chunk[0..<n] }
            if n < chunk.count { break }
        }
        return ferror(file) == 0 ? out : nil
    }

    /// Makes `link` a symbolic link to `target`, replacing whatever is there in one step: the link is made
    /// under a temporary name and renamed into place, so two processes linking the same file at once (two
    /// downloads of one snapshot) both succeed.
    public static func symlink(_ target: String, at link: String) throws {
        let temporary = "\(directory(of: link))/.\(lastComponent(of: link)).link-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard posixSymlink(target, temporary) == 0 else { throw FileIOError(path: link, operation: "symlink to \(target)") }
        guard rename(temporary, link) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileIOError(path: link, operation: "symlink to \(target)", code: code)
        }
    }

    /// The target of a symbolic link, nil when `path` is not one.
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n >= 0 else { return nil }
        return string(buffer[0..<n])
    }

    /// `target` relative to directory `from`, both absolute and normalised (no "." or ".." components).
    public static func relative(_ target: String, from: String) -> String {
        let t = target.split(separator: "/"), f = from.split(separator: "/")
        var common = 0
        while common < t.count, common < f.count, t[common] == f[common] { common += 1 }
        let up = Array(repeating: "..", count: f.count - common)
        return (up + t[common...].map(String.init)).joined(separator: "/")
    }

    /// Text of C characters (without the terminating NUL).
    static func string(_ chars: some Collection<CChar>) -> String {
        String(decoding: chars.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Flushes a directory's entries (after a rename into it).
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// An absolute path for `path` against the working directory (no normalisation of "..").
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: 4097)
        guard getcwd(&buffer, 4096) != nil else { return path }
        return join(string(buffer.prefix { $0 != 0 }), path)
    }

    /// The names in a directory (without "." and ".."), unsorted; empty when it cannot be read.
    public static func names(in dir: String) -> [String] {
        guard let handle = opendir(dir) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Files (not directories) below `root`, as paths relative to it, following symbolic links to files.
    public static func files(under root: String) -> [String] {
        var out: [String] = []
        func walk(_ relative: String) {
            for name in names(in: relative.isEmpty ? root : join(root, relative)) {
                let child = relative.isEmpty ? name : relative + "/" + name
                if isDirectory(join(root, child)) { walk(child) } else if exists(join(root, child)) { out.append(child) }
            }
        }
        walk("")
        return out.sorted()
    }
}

private func posixSymlink(_ target: String, _ link: String) -> Int32 { symlink(target, link) }
