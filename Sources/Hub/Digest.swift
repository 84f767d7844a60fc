import CHubSupport
import FileIO
import Foundation

extension FileMetadata.Digest {
    /// The file's digest as the Hub's etag spells it (lowercase hex): SHA-256 of the contents for an LFS
    /// file, SHA-1 of "blob <size>\0" followed by the contents (its git blob id) for any other.
    func hex(ofFile path: String) throws -> String {
        let file = try MappedFile(path: path)
        let (kind, head) = self == .sha256 ? (HUB_DIGEST_SHA256, []) : (HUB_DIGEST_SHA1, Array("blob \(file.bytes.count)\0".utf8))
        var digest = [UInt8](repeating: 0, count: Int(HUB_DIGEST_MAX))
        let length = hub_digest(kind, head, head.count, file.bytes.baseAddress, file.bytes.count, &digest)
        guard length > 0 else { throw FileIOError(path: path, operation: "digest", code: 0, detail: "OpenSSL could not compute it") }
        return digest.prefix(length).map { String(format: "%02x", $0) }.joined()
    }
}
