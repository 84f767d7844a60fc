/// Reads protobuf wire format (varints, length-delimited fields, 32- and 64-bit fixed fields): just enough
/// for SentencePiece's ModelProto. Every read is bounds-checked; a truncated or malformed message is an
/// error naming the file and the field being read.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    let bytes: ArraySlice<UInt8>
    let file: String
    let path: String
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>, file: String, path: String = "") {
        self.bytes = bytes
        self.file = file
        self.path = path
        position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    func fail(_ problem: String, field: String? = nil) -> TokenizerError {
        let name = [path, field ?? ""].filter { !$0.isEmpty }.joined(separator: ".")
        return TokenizerError(file: file, field: name, "\(problem) (at byte \(position))")
    }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(TokenizerError) -> (number: Int, wireType: WireType)? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        guard let wireType = WireType(rawValue: key & 7) else { throw fail("invalid wire type \(key & 7)") }
        let number = key >> 3
        guard number > 0, number < 1 << 29 else { throw fail("invalid field number \(number)") }
        return (Int(number), wireType)
    }

    mutating func varint(field: String? = nil) throws(TokenizerError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw fail("truncated varint", field: field) }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw fail("varint longer than 10 bytes", field: field) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// An `int32` field: negative values are sign-extended to ten bytes on the wire.
    mutating func int32(field: String) throws(TokenizerError) -> Int {
        Int(Int32(truncatingIfNeeded: Int64(bitPattern: try varint(field: field))))
    }

    mutating func bool(field: String) throws(TokenizerError) -> Bool { try varint(field: field) != 0 }

    mutating func fixed32(field: String? = nil) throws(TokenizerError) -> UInt32 {
        guard bytes.endIndex - position >= 4 else { throw fail("truncated 32-bit field", field: field) }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return value
    }

    mutating func float(field: String) throws(TokenizerError) -> Float { Float(bitPattern: try fixed32(field: field)) }

    mutating func lengthDelimited(field: String? = nil) throws(TokenizerError) -> ArraySlice<UInt8> {
        let length = try varint(field: field)
        guard length <= UInt64(bytes.endIndex - position) else {
            throw fail("length \(length) runs past the end of the data", field: field)
        }
        let slice = bytes[position..<position + Int(length)]
        position += Int(length)
        return slice
    }

    mutating func string(field: String) throws(TokenizerError) -> String {
        let raw = try lengthDelimited(field: field)
        guard let text = String(validating: raw, as: UTF8.self) else { throw fail("is not valid UTF-8", field: field) }
        return text
    }

    /// Skips a field this reader does not need.
    mutating func skip(_ wireType: WireType) throws(TokenizerError) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64:
            guard bytes.endIndex - position >= 8 else { throw fail("truncated 64-bit field") }
            position += 8
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed32: _ = try fixed32()
        case .startGroup, .endGroup: throw fail("groups are not used by this message")
        }
    }
}
