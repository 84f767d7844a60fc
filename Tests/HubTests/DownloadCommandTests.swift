import FileIO
import Foundation
import TestSupport
import Testing

/// `rsr download` as a user runs it: the built executable, environment variables, piped output.
@Suite(.serialized) struct DownloadCommandTests {
    let hub: FakeHub
    let dir = TemporaryDirectory()

    init() throws { hub = try FakeHub() }

    func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try RSRProcess.run(arguments, environment: environment.merging(["HOME": dir.path, "PATH": "/usr/bin:/bin"]) { a, _ in a })
    }

    @Test(.enabled(if: rsrIsBuilt))
    func printsTheSnapshotDirectoryLast() throws {
        hub.add("org/model", files: sampleRepo())
        let env = ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": dir.file("cache")]
        let result = try run(["download", "org/model"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let expected = Path.join(dir.file("cache"), "models--org--model", "snapshots", hub.repo("org/model").commit)
        #expect(result.stdout.split(separator: "\n").last.map(String.init) == expected)
        #expect(result.stderr.isEmpty) // no progress bar when standard error is not a terminal
        #expect(Path.exists(Path.join(expected, "model.safetensors")))

        let offline = try run(["download", "org/model"], environment: env.merging(["HF_HUB_OFFLINE": "1"]) { _, b in b })
        #expect(offline.stdout.split(separator: "\n").last.map(String.init) == expected)
    }

    /// Two `rsr download` processes for the same repository at once: the second waits on the blob's lock
    /// and finds the file done, so both succeed and the file is fetched once.
    @Test(.enabled(if: rsrIsBuilt))
    func twoDownloadProcessesAtOnceBothSucceed() throws {
        let files = sampleRepo(weights: 1_000_000)
        hub.add("org/model", files: files)
        hub.drip["model.safetensors"] = 0.01 // slow enough for the two to overlap
        let env = ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": dir.file("cache"), "HOME": dir.path, "PATH": "/usr/bin:/bin"]
        let processes = try (0..<2).map { _ in try RSRProcess(["download", "org/model"], environment: env) }
        let results = processes.map { $0.finish() }
        let expected = Path.join(dir.file("cache"), "models--org--model", "snapshots", hub.repo("org/model").commit)
        for result in results {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n").last.map(String.init) == expected)
        }
        #expect(Path.read(Path.join(expected, "model.safetensors")) == files[2].content)
        #expect(hub.bytesServed("model.safetensors") == files[2].content.count)
    }

    @Test(.enabled(if: rsrIsBuilt))
    func errorsGoToStandardErrorWithAFailingStatus() throws {
        let result = try run(["download", "org/missing"], environment: ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": dir.file("cache")])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("org/missing at revision main: not found (HTTP 404, RepoNotFound)"))
    }

    /// `rsr convert REPO_ID` downloads through the Hub client, then converts and records where it came from.
    @Test(.enabled(if: rsrIsBuilt))
    func convertFetchesARepoIDFirst() throws {
        let fixture = Path.join(fixturesDirectory, "llama-bitlinear-packed")
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture).sorted().map { name in
            FakeHub.File(path: name, content: try #require(Path.read(Path.join(fixture, name))), lfs: name.hasSuffix(".safetensors"))
        }
        hub.add("org/ternary", files: files)
        let env = ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": dir.file("cache")]
        let output = dir.file("ternary.rsr")
        let result = try run(["convert", "org/ternary", "-o", output, "--kernel", "packed-i2"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        let inspect = try run(["inspect", output, "--json"], environment: env)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        let source = try #require((object["manifest"] as? [String: Any])?["source"] as? [String: Any])
        #expect(source["repo"] as? String == "org/ternary")
        #expect(source["revision"] as? String == hub.repo("org/ternary").commit)

        let missing = try run(["convert", "org/absent", "-o", dir.file("absent.rsr")], environment: env)
        #expect(missing.status != 0 && missing.stderr.contains("not a local directory, and fetching it as a Hub repo failed"), "\(missing.stderr)")
    }
}
