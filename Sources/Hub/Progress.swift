import Foundation

/// A one-line progress bar on standard error (bytes, rate, ETA), drawn only when standard error is a
/// terminal and at most ten times a second. Safe to update from several download threads.
public final class DownloadProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled: Bool
    private var total: Int64 = 0
    private var done: Int64 = 0
    private var files = 0
    private let start = Date()
    private var lastDraw = Date.distantPast

    public init(enabled: Bool) { self.enabled = enabled && isatty(STDERR_FILENO) != 0 }

    func begin(files: Int, bytes: Int64) {
        lock.withLock {
            self.files = files
            total = bytes
        }
    }

    func add(_ bytes: Int64) {
        lock.withLock {
            done += bytes
            if enabled, Date().timeIntervalSince(lastDraw) >= 0.1 { draw() }
        }
    }

    func finish() {
        lock.withLock {
            guard enabled, files > 0 else { return }
            draw()
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    private func draw() {
        lastDraw = Date()
        let elapsed = max(Date().timeIntervalSince(start), 1e-3)
        let rate = Double(done) / elapsed
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let eta = rate > 0 && total > done ? Self.duration(Double(total - done) / rate) : "--:--"
        let line = "\rFetching \(files) file\(files == 1 ? "" : "s") [\(bar)] \(Self.bytes(Double(done)))/\(Self.bytes(Double(total))) "
            + "\(Self.bytes(rate))/s ETA \(eta)  "
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func bytes(_ n: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = n, unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
