import CHubSupport
import FileIO
import Foundation

/// A file's digest as lowercase hex, over `prefix(size)` followed by the file's mapped bytes.
private func digestHex(_ kind: hub_digest_kind, ofFile path: String, prefix: (Int) -> [UInt8] = { _ in [] }) throws -> String {
    let file = try MappedFile(path: path)
    let head = prefix(file.bytes.count)
    var digest = [UInt8](repeating: 0, count: Int(HUB_DIGEST_MAX))
    let length = hub_digest(kind, head, head.count, file.bytes.baseAddress, file.bytes.count, &digest)
    guard length > 0 else { throw FileIOError(path: path, operation: "digest", code: 0, detail: "OpenSSL could not compute it") }
    return digest.prefix(length).map { String(format: "%02x", $0) }.joined()
}

/// SHA-256 of a file: the ETag the Hub gives an LFS file.
enum SHA256 {
    static func hex(ofFile path: String) throws -> String { try digestHex(HUB_DIGEST_SHA256, ofFile: path) }
}

/// The git blob hash of a file: SHA-1 of "blob <size>\0" followed by the contents, the ETag the Hub gives a
/// small (non-LFS) file.
enum GitBlobHash {
    static func hex(ofFile path: String) throws -> String {
        try digestHex(HUB_DIGEST_SHA1, ofFile: path) { Array("blob \($0)\0".utf8) }
    }
}
