import FileIO
import Foundation

extension HubClient {
    /// Downloads `meta` into `incomplete`, resuming from whatever a previous attempt left there, then checks
    /// the size of the file on disk and the digest its etag names (SHA-256 for LFS files, git blob SHA-1
    /// for others). The caller holds the blob's lock, so no one else appends to `incomplete`. A dropped
    /// connection resumes with `Range`; a server that answers 200 to a range request, or 416, makes the
    /// download start over. On a size or digest mismatch the file is removed. `progress` receives the
    /// bytes written by each chunk (negative when a restart discards bytes).
    func download(_ meta: FileMetadata, name: String, to incomplete: String, progress: @escaping (Int64) -> Void) throws {
        let sink = try FileSink.append(path: incomplete)
        defer { try? sink.close() }
        if sink.bytesWritten > 0 { progress(sink.bytesWritten) }
        if sink.bytesWritten > meta.size {
            progress(-sink.bytesWritten)
            try sink.truncate()
        }
        try withRetries(name) {
            while sink.bytesWritten < meta.size {
                if try fetchRange(meta, name: name, into: sink, progress: progress) { continue } // restarted: go again
                if sink.bytesWritten < meta.size {
                    throw TransportError(kind: .interrupted, message: "the response ended after \(sink.bytesWritten) of \(meta.size) bytes")
                }
            }
        }
        try sink.sync()
        // The file's own size, not this sink's count of what it wrote.
        let size = try sink.size()
        guard size == meta.size else {
            Path.remove(incomplete)
            throw HubError.sizeMismatch(file: name, expected: meta.size, actual: size)
        }
        guard let digest = meta.digest else {
            Path.remove(incomplete)
            throw HubError.badResponse(what: name, reason: "ETag \(HubError.quoted(meta.etag)) is not a hash")
        }
        let expected = meta.etag.lowercased()
        let actual = try digest.hex(ofFile: incomplete)
        guard actual == expected else {
            Path.remove(incomplete)
            throw HubError.checksumMismatch(file: name, digest: digest.rawValue, expected: expected, actual: actual)
        }
    }

    /// One GET from the current size onwards, following redirects (the token only to the endpoint). Returns
    /// true when the server made us start over (the file was emptied).
    private func fetchRange(_ meta: FileMetadata, name: String, into sink: FileSink, progress: @escaping (Int64) -> Void) throws -> Bool {
        var url = meta.location
        for _ in 0..<10 {
            let offset = sink.bytesWritten
            let range = offset > 0 ? [("Range", "bytes=\(offset)-")] : []
            var restarted = false
            var errorBody: [UInt8] = []
            let response = try http.send(HTTPRequest(url: url, headers: headers(for: url, extra: range + [("Accept-Encoding", "identity")]))) { response, chunk in
                guard (200..<300).contains(response.status) else {
                    if errorBody.count < 4096 { errorBody += chunk.prefix(4096 - errorBody.count) }
                    return
                }
                if offset > 0, sink.bytesWritten == offset, !restarted, response.status == 200 {
                    // The server ignored the range and sends the whole file.
                    progress(-sink.bytesWritten)
                    try sink.truncate()
                    restarted = true
                }
                try sink.write(chunk)
                progress(Int64(chunk.count))
                if sink.bytesWritten > meta.size {
                    throw HubError.sizeMismatch(file: name, expected: meta.size, actual: sink.bytesWritten)
                }
            }
            if let target = try Self.redirectTarget(response, from: url, what: name) {
                url = target
                continue
            }
            if response.status == 416 {
                progress(-sink.bytesWritten)
                try sink.truncate()
                return true
            }
            try check(response, what: name)
            return restarted
        }
        throw HubError.badResponse(what: name, reason: "too many redirects")
    }
}
