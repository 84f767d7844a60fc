#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporary files to remove if the process is interrupted (SIGINT) or terminated (SIGTERM) before they
/// are published. The handler only calls unlink, which is safe in a signal handler, then lets the signal
/// take its default effect.
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
        free(paths[slot])
        paths[slot] = nil
    }

    private static let handler: @convention(c) (Int32) -> Void = { received in
        for i in 0..<SignalCleanup.slots {
            if let path = SignalCleanup.paths[i] { unlink(path) }
        }
        signal(received, SIG_DFL)
        raise(received)
    }
}
