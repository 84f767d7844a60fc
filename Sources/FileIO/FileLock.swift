#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on a lock file, the way huggingface_hub's FileLock guards a blob:
/// other processes, and other threads of this one, that lock the same path wait until it is released.
/// The lock file is left in place afterwards, as huggingface_hub leaves it. Python's `filelock`, which
/// huggingface_hub uses, takes the same `flock`, so the two tools also wait for each other.
public final class FileLock {
    public let path: String
    private let fd: Int32

    /// Creates the lock file (and its directory) if needed and waits for the lock.
    public init(path: String) throws {
        self.path = path
        try Path.makeDirectories(Path.directory(of: path))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "open the lock file") }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(fd)
                throw FileIOError(path: path, operation: "lock", code: code)
            }
        }
        self.fd = fd
    }

    /// Runs `body` while holding the lock on `path`.
    public static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lock = try FileLock(path: path)
        return try withExtendedLifetime(lock) { try body() }
    }

    // Closing the descriptor releases the lock.
    deinit { close(fd) }
}
