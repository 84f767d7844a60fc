import FileIO
import Foundation
@testable import Hub
import TestSupport

/// A configuration for the fake Hub: short timeouts and backoff so fault tests run fast.
func testConfiguration(_ hub: FakeHub, cache: String, token: String? = nil) -> HubConfiguration {
    var config = HubConfiguration(endpoint: hub.endpoint, token: token, cacheDirectory: cache, offline: false)
    config.connectTimeout = 2
    config.stallTimeout = 1
    config.maxAttempts = 3
    config.retryBaseDelay = 0.05
    config.retryMaxDelay = 2
    return config
}

/// A small model repository: two JSON files, a tokenizer, an LFS weights file, a nested file and a file
/// the default patterns skip.
func sampleRepo(weights: Int = 300_000) -> [FakeHub.File] {
    [
        .init(path: "config.json", content: Array(#"{"model_type":"bitnet"}"#.utf8), lfs: false),
        .init(path: "tokenizer.json", content: Array(#"{"version":"1.0"}"#.utf8), lfs: false),
        .init(path: "model.safetensors", content: randomBytes(weights), lfs: true),
        .init(path: "nested/dir/generation_config.json", content: Array(#"{"eos":1}"#.utf8), lfs: false),
        .init(path: "README.md", content: Array("# readme".utf8), lfs: false),
    ]
}

let pythonHasHuggingfaceHub = pythonHas("huggingface_hub")
