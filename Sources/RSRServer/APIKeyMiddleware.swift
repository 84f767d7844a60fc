import Hummingbird

/// Refuses every request but /health without `Authorization: Bearer <key>`, comparing in constant time.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: [UInt8]

    init(key: String) { self.key = Array(key.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        let given = request.headers[.authorization].map { Array($0.utf8) } ?? []
        let prefix = Array("Bearer ".utf8)
        guard given.count == prefix.count + key.count, given.starts(with: prefix), Self.equal(Array(given.dropFirst(prefix.count)), key) else {
            return APIError(status: .unauthorized, message: "a valid API key is needed: Authorization: Bearer <key>",
                            type: "authentication_error").response
        }
        return try await next(request, context)
    }

    /// Whether two byte strings of the same length are equal, in time that does not depend on where they differ.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
