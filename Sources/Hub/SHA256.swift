import CHubSupport
import FileIO
import Foundation

/// SHA-256 of a file, as lowercase hex.
enum SHA256 {
    static func hex(ofFile path: String) throws -> String {
        let file = try MappedFile(path: path)
        var ctx = hub_sha256()
        hub_sha256_init(&ctx)
        if let base = file.bytes.baseAddress { hub_sha256_update(&ctx, base, file.bytes.count) }
        var digest = [UInt8](repeating: 0, count: 32)
        hub_sha256_final(&ctx, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
