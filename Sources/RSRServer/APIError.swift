import Hummingbird
import RSREngine

/// An error answer in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`.
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String
    let type: String
    var param: String?
    /// Seconds a client should wait before trying again (429, 503).
    var retryAfter: Int?

    static func invalid(_ message: String, param: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param)
    }

    var response: Response {
        struct Body: Encodable {
            let error: Detail
            struct Detail: Encodable {
                let message: String
                let type: String
                let param: String?
                let code: String?
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(message, forKey: .message)
                    try c.encode(type, forKey: .type)
                    try c.encode(param, forKey: .param)  // null when absent, as OpenAI writes it
                    try c.encode(code, forKey: .code)
                }
                enum CodingKeys: String, CodingKey { case message, type, param, code }
            }
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let body = Body(error: .init(message: message, type: type, param: param, code: nil))
        return Response(status: status, headers: headers, body: .init(byteBuffer: JSON.buffer(body)))
    }
}

extension APIError {
    /// Why the engine did not take a request, as the status clients expect: a full queue 429, an engine
    /// not serving 503 (both worth retrying after a second), an impossible request 400.
    init(_ error: any Error) {
        switch error as? EngineError {
        case .queueFull(let waiting):
            self.init(status: .tooManyRequests, message: "the server is busy: \(waiting) requests are waiting", type: "rate_limit_error",
                      retryAfter: 1)
        case .unavailable(let why):
            self.init(status: .serviceUnavailable, message: why, type: "server_error", retryAfter: 1)
        case .invalid(let why):
            self = .invalid(why)
        case nil:
            self.init(status: .internalServerError, message: "\(error)", type: "server_error")
        }
    }
}
