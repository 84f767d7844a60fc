/// GPT-2's reversible map from bytes to printable characters: the printable Latin-1 bytes map to
/// themselves, the other 68 (controls, space, DEL, NBSP, soft hyphen) to U+0100 onwards in byte order.
/// Byte-level vocabularies are written in this alphabet, so "Ġ" (U+0120) in a token is a space.
enum ByteLevelAlphabet {
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// Indexed by scalar value (all below 0x144); -1 where the scalar is not in the alphabet.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = Int(scalar.value)
        guard v < byteForScalar.count, byteForScalar[v] >= 0 else { return nil }
        return UInt8(byteForScalar[v])
    }

    /// Text to its byte-level spelling: every UTF-8 byte becomes one character of the alphabet.
    static func encode(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for s in scalars {
            if s.value < 0x80 {
                out.append(scalarForByte[Int(s.value)])
            } else {
                var bytes: [UInt8] = []
                Scalars.appendUTF8(s, to: &bytes)
                for b in bytes { out.append(scalarForByte[Int(b)]) }
            }
        }
        return out
    }
}
