import CHubSupport
import FileIO
import Foundation

/// The git blob hash of a file: SHA-1 of "blob <size>\0" followed by the contents, as lowercase hex.
/// The Hub names small (non-LFS) files by it in their ETag.
enum GitBlobHash {
    static func hex(ofFile path: String) throws -> String {
        let file = try MappedFile(path: path)
        var ctx = hub_sha1()
        hub_sha1_init(&ctx)
        let header = Array("blob \(file.bytes.count)\0".utf8)
        hub_sha1_update(&ctx, header, header.count)
        if let base = file.bytes.baseAddress { hub_sha1_update(&ctx, base, file.bytes.count) }
        var digest = [UInt8](repeating: 0, count: 20)
        hub_sha1_final(&ctx, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
