import CHubSupport
import Foundation

/// One HTTP request. Redirects are never followed here: the Hub client decides where to go next, and
/// whether the token goes with it.
struct HTTPRequest {
    var method = "GET"
    var url: String
    var headers: [(String, String)] = []
}

/// Status and headers of a response (header names lowercased; the last value of a repeated header wins).
struct HTTPResponse {
    let status: Int
    let headers: [String: String]
    let url: String

    subscript(header name: String) -> String? { headers[name.lowercased()] }
    var isRedirect: Bool { [301, 302, 303, 307, 308].contains(status) && headers["location"] != nil }
}

/// A request that did not produce a response.
struct TransportError: Error {
    enum Kind { case cannotConnect, timedOut, interrupted, other }
    let kind: Kind
    let message: String
}

/// HTTP over libcurl: one easy handle per request, http and https only, no redirects, timeouts for
/// connecting and for stalls.
final class HTTPClient: Sendable {
    let connectTimeout: Double
    let stallTimeout: Int

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    init(connectTimeout: Double, stallTimeout: Int) {
        _ = Self.globalInit
        self.connectTimeout = connectTimeout
        self.stallTimeout = stallTimeout
    }

    /// Sends `request`. `body` receives the response body in chunks, with the response (status and headers)
    /// already known; an error it throws aborts the transfer and is rethrown.
    func send(_ request: HTTPRequest, body: ((HTTPResponse, UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> HTTPResponse {
        guard let curl = curl_easy_init() else { throw TransportError(kind: .other, message: "libcurl could not start a request") }
        defer { curl_easy_cleanup(curl) }
        let transfer = Transfer(url: request.url, body: body)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }

        // No file://, ftp:// and the like, even if a URL from a server names them.
        guard hub_curl_allow_only_http(curl) == CURLE_OK else {
            throw TransportError(kind: .other, message: "libcurl cannot be limited to http and https")
        }
        _ = hub_curl_set_string(curl, CURLOPT_URL, request.url)
        _ = hub_curl_set_long(curl, CURLOPT_FOLLOWLOCATION, 0)
        _ = hub_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = hub_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        _ = hub_curl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = hub_curl_set_long(curl, CURLOPT_LOW_SPEED_TIME, stallTimeout)
        _ = hub_curl_set_string(curl, CURLOPT_USERAGENT, "rsr/0.1")
        if request.method == "HEAD" { _ = hub_curl_set_long(curl, CURLOPT_NOBODY, 1) }
        _ = hub_curl_set_pointer(curl, CURLOPT_HTTPHEADER, headerList)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = hub_curl_set_header(curl, { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            transfer.headerLine(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, context)
        _ = hub_curl_set_write(curl, { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.bodyChunk(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }, context)

        let code = withExtendedLifetime(transfer) { curl_easy_perform(curl) }
        if let error = transfer.failure { throw error }
        guard code == CURLE_OK else { throw Self.transportError(code) }
        var status = 0
        _ = hub_curl_get_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: transfer.headers, url: request.url)
    }

    private static func transportError(_ code: CURLcode) -> TransportError {
        let message = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return TransportError(kind: .cannotConnect, message: message)
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(kind: .timedOut, message: message)
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return TransportError(kind: .interrupted, message: message)
        default:
            return TransportError(kind: .other, message: message)
        }
    }
}

/// State of one transfer, reached from libcurl's callbacks.
private final class Transfer {
    let url: String
    let body: ((HTTPResponse, UnsafeRawBufferPointer) throws -> Void)?
    var status = 0
    var headers: [String: String] = [:]
    var failure: Error?

    init(url: String, body: ((HTTPResponse, UnsafeRawBufferPointer) throws -> Void)?) {
        self.url = url
        self.body = body
    }

    func headerLine(_ raw: UnsafeRawBufferPointer) {
        let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after a 100 Continue, say): start over.
            headers = [:]
            let parts = line.split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    func bodyChunk(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard let body else { return true }
        do {
            try body(HTTPResponse(status: status, headers: headers, url: url), chunk)
            return true
        } catch {
            failure = error
            return false
        }
    }
}
