import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small real HTTP/1.1 server on a loopback address: one thread per connection, one request per
/// connection (`Connection: close`). Handlers write responses themselves, so they can also misbehave
/// (drop a connection halfway, stall).
final class LoopbackServer: @unchecked Sendable {
    struct Request {
        let method: String
        let target: String
        let headers: [String: String]

        var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
        var query: String? { target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) }
    }

    final class Connection: @unchecked Sendable {
        let fd: Int32
        private(set) var closed = false

        init(fd: Int32) { self.fd = fd }

        /// Writes bytes; false when the peer is gone.
        @discardableResult
        func write(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count, !closed {
                let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                offset += n
            }
            return !closed
        }

        func respond(_ status: Int, _ headers: [(String, String)] = [], body: [UInt8] = [], head: Bool = false) {
            var text = "HTTP/1.1 \(status) \(LoopbackServer.reason(status))\r\n"
            var all = headers
            if !all.contains(where: { $0.0.lowercased() == "content-length" }) { all.append(("Content-Length", "\(body.count)")) }
            all.append(("Connection", "close"))
            for (name, value) in all { text += "\(name): \(value)\r\n" }
            write(Array((text + "\r\n").utf8) + (head ? [] : body))
        }

        func close() {
            guard !closed else { return }
            closed = true
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc.close(fd)
        }
    }

    let host: String
    private(set) var port: Int = 0
    private let listener: Int32
    private let handler: @Sendable (Request, Connection) -> Void

    var url: String { "http://\(host):\(port)" }

    init(host: String, handler: @escaping @Sendable (Request, Connection) -> Void) throws {
        self.host = host
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, host, &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        // The accept thread owns the listening socket and closes it when `stop` shuts it down, so its
        // descriptor number cannot be reused by another test while this thread might still use it.
        Thread.detachNewThread { [handler] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    close(fd)
                    return
                }
                Thread.detachNewThread {
                    let connection = Connection(fd: client)
                    if let request = LoopbackServer.readRequest(client) { handler(request, connection) }
                    connection.close()
                }
            }
        }
    }

    private let stopLock = NSLock()
    private var stopped = false

    /// Stops accepting connections (idempotent).
    func stop() {
        stopLock.withLock {
            guard !stopped else { return }
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    deinit { stop() }

    private static func readRequest(_ fd: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !data.ends(with: Array("\r\n\r\n".utf8)) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            data += buffer[0..<n]
            if data.count > 65536 { return nil }
        }
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(method: String(parts[0]), target: String(parts[1]), headers: headers)
    }

    static func reason(_ status: Int) -> String {
        [200: "OK", 206: "Partial Content", 302: "Found", 307: "Temporary Redirect", 401: "Unauthorized", 403: "Forbidden",
         404: "Not Found", 416: "Range Not Satisfiable", 429: "Too Many Requests", 500: "Internal Server Error"][status] ?? "Status"
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
