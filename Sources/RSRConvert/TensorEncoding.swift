import Foundation
import RSRCore
import RSRFormat
import SafeTensors

/// How the output head (and, when tied, the embeddings) is stored.
public enum EmbeddingFormat: String, CaseIterable, Sendable {
    /// q6 where the head's rows are whole 256-value blocks, as llama.cpp keeps its output head in Q6_K, for
    /// projections quantized to n-bit integers (`--quantize intN`) and for ternary models whose stored head
    /// has at least `largeHeadBytes`; such a head of other rows (bitnet_b1_58-3B's 3200 columns) takes int8
    /// rows, as llama.cpp falls back from Q6_K to Q8_0 there; otherwise as stored. Small ternary models and
    /// float conversions keep the stored head and so transformers' exact logits (a q6 head moves close greedy
    /// steps of the default model; see docs/QUALITY.md).
    case auto
    /// As in the checkpoint (F32, F16 or BF16).
    case stored
    case f16
    /// Q8_ROW: int8 with one f32 scale per row.
    case int8
    /// Q4_32 (ggml's Q4_0): 4 bits per value, one f16 scale per 32.
    case q4
    /// Q6_256: 6 bits per value with an int8 scale per 16 and an f16 one per 256 (6.5625 bits per value;
    /// llama.cpp's Q6_K, whose scales it chooses the same way).
    case q6

    /// Stored heads from this size take q6 by default in ternary conversions. A head this large outgrows the
    /// last-level cache, so a decoded token reads it from memory, and its bytes are time (BitNet 2B4T's BF16
    /// head is 60% of a token's bytes); every ternary preset's head is larger (98 MB to 1 GB), the project's
    /// trained models' are under 3 MB.
    static let largeHeadBytes = 64 << 20

    /// The format `auto` stands for in a conversion; the others stand for themselves.
    func resolved(quantizingIntegers: Bool, ternary: Bool, headBytes: Int, cols: Int) -> EmbeddingFormat {
        guard self == .auto else { return self }
        let large = headBytes >= Self.largeHeadBytes
        guard quantizingIntegers || (ternary && large) else { return .stored }
        if cols % 256 == 0 { return .q6 }
        // int8 rows drift less than q6 (docs/QUALITY.md) and halve a 16-bit head, whose bytes are time here
        return large ? .int8 : .stored
    }

    func type(storing dtype: DType) -> TensorType {
        switch self {
        case .stored, .auto: dtype == .f16 ? .f16 : dtype == .bf16 ? .bf16 : .f32
        case .f16: .f16
        case .int8: .q8Row
        case .q4: .q4_32
        case .q6: .q6_256
        }
    }

    /// The blocked formats' row length rule.
    var columnMultiple: Int? {
        switch self {
        case .q4: 32
        case .q6: 256
        default: nil
        }
    }
}

/// Writes checkpoint tensors into model-file sections in a chosen element type.
enum TensorEncoding {
    /// Rows converted per task when quantizing a matrix on all cores.
    private static let rowsPerTask = 256

    static func write(_ tensor: Tensor, as type: TensorType, to writer: ModelFileWriter) throws -> TensorEntry {
        let shape = tensor.info.shape
        guard let byteCount = type.byteCount(shape: shape) else {
            throw ConvertError(tensor.file, "tensor \(tensor.info.name) of shape \(shape) cannot be stored as \(type.rawValue)")
        }
        let section: Int
        if type.rawValue == tensor.info.dtype.rawValue {
            section = try writer.addSection(.tensor, tensor.bytes)  // already in the wanted type: copied verbatim
        } else {
            var out = [UInt8](repeating: 0, count: byteCount)
            try out.withUnsafeMutableBytes { try encode(tensor, as: type, into: $0) }
            section = try writer.addSection(.tensor, out)
        }
        return TensorEntry(section: section, type: type, shape: shape, source: tensor.info.name)
    }

    private static func encode(_ tensor: Tensor, as type: TensorType, into out: UnsafeMutableRawBufferPointer) throws {
        let shape = tensor.info.shape
        let cols = shape.count == 2 ? shape[1] : tensor.info.elementCount
        let rows = tensor.info.elementCount / cols
        let tasks = (rows + rowsPerTask - 1) / rowsPerTask
        let failure = Locked<Error?>(nil)
        nonisolated(unsafe) let out = out  // each task writes its own rows
        DispatchQueue.concurrentPerform(iterations: tasks) { task in
            let r0 = task * rowsPerTask, r1 = min(rows, r0 + rowsPerTask)
            do {
                let values = try tensor.floats(in: r0 * cols..<r1 * cols)
                if !type.isFloat, let bad = values.firstIndex(where: { !$0.isFinite }) {
                    throw ConvertError(tensor.file, "tensor \(tensor.info.name) holds \(values[bad]) at row \(r0 + bad / cols); it cannot be quantized")
                }
                if type == .q6_256 {
                    let rowBytes = cols / 256 * 210
                    try values.withUnsafeBufferPointer {
                        try DenseTensor.quantizeQ6($0, rows: r1 - r0, cols: cols, into: UnsafeMutableRawBufferPointer(rebasing: out[r0 * rowBytes..<r1 * rowBytes]))
                    }
                    return
                }
                for r in r0..<r1 {
                    let row = values[(r - r0) * cols..<(r - r0 + 1) * cols]
                    encodeRow(row, index: r, rows: rows, cols: cols, as: type, into: out)
                }
            } catch {
                failure.set(error)
            }
        }
        if let error = failure.value { throw error }
    }

    private static func encodeRow(_ row: ArraySlice<Float>, index r: Int, rows: Int, cols: Int, as type: TensorType,
                                  into out: UnsafeMutableRawBufferPointer) {
        switch type {
        case .f32:
            for (c, v) in row.enumerated() { out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: (r * cols + c) * 4, as: UInt32.self) }
        case .f16:
            for (c, v) in row.enumerated() { out.storeBytes(of: Float16(v).bitPattern.littleEndian, toByteOffset: (r * cols + c) * 2, as: UInt16.self) }
        case .bf16:
            for (c, v) in row.enumerated() { out.storeBytes(of: v.bfloat16Bits.littleEndian, toByteOffset: (r * cols + c) * 2, as: UInt16.self) }
        case .q8Row:
            let (scale, q) = Quantize.q8(row)
            for (c, v) in q.enumerated() { out[r * cols + c] = UInt8(bitPattern: v) }
            out.storeBytes(of: scale.bitPattern.littleEndian, toByteOffset: TensorType.q8ScalesOffset(rows: rows, cols: cols) + r * 4, as: UInt32.self)
        case .q4_32:
            for block in 0..<cols / 32 {
                let start = row.startIndex + block * 32
                let bytes = Quantize.q4Block(row[start..<start + 32])
                let offset = (r * cols / 32 + block) * 18
                for (i, b) in bytes.enumerated() { out[offset + i] = b }
            }
        case .q6_256:
            break // whole tasks at once, in encode
        }
    }
}

/// Row and block quantizers of the head formats.
enum Quantize {
    /// Symmetric int8 for one row: scale = max|x| / 127, q = round(x / scale) (half to even).
    static func q8(_ row: ArraySlice<Float>) -> (scale: Float, values: [Int8]) {
        let amax = row.reduce(0) { max($0, abs($1)) }
        guard amax > 0, amax.isFinite else { return (0, [Int8](repeating: 0, count: row.count)) }
        let scale = amax / 127, inverse = 1 / scale
        return (scale, row.map { Int8(max(-127, min(127, ($0 * inverse).rounded(.toNearestOrEven)))) })
    }

    /// ggml's Q4_0 block of 32: d = (the value of largest magnitude) / -8, q = min(15, trunc(x / d + 8.5));
    /// byte j holds q[j] in its low nibble and q[j + 16] in its high one; 2 bytes of f16 d first.
    static func q4Block(_ x: ArraySlice<Float>) -> [UInt8] {
        var extreme: Float = 0
        for v in x where abs(v) > abs(extreme) { extreme = v }
        let d = extreme / -8
        let inverse: Float = d != 0 ? 1 / d : 0
        let q = x.map { UInt8(min(15, Int8(clamping: Int(($0 * inverse + 8.5).rounded(.towardZero))))) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(18)
        withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { bytes += $0 }
        for j in 0..<16 { bytes.append(q[j] | q[j + 16] << 4) }
        return bytes
    }
}

/// A value shared between concurrent tasks.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }
    func set(_ value: Value) { lock.withLock { stored = value } }
}
