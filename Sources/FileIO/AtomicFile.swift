#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old contents or the complete new ones: the bytes go to a
/// temporary file beside the destination, are flushed to disk, and the temporary file is renamed over the
/// destination. On any error (or if the writer throws) the temporary file is removed.
public enum AtomicFile {
    /// Calls `body` with a sink for the contents, then publishes them at `path`.
    public static func write(to path: String, _ body: (FileSink) throws -> Void) throws {
        let dir = Path.directory(of: path)
        var template = Array("\(dir)/.\(Path.lastComponent(of: path)).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileIOError(path: path, operation: "create a temporary file in \(dir)") }
        let tmp = Path.string(template.dropLast())
        var published = false
        defer {
            if !published { unlink(tmp) }
        }
        let sink = FileSink(fd: fd, path: tmp)
        do {
            try body(sink)
            try sink.sync()
            try sink.close()
        } catch {
            try? sink.close()
            throw error
        }
        guard rename(tmp, path) == 0 else { throw FileIOError(path: path, operation: "rename \(tmp) to") }
        published = true
        Path.syncDirectory(dir)
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

    /// Opens `path` for appending (creating it if needed) and starts counting at its current size.
    public static func append(path: String) throws -> FileSink {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "open for writing") }
        let sink = FileSink(fd: fd, path: path)
        sink.bytesWritten = Int64(lseek(fd, 0, SEEK_END))
        return sink
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
