#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporary files to remove if the process is interrupted (SIGINT) or terminated (SIGTERM) before they
/// are published. The handler only calls unlink, which is safe in a signal handler, then lets the signal
/// take its default effect.
///
/// The handler cannot take the lock (it may interrupt the thread holding it), so it may read a slot while
/// another thread releases it. A released name is therefore never freed: the handler then unlinks a name
/// that no longer exists (the file was published or removed), never memory that was given back. Names are a
/// few dozen bytes, one per temporary file a run creates.
enum SignalCleanup {
    private static let slots = 32
    nonisolated(unsafe) private static let paths = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: slots)
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private static let setup: Void = {
        paths.initialize(repeating: nil, count: slots)
        pthread_mutex_init(lock, nil)
    }()

    static func register(_ path: String) -> Int? {
        _ = setup
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if !installed {
            installed = true
            signal(SIGINT, handler)
            signal(SIGTERM, handler)
        }
        for i in 0..<slots where paths[i] == nil {
            paths[i] = strdup(path)
            return i
        }
        return nil
    }

    static func unregister(_ slot: Int?) {
        guard let slot else { return }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        paths[slot] = nil // not freed: see above
    }

    /// Calls `body` with every registered name, as the handler walks them: without allocating or locking.
    static func forEachRegistered(_ body: (UnsafePointer<CChar>) -> Void) {
        for i in 0..<slots {
            if let path = paths[i] { body(path) }
        }
    }

    private static let handler: @convention(c) (Int32) -> Void = { received in
        SignalCleanup.forEachRegistered { unlink($0) }
        signal(received, SIG_DFL)
        raise(received)
    }
}
