#if canImport(Glibc)
import Glibc
#endif

/// Whether a shared library may be loaded: loading runs its constructors, so the file and the folder that
/// holds it must be writable only by this user or root. A file another user can rewrite, or a folder where
/// another user can replace it, would let that user run code as this one.
enum LibraryTrust {
    /// Why `path` must not be loaded, or nil when it may be.
    static func refusal(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return "it cannot be resolved (\(String(cString: strerror(errno))))" }
        defer { free(resolved) }
        let file = String(cString: resolved)
        var info = stat()
        guard stat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return "\(file) is not a regular file" }
        if let why = unsafeOwnership(info, of: "the file \(file)") { return why }
        let folder = file.prefix(upTo: file.lastIndex(of: "/")!)
        let directory = folder.isEmpty ? "/" : String(folder)
        guard stat(directory, &info) == 0 else { return "its folder \(directory) cannot be read" }
        // A sticky folder (like /tmp) lets others create files but not replace this user's.
        if info.st_mode & S_ISVTX != 0, ownedByUs(info) || info.st_uid == 0 { return nil }
        return unsafeOwnership(info, of: "its folder \(directory)")
    }

    private static func ownedByUs(_ info: stat) -> Bool { info.st_uid == geteuid() }

    private static func unsafeOwnership(_ info: stat, of what: String) -> String? {
        if !ownedByUs(info) && info.st_uid != 0 { return "\(what) belongs to another user (uid \(info.st_uid))" }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return "\(what) can be written by other users (mode \(String(info.st_mode & 0o777, radix: 8)))"
        }
        return nil
    }
}
