import FileIO
import Foundation
@testable import Hub
import TestSupport
import Testing

/// Caches are shared both ways with huggingface_hub (when it is installed).
@Suite(.serialized, .enabled(if: pythonHasHuggingfaceHub)) struct CompatibilityTests {
    let hub: FakeHub
    let dir = TemporaryDirectory()

    init() throws { hub = try FakeHub() }

    @Test func huggingfaceHubReadsOurCacheOffline() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        let cache = dir.file("ours")
        let snapshot = try HubDownloader(configuration: testConfiguration(hub, cache: cache)).download(DownloadRequest(repo: "org/model"))
        let script = """
            import hashlib, json
            from huggingface_hub import snapshot_download, hf_hub_download
            path = snapshot_download("org/model", revision="main")
            weights = hf_hub_download("org/model", "model.safetensors", revision="main")
            nested = hf_hub_download("org/model", "nested/dir/generation_config.json")
            print(json.dumps({"snapshot": path, "sha": hashlib.sha256(open(weights, "rb").read()).hexdigest(), "nested": open(nested).read()}))
            """
        let result = try #require(runPython(script, environment: ["HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": cache, "HF_HUB_DISABLE_TELEMETRY": "1"]))
        #expect(result.status == 0, "\(result.output)")
        let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["snapshot"] == snapshot)
        #expect(object["sha"] == files[2].sha256)
        #expect(object["nested"] == #"{"eos":1}"#)
    }

    /// huggingface_hub locks a blob with `filelock` (flock) at .locks/{repo folder}/{etag}.lock; while it
    /// holds that lock, our download of the blob waits.
    @Test func weWaitWhileHuggingfaceHubHoldsTheBlobLock() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        let cache = dir.file("locked")
        let lockPath = Path.join(cache, ".locks", "models--org--model", files[2].etag + ".lock")
        try Path.makeDirectories(Path.directory(of: lockPath))
        let script = """
            import sys, time
            from huggingface_hub.utils import WeakFileLock
            with WeakFileLock(sys.argv[1]):
                print("locked", flush=True)
                time.sleep(1.5)
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, lockPath]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        var printed = ""
        while !printed.contains("locked") {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            printed += String(decoding: data, as: UTF8.self)
        }
        #expect(printed.contains("locked"))
        let start = Date()
        let snapshot = try HubDownloader(configuration: testConfiguration(hub, cache: cache)).download(DownloadRequest(repo: "org/model"))
        #expect(Date().timeIntervalSince(start) >= 1.0)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        #expect(Path.read(Path.join(snapshot, "model.safetensors")) == files[2].content)
    }

    @Test func weReadHuggingfaceHubsCacheOffline() throws {
        let files = sampleRepo()
        hub.add("org/model", files: files)
        let cache = dir.file("theirs")
        let script = """
            from huggingface_hub import snapshot_download
            print(snapshot_download("org/model", allow_patterns=["*.json", "*.safetensors"]))
            """
        let result = try #require(runPython(script, environment: ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": cache,
                                                                  "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1"]))
        #expect(result.status == 0, "\(result.output)")
        var config = testConfiguration(hub, cache: cache)
        config.offline = true
        hub.clearLog()
        let snapshot = try HubDownloader(configuration: config).download(DownloadRequest(repo: "org/model"))
        #expect(hub.requests.isEmpty)
        #expect(result.output.split(separator: "\n").last.map(String.init) == snapshot)
        #expect(Path.read(Path.join(snapshot, "model.safetensors")) == files[2].content)
        #expect(Path.read(Path.join(snapshot, "config.json")) == files[0].content)
    }
}
