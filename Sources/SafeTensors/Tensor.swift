/// A tensor's entry in a safetensors header.
public struct TensorInfo: Equatable, Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range in the data section (after the header).
    public let begin: Int
    public let end: Int

    public var byteCount: Int { end - begin }
    /// Product of the shape (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A tensor's bytes, read in place from the mapped file (kept mapped while the tensor lives).
public struct Tensor: @unchecked Sendable {
    public let info: TensorInfo
    public let bytes: UnsafeRawBufferPointer
    /// The file the tensor was read from.
    public let file: String
    let owner: AnyObject

    /// The values as Float. F16 and BF16 convert exactly; F64 rounds. Only this tensor is copied.
    public func floats() throws -> [Float] { try floats(in: 0..<info.elementCount) }

    /// The elements in `range` (row-major order) as Float.
    public func floats(in range: Range<Int>) throws -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= info.elementCount, "element range out of bounds")
        switch info.dtype {
        case .f32:
            return range.map { bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        case .f16:
            return range.map { Float(halfBits: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case .bf16:
            return range.map { Float(bitPattern: UInt32(bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16) }
        case .f64:
            return range.map { Float(bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
        default:
            throw SafeTensorsError(file: file, tensor: info.name, "has dtype \(info.dtype.rawValue), not a float type")
        }
    }

    /// The raw bytes as UInt8 (for U8/I8/BOOL tensors: the values themselves), copied.
    public var byteArray: [UInt8] { Array(bytes) }
}

extension Float {
    /// IEEE half precision to single, exactly (subnormals, infinities and NaN included).
    init(halfBits h: UInt16) {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0x1f {
            self.init(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        } else if exponent == 0 {
            // ±0 or subnormal: mantissa * 2^-24, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign != 0 ? -magnitude : magnitude
        } else {
            self.init(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}
