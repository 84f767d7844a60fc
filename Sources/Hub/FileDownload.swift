import FileIO
import Foundation

extension HubClient {
    /// Downloads `meta` into `incomplete`, resuming from whatever a previous attempt left there, then checks
    /// the size and, for LFS files (SHA-256 etags), the digest. A dropped connection resumes with `Range`;
    /// a server that answers 200 to a range request, or 416, makes the download start over. On a size or
    /// digest mismatch the file is removed. `progress` receives the bytes written by each chunk (negative
    /// when a restart discards bytes).
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
        guard sink.bytesWritten == meta.size else {
            Path.remove(incomplete)
            throw HubError.sizeMismatch(file: name, expected: meta.size, actual: sink.bytesWritten)
        }
        if let expected = meta.sha256 {
            let actual = try SHA256.hex(ofFile: incomplete)
            guard actual == expected else {
                Path.remove(incomplete)
                throw HubError.checksumMismatch(file: name, expected: expected, actual: actual)
            }
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
            if response.isRedirect {
                url = URLParts.resolve(response[header: "location"]!, against: url)
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
