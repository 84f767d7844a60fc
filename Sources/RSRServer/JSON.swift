import Foundation
import Hummingbird

enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `value` encoded; the types here always encode.
    static func buffer(_ value: some Encodable) -> ByteBuffer {
        ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer(value)))
    }

    /// One server-sent event carrying `value`.
    static func event(_ value: some Encodable) -> ByteBuffer {
        var event = ByteBuffer(string: "data: ")
        var body = buffer(value)
        event.writeBuffer(&body)
        event.writeString("\n\n")
        return event
    }
}
