import FileIO
import Foundation
@testable import Hub
import TestSupport
import Testing

/// Downloads against injected faults: connections cut at random offsets, bursts of 5xx, a slow drip, wrong
/// content, a full disk. Whatever happens, the cache holds each file either complete and verified or only
/// as resumable partial data (a prefix in `.incomplete`), never a wrong file in snapshots/, and a failure
/// is one line that says what went wrong. docs/RELIABILITY.md records the outcomes.
@Suite(.serialized) struct DownloadFaultTests {
    let hub: FakeHub
    let dir = TemporaryDirectory()
    let files: [FakeHub.File]
    var commit: String { hub.repo("org/faulty").commit }

    /// Small files keep the whole suite fast: an LFS file (SHA-256 etag) and a plain one (git blob etag).
    init() throws {
        hub = try FakeHub()
        files = [.init(path: "model.safetensors", content: randomBytes(48_000), lfs: true),
                 .init(path: "config.json", content: Array(String(repeating: #"{"k":1}"#, count: 3000).utf8), lfs: false)]
        hub.add("org/faulty", files: files)
    }

    func download(into cache: String, attempts: Int = 3) -> Result<String, Error> {
        var config = testConfiguration(hub, cache: cache)
        config.maxAttempts = attempts
        return Result { try HubDownloader(configuration: config).download(DownloadRequest(repo: "org/faulty")) }
    }

    /// Checks the invariant for one cache and returns how many files are complete in the snapshot.
    @discardableResult
    func expectCompleteOrResumable(_ cache: String, after result: Result<String, Error>, _ context: String) -> Int {
        let repoDir = Path.join(cache, "models--org--faulty")
        let byEtag = Dictionary(uniqueKeysWithValues: files.map { ($0.etag, $0) })
        for name in Path.files(under: Path.join(repoDir, "blobs")) {
            let content = Path.read(Path.join(repoDir, "blobs", name)) ?? []
            if let file = byEtag[name] {
                #expect(content == file.content, "\(context): blob \(name) is not the file")
            } else if name.hasSuffix(".incomplete"), let file = byEtag[String(name.dropLast(".incomplete".count))] {
                #expect(content.count < file.content.count && Array(file.content.prefix(content.count)) == content,
                        "\(context): \(name) is not a prefix of the file")
            } else {
                Issue.record("\(context): unexpected blob \(name)")
            }
        }
        var complete = 0
        for file in files {
            let pointer = Path.join(repoDir, "snapshots", commit, file.path)
            guard Path.exists(pointer) || Path.readLink(pointer) != nil else { continue }
            #expect(Path.read(pointer) == file.content, "\(context): wrong \(file.path) in snapshots/")
            complete += 1
        }
        switch result {
        case .success: #expect(complete == files.count, "\(context): success with \(complete) of \(files.count) files")
        case .failure(let error):
            let text = "\(error)"
            #expect(!text.isEmpty && !text.contains("\n"), "\(context): error is not one line: \(text)")
        }
        return complete
    }

    @Test func connectionsCutAtRandomOffsetsLeaveCompleteOrResumableFiles() throws {
        var random = SplitMix64(seed: 20261203)
        var (recovered, failed) = (0, 0)
        let runs = 60
        for run in 0..<runs {
            let cache = dir.file("cut\(run)")
            for file in files where run % 3 == 0 || files[run % 2].path == file.path {
                hub.dropAfter[file.path] = Int.random(in: 0..<file.content.count, using: &random)
            }
            // One attempt fails at the cut; two resume past it.
            let result = download(into: cache, attempts: 1 + run % 2)
            hub.dropAfter = [:]
            expectCompleteOrResumable(cache, after: result, "run \(run)")
            if case .failure = result {
                failed += 1
                // What was left resumes to the verified files.
                let again = download(into: cache)
                #expect(expectCompleteOrResumable(cache, after: again, "run \(run), resumed") == files.count)
            } else {
                recovered += 1
            }
        }
        print("Download faults: \(runs) runs with cut connections: \(recovered) completed within the run, \(failed) failed with one line and completed on the next run")
    }

    @Test(arguments: [[500], [503, 503], [500, 503, 500, 503], [503, 500, 503, 500, 503], [500, 500, 503, 503, 500, 500]])
    func burstsOfServerErrors(statuses: [Int]) throws {
        let cache = dir.file("burst")
        hub.failures["model.safetensors"] = statuses
        let result = download(into: cache, attempts: 5)
        hub.failures = [:]
        expectCompleteOrResumable(cache, after: result, "\(statuses)")
        if statuses.count < 5 {
            #expect(throws: Never.self) { try result.get() }
        } else {
            #expect(throws: HubError.server(what: "org/faulty/model.safetensors", status: statuses[4])) { try result.get() }
        }
    }

    @Test func aSlowDripCompletesAndAStallTimesOutResumably() throws {
        let cache = dir.file("drip")
        hub.drip["model.safetensors"] = 0.3 // 16 KiB every 0.3 s: slow, but under the 1 s stall limit
        #expect(expectCompleteOrResumable(cache, after: download(into: cache), "drip") == files.count)

        let stalled = dir.file("stall")
        hub.drip["model.safetensors"] = 1.5 // beyond the stall limit: every attempt times out
        let result = download(into: stalled, attempts: 2)
        hub.drip = [:]
        #expect(throws: HubError.timedOut(what: "org/faulty/model.safetensors")) { try result.get() }
        expectCompleteOrResumable(stalled, after: result, "stall")
        #expect(expectCompleteOrResumable(stalled, after: download(into: stalled), "after stall") == files.count)
    }

    @Test(arguments: ["model.safetensors", "config.json"])
    func wrongContentIsRemovedNeverLinked(path: String) throws {
        let cache = dir.file("corrupt")
        hub.corrupt.insert(path)
        let result = download(into: cache)
        hub.corrupt = []
        guard case .failure(let error) = result, case .checksumMismatch(let file, _, _, _)? = error as? HubError else {
            Issue.record("\(result)")
            return
        }
        #expect(file == "org/faulty/\(path)")
        expectCompleteOrResumable(cache, after: result, "corrupt \(path)")
        #expect(expectCompleteOrResumable(cache, after: download(into: cache), "after corrupt") == files.count)
    }

    /// A full disk, played by RLIMIT_FSIZE on a child `rsr download` (with SIGXFSZ ignored, so writes past
    /// the limit fail with EFBIG as they would with ENOSPC, instead of killing the process).
    @Test(.enabled(if: rsrIsBuilt && FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")))
    func aFullDiskFailsWithOneLineAndLeavesResumableData() throws {
        let big = FakeHub.File(path: "model.safetensors", content: randomBytes(400_000), lfs: true)
        hub.add("org/faulty", files: [big, files[1]])
        let cache = dir.file("full")
        let (status, _, stderr) = try RSRProcess.run(["download", "org/faulty"], environment: [
            "HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache, "HOME": dir.path, "PATH": "/usr/bin:/bin",
        ], fileSizeLimit: 100_000)
        #expect(status != 0)
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("File too large"), "\(stderr)")
        let partial = Path.join(cache, "models--org--faulty", "blobs", big.etag + ".incomplete")
        #expect(Path.fileSize(partial) == 100_000)
        #expect(Path.read(partial) == Array(big.content.prefix(100_000)))
        #expect(!Path.exists(Path.join(cache, "models--org--faulty", "snapshots", commit, big.path)))
        // With room again, the download resumes from the partial blob.
        let snapshot = try download(into: cache).get()
        #expect(Path.read(Path.join(snapshot, big.path)) == big.content)
        print("Download faults: full disk (RLIMIT_FSIZE 100000) failed with: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}

/// A seeded generator, so a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
