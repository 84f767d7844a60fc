@testable import FileIO
import Foundation
import Testing

/// The interrupt handler walks the registered names while other threads register and release them; the
/// names it reads must stay valid memory (this is what the sanitizer run checks).
@Suite struct SignalCleanupTests {
    @Test func theHandlersWalkIsSafeWhileNamesComeAndGo() async throws {
        let stop = ManagedAtomicFlag()
        let walker = Thread {
            // Reads every name as the handler does (it would unlink them, and so other tests' files).
            while !stop.isSet { SignalCleanup.forEachRegistered { _ = strlen($0) } }
        }
        walker.start()
        for i in 0..<20_000 {
            let slot = SignalCleanup.register("/nonexistent/rsr-signal-cleanup-test-\(i)")
            SignalCleanup.unregister(slot)
        }
        stop.set()
        #expect(SignalCleanup.register("/nonexistent/last").map { SignalCleanup.unregister($0) } != nil)
    }
}

/// A flag one thread sets and another polls.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
