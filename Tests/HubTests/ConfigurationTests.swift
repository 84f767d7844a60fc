import FileIO
import Foundation
@testable import Hub
import TestSupport
import Testing

@Suite struct ConfigurationTests {
    let dir = TemporaryDirectory()

    @Test func defaultsFollowHuggingfaceHub() {
        let config = HubConfiguration.fromEnvironment(["HOME": "/home/u"])
        #expect(config.endpoint == "https://huggingface.co")
        #expect(config.cacheDirectory == "/home/u/.cache/huggingface/hub")
        #expect(config.token == nil)
        #expect(config.offline == false)
        #expect(HubConfiguration.fromEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "/x"]).cacheDirectory == "/x/huggingface/hub")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": "/hf"]).cacheDirectory == "/hf/hub")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": "/hf", "HF_HUB_CACHE": "/c"]).cacheDirectory == "/c")
        #expect(HubConfiguration.fromEnvironment(["HF_ENDPOINT": "http://mirror:8080/"]).endpoint == "http://mirror:8080")
    }

    @Test func tokenSourcesInOrder() throws {
        let tokenFile = dir.file("token"), otherFile = dir.file("other")
        try AtomicFile.write(Array("  hf_from_home \n".utf8), to: tokenFile)
        try AtomicFile.write(Array("hf_from_path".utf8), to: otherFile)
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": dir.path]).token == "hf_from_home")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": dir.path, "HF_TOKEN_PATH": otherFile]).token == "hf_from_path")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": dir.path, "HUGGING_FACE_HUB_TOKEN": "hf_old"]).token == "hf_old")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": dir.path, "HUGGING_FACE_HUB_TOKEN": "hf_old", "HF_TOKEN": "hf_new"]).token == "hf_new")
        #expect(HubConfiguration.fromEnvironment(["HF_HOME": "/nonexistent"]).token == nil)
    }

    @Test(arguments: [("1", true), ("ON", true), ("yes", true), ("True", true), ("0", false), ("", false), ("no", false)])
    func offlineValues(value: String, offline: Bool) {
        #expect(HubConfiguration.fromEnvironment(["HF_HUB_OFFLINE": value]).offline == offline)
    }

    @Test func tokenOnlyForTheEndpointsOrigin() {
        var config = HubConfiguration(endpoint: "https://huggingface.co", token: "hf_x", cacheDirectory: "/c", offline: false)
        config.maxAttempts = 1
        let client = HubClient(config: config)
        let auth = ("Authorization", "Bearer hf_x")
        #expect(client.headers(for: "https://huggingface.co/a/b").contains { $0 == auth })
        #expect(client.headers(for: "https://HuggingFace.co/a").contains { $0 == auth }) // host names are case-insensitive
        #expect(client.headers(for: "https://cdn-lfs.huggingface.co/x").isEmpty)
        #expect(client.headers(for: "http://huggingface.co/a").isEmpty) // another scheme is another origin
        #expect(client.headers(for: "https://huggingface.co.evil.com/a").isEmpty)
    }

    @Test func urlsEncodeRevisionAsOneComponent() {
        let client = HubClient(config: HubConfiguration(endpoint: "https://hub", token: nil, cacheDirectory: "/c", offline: false))
        let repo = try! RepoID("org/model")
        #expect(client.resolveURL(repo, revision: "refs/pr/1", path: "dir/a b.json") == "https://hub/org/model/resolve/refs%2Fpr%2F1/dir/a%20b.json")
    }

    @Test func etagsAreNormalised() {
        #expect(HubClient.normalizeEtag("W/\"abc\"") == "abc")
        #expect(HubClient.normalizeEtag("\"abc\"") == "abc")
        #expect(HubClient.normalizeEtag("abc") == "abc")
        #expect(HubClient.normalizeEtag("\"\"") == nil)
        #expect(HubClient.normalizeEtag(nil) == nil)
    }
}
