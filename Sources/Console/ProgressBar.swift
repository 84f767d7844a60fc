import Foundation

/// A one-line progress bar on standard error with an ETA, drawn only when standard error is a terminal
/// and at most ten times a second. Safe to update from several threads.
public final class ProgressBar: @unchecked Sendable {
    /// How the amounts read: bytes (with a rate) or a count of things.
    public enum Unit: Sendable {
        case bytes
        case items(String)
    }

    private let lock = NSLock()
    private let enabled: Bool
    private let unit: Unit
    private var label: String
    private var total: Double
    private var done: Double = 0
    private var drawn = false
    private let start = Date()
    private var lastDraw = Date.distantPast

    public init(enabled: Bool, label: String, total: Double = 0, unit: Unit) {
        self.enabled = enabled && isatty(STDERR_FILENO) != 0
        self.label = label
        self.total = total
        self.unit = unit
    }

    public func reset(label: String, total: Double) {
        lock.withLock {
            self.label = label
            self.total = total
        }
    }

    public func add(_ amount: Double) {
        lock.withLock {
            done += amount
            if enabled, Date().timeIntervalSince(lastDraw) >= 0.1 { draw() }
        }
    }

    /// Sets the amount done so far (and the total).
    public func update(done: Double, total: Double) {
        lock.withLock {
            self.done = done
            self.total = total
            if enabled, Date().timeIntervalSince(lastDraw) >= 0.1 { draw() }
        }
    }

    /// Draws the final state and ends the line (if anything was drawn or `always`).
    public func finish(always: Bool = true) {
        lock.withLock {
            guard enabled, always || drawn else { return }
            draw()
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    private func draw() {
        drawn = true
        lastDraw = Date()
        let elapsed = max(Date().timeIntervalSince(start), 1e-3)
        let rate = done / elapsed
        let fraction = total > 0 ? min(1, done / total) : 1
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let eta = rate > 0 && total > done ? Format.duration((total - done) / rate) : "--:--"
        let amounts = switch unit {
        case .bytes: "\(Format.bytes(done))/\(Format.bytes(total)) \(Format.bytes(rate))/s"
        case .items(let name): "\(Int(done))/\(Int(total)) \(name)"
        }
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(amounts) ETA \(eta)  ".utf8))
    }
}

/// Human-readable sizes and durations.
public enum Format {
    /// Decimal units, as download tools print them: "512 B", "1.5 MB", "2.4 GB".
    public static func bytes(_ n: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = n, unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A count with a decimal prefix: "950", "2.1 M", "2.08 G".
    public static func count(_ n: Double) -> String {
        n >= 1e9 ? String(format: "%.2f G", n / 1e9) : n >= 1e6 ? String(format: "%.1f M", n / 1e6)
            : n >= 1e4 ? String(format: "%.1f k", n / 1e3) : "\(Int(n))"
    }

    /// "m:ss", or "h:mm:ss" from an hour up.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
