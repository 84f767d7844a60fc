import FileIO
import Foundation

/// Writes safetensors files that the reference implementation reads: tensors ordered by element size
/// (largest first, then by name) so each starts aligned to its size, the JSON header padded with spaces
/// to a multiple of 8 bytes. The file appears atomically (temporary file, fsync, rename).
public enum SafeTensorsWriter {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public let data: [UInt8]

        public init(name: String, dtype: DType, shape: [Int], data: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }

        /// A float tensor stored as F32, F16 (rounded to nearest even) or BF16 (rounded to nearest even).
        public init(name: String, floats: [Float], shape: [Int], as dtype: DType = .f32) {
            var data: [UInt8] = []
            data.reserveCapacity(floats.count * dtype.size)
            for value in floats {
                switch dtype {
                case .f16: withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { data += $0 }
                case .bf16: withUnsafeBytes(of: value.bfloat16Bits.littleEndian) { data += $0 }
                default: withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 }
                }
            }
            self.init(name: name, dtype: dtype == .f16 || dtype == .bf16 ? dtype : .f32, shape: shape, data: data)
        }
    }

    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to path: String) throws {
        let data = Dictionary(entries.map { ($0.name, $0.data) }, uniquingKeysWith: { first, _ in first })
        for e in entries where e.shape.allSatisfy({ $0 >= 0 }) && e.shape.reduce(1, *) * e.dtype.size != e.data.count {
            throw SafeTensorsError(file: path, tensor: e.name, "shape \(e.shape) of \(e.dtype.rawValue) needs \(e.shape.reduce(1, *) * e.dtype.size) bytes, given \(e.data.count)")
        }
        try write(entries.map { TensorSpec(name: $0.name, dtype: $0.dtype, shape: $0.shape) }, metadata: metadata, to: path) {
            data[$0.name]!
        }
    }

    /// A tensor to write whose bytes are produced when its turn comes.
    public struct TensorSpec: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]

        public init(name: String, dtype: DType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        public var byteCount: Int { shape.reduce(1, *) * dtype.size }
    }

    /// Writes tensors whose contents `contents` produces one at a time, so a file larger than memory can
    /// be written. Each call must return exactly the tensor's byte count.
    public static func write(_ specs: [TensorSpec], metadata: [String: String] = [:], to path: String,
                             contents: (TensorSpec) throws -> [UInt8]) throws {
        var seen = Set<String>()
        for e in specs {
            guard e.name != "__metadata__", seen.insert(e.name).inserted else {
                throw SafeTensorsError(file: path, tensor: e.name, "appears twice or uses the reserved name __metadata__")
            }
            guard e.shape.allSatisfy({ $0 >= 0 }) else { throw SafeTensorsError(file: path, tensor: e.name, "has a negative dimension in \(e.shape)") }
        }
        let ordered = specs.sorted { ($1.dtype.size, $0.name) < ($0.dtype.size, $1.name) }
        var header = "{"
        if !metadata.isEmpty {
            header += "\"__metadata__\":" + jsonObject(metadata.sorted { $0.key < $1.key }.map { (json($0.key), json($0.value)) })
        }
        var offset = 0
        for e in ordered {
            if header.count > 1 { header += "," }
            let fields = [("\"dtype\"", json(e.dtype.rawValue)), ("\"shape\"", "[" + e.shape.map(String.init).joined(separator: ",") + "]"),
                          ("\"data_offsets\"", "[\(offset),\(offset + e.byteCount)]")]
            header += json(e.name) + ":" + jsonObject(fields)
            offset += e.byteCount
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        try AtomicFile.write(to: path) { sink in
            try sink.write(withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) })
            try sink.write(headerBytes)
            for e in ordered {
                let data = try contents(e)
                guard data.count == e.byteCount else {
                    throw SafeTensorsError(file: path, tensor: e.name, "shape \(e.shape) of \(e.dtype.rawValue) needs \(e.byteCount) bytes, given \(data.count)")
                }
                try sink.write(data)
            }
        }
    }

    private static func jsonObject(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\($0.0):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal.
    static func json(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension Float {
    /// bfloat16 bits, rounded to nearest even (NaN stays NaN).
    public var bfloat16Bits: UInt16 {
        if isNaN { return 0x7fc0 }
        let bits = bitPattern
        let rounded = bits &+ 0x7fff &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }
}
