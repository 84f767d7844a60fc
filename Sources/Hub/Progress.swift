import Console

/// Download progress: bytes, rate and ETA over all files, on standard error when it is a terminal.
public final class DownloadProgress: @unchecked Sendable {
    private let bar: ProgressBar
    private var files = 0

    public init(enabled: Bool) { bar = ProgressBar(enabled: enabled, label: "Fetching", unit: .bytes) }

    func begin(files: Int, bytes: Int64) {
        self.files = files
        bar.reset(label: "Fetching \(files) file\(files == 1 ? "" : "s")", total: Double(bytes))
    }

    func add(_ bytes: Int64) { bar.add(Double(bytes)) }

    func finish() {
        if files > 0 { bar.finish() }
    }
}
