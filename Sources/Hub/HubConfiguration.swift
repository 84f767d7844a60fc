import FileIO
import Foundation

/// Settings taken from the environment the way huggingface_hub reads them, so both tools agree on the
/// endpoint, token and cache.
public struct HubConfiguration: Sendable {
    public var endpoint: String
    /// Sent as `Authorization: Bearer` to the endpoint's host only. Never printed.
    public var token: String?
    public var cacheDirectory: String
    public var offline: Bool
    /// Seconds to connect; seconds a transfer may stall before it counts as timed out.
    public var connectTimeout: Double = 10
    public var stallTimeout: Int = 10
    /// Attempts per request (first try included) and the backoff between them.
    public var maxAttempts = 5
    public var retryBaseDelay = 1.0
    public var retryMaxDelay = 8.0
    /// Files downloaded at once.
    public var concurrentDownloads = 4

    public init(endpoint: String, token: String?, cacheDirectory: String, offline: Bool) {
        self.endpoint = endpoint
        self.token = token
        self.cacheDirectory = cacheDirectory
        self.offline = offline
    }

    /// HF_ENDPOINT; HF_TOKEN, HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH or $HF_HOME/token; HF_HUB_CACHE or
    /// $HF_HOME/hub (HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface);
    /// HF_HUB_OFFLINE; HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> HubConfiguration {
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        let home = value("HOME") ?? NSHomeDirectory()
        let hfHome = value("HF_HOME") ?? Path.join(value("XDG_CACHE_HOME") ?? Path.join(home, ".cache"), "huggingface")
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        let tokenFile = value("HF_TOKEN_PATH") ?? Path.join(hfHome, "token")
        let token = value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN") ?? Path.read(tokenFile).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }.flatMap { $0.isEmpty ? nil : $0 }
        let offline = ["1", "on", "yes", "true"].contains(value("HF_HUB_OFFLINE")?.lowercased() ?? "")
        var config = HubConfiguration(endpoint: endpoint, token: token, cacheDirectory: value("HF_HUB_CACHE") ?? Path.join(hfHome, "hub"),
                                      offline: offline)
        if let t = value("HF_HUB_ETAG_TIMEOUT").flatMap(Double.init) { config.connectTimeout = t }
        if let t = value("HF_HUB_DOWNLOAD_TIMEOUT").flatMap(Double.init) { config.stallTimeout = max(1, Int(t)) }
        return config
    }

    /// scheme://host[:port] of the endpoint: the only origin the token is sent to.
    var endpointOrigin: String { URLParts.origin(endpoint) ?? endpoint }
}

/// The pieces of a URL the client needs.
enum URLParts {
    /// scheme://host[:port], lowercased; nil for something that is not an absolute http(s) URL.
    static func origin(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty else { return nil }
        let port = components.port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)"
    }

    /// `location` resolved against `base` (absolute locations stay as they are).
    static func resolve(_ location: String, against base: String) -> String {
        if origin(location) != nil { return location }
        guard let baseURL = URL(string: base), let resolved = URL(string: location, relativeTo: baseURL) else { return location }
        return resolved.absoluteString
    }

    /// Whether `location` is relative (no scheme and host of its own).
    static func isRelative(_ location: String) -> Bool { origin(location) == nil }

    /// Percent-encodes a path, keeping '/' (like Python's `quote(path)`).
    static func encodePath(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? path
    }

    /// Percent-encodes a single path component, '/' included (like `quote(s, safe="")`).
    static func encodeComponent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: componentAllowed) ?? s
    }

    private static let componentAllowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    private static let pathAllowed = componentAllowed.union(CharacterSet(charactersIn: "/"))
}
