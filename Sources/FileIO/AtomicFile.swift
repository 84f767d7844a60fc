#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name beside its destination and published by renaming it there, so
/// readers see either nothing (or the old file) or the complete new one. Until `publish()`, the temporary
/// file is removed when the value is released, and if the process is stopped by SIGINT or SIGTERM.
public final class TemporaryFile {
    public let destination: String
    public let path: String
    public let sink: FileSink
    private var done = false
    private let cleanupSlot: Int?

    public init(destination: String) throws {
        self.destination = destination
        let dir = Path.directory(of: destination)
        // The name is registered for cleanup before the file exists, so a signal at any moment finds it.
        var attempt = 0
        while true {
            let candidate = "\(dir)/.\(Path.lastComponent(of: destination)).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            let slot = SignalCleanup.register(candidate)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                path = candidate
                sink = FileSink(fd: fd, path: candidate)
                cleanupSlot = slot
                return
            }
            let error = errno
            SignalCleanup.unregister(slot)
            attempt += 1
            guard error == EEXIST, attempt < 16 else {
                throw FileIOError(path: destination, operation: "create a temporary file in \(dir)", code: error)
            }
        }
    }

    /// Removes temporary files for `destination` left by processes that no longer run (killed before they
    /// could clean up: SIGKILL, power loss). Files of running processes are left alone.
    public static func removeAbandoned(besides destination: String) {
        let prefix = ".\(Path.lastComponent(of: destination)).tmp-"
        let dir = Path.directory(of: destination)
        for name in Path.names(in: dir) where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(Path.join(dir, name)) }
        }
    }

    /// Flushes the contents to disk and renames them over the destination. With `replacing` false an existing
    /// destination is kept and `FileIOError.exists` thrown: the check and the move are one step (a hard link,
    /// which fails when the name is taken), so a file that appeared while this one was written is not lost.
    public func publish(replacing: Bool = true) throws {
        try sink.sync()
        try sink.close()
        if replacing {
            guard rename(path, destination) == 0 else { throw FileIOError(path: destination, operation: "rename \(path) to") }
        } else {
            guard link(path, destination) == 0 else {
                let code = errno
                if code == EEXIST { throw FileIOError.exists(destination) }
                throw FileIOError(path: destination, operation: "link \(path) to", code: code)
            }
            unlink(path)
        }
        done = true
        SignalCleanup.unregister(cleanupSlot)
        Path.syncDirectory(Path.directory(of: destination))
    }

    /// Removes the temporary file.
    public func discard() {
        guard !done else { return }
        done = true
        try? sink.close()
        unlink(path)
        SignalCleanup.unregister(cleanupSlot)
    }

    deinit { discard() }
}

/// Writes a whole file atomically (see `TemporaryFile`).
public enum AtomicFile {
    /// Calls `body` with a sink for the contents, then publishes them at `path`.
    public static func write(to path: String, _ body: (FileSink) throws -> Void) throws {
        let file = try TemporaryFile(destination: path)
        do {
            try body(file.sink)
            try file.publish()
        } catch {
            file.discard()
            throw error
        }
    }

    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws {
        try write(to: path) { try $0.write(Array(bytes)) }
    }
}

/// A file being written: appends bytes, tracks the count.
public final class FileSink {
    let fd: Int32
    public let path: String
    public private(set) var bytesWritten: Int64 = 0
    private var closed = false

    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Opens `path` for appending (creating it if needed) and starts counting at its current size. Only a
    /// regular file is accepted: a symbolic link planted at `path` is not followed (it could point
    /// anywhere), and a FIFO or device is refused without blocking on it.
    public static func append(path: String) throws -> FileSink {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            let code = errno
            let detail = code == ELOOP ? "it is a symbolic link; expected a regular file" : nil
            throw FileIOError(path: path, operation: "open for writing", code: code, detail: detail)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let code = errno
            _ = posixClose(fd)
            throw FileIOError(path: path, operation: "open for writing", code: code, detail: "it is not a regular file")
        }
        // Back to blocking writes (O_NONBLOCK only served to open a FIFO without waiting).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let sink = FileSink(fd: fd, path: path)
        sink.bytesWritten = Int64(info.st_size)
        return sink
    }

    /// The size of the file itself (fstat), which other writers may have changed; `bytesWritten` only
    /// counts this sink's view.
    public func size() throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileIOError(path: path, operation: "stat") }
        return Int64(info.st_size)
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let n = posixWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "write")
            }
            offset += n
        }
        bytesWritten += Int64(buffer.count)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `bytes` at `offset` without moving the append position (headers filled in at the end).
    public func write(_ bytes: [UInt8], at offset: Int64) throws {
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else { throw FileIOError(path: path, operation: "write at \(offset)") }
    }

    /// Empties the file (a download that must start over).
    public func truncate() throws {
        guard ftruncate(fd, 0) == 0 else { throw FileIOError(path: path, operation: "truncate") }
        bytesWritten = 0
    }

    public func sync() throws {
        guard fsync(fd) == 0 else { throw FileIOError(path: path, operation: "fsync") }
    }

    public func close() throws {
        guard !closed else { return }
        closed = true
        guard posixClose(fd) == 0 else { throw FileIOError(path: path, operation: "close") }
    }

    deinit { if !closed { _ = posixClose(fd) } }
}

// The C functions, under names the methods above do not shadow.
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func posixClose(_ fd: Int32) -> Int32 { close(fd) }
