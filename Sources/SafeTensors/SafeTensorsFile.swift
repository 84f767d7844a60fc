import FileIO
import Foundation

/// A safetensors file, mapped and validated the way the reference implementation does: an 8-byte
/// little-endian header length (at most 100 MB), a UTF-8 JSON header that starts with `{`, and tensors
/// whose `data_offsets` tile the data section exactly, each spanning product(shape) x dtype size bytes.
public final class SafeTensorsFile: @unchecked Sendable {
    public static let maxHeaderBytes = 100_000_000

    public let path: String
    /// Tensors in the order of their data.
    public let tensors: [TensorInfo]
    /// The header's `__metadata__` (string to string).
    public let metadata: [String: String]
    private let byName: [String: TensorInfo]
    private let file: MappedFile
    private let dataStart: Int

    public convenience init(path: String) throws {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let error as FileIOError {
            throw SafeTensorsError(file: path, "cannot be read: \(error)")
        }
        try self.init(mapped: file)
    }

    public init(mapped file: MappedFile) throws {
        let name = file.path
        let bytes = file.bytes
        func fail(_ problem: String, tensor: String? = nil) -> SafeTensorsError {
            SafeTensorsError(file: name, tensor: tensor, problem)
        }
        guard bytes.count >= 8 else { throw fail("is \(bytes.count) bytes, too short for the 8-byte header length") }
        let headerLength = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw fail("header length \(headerLength) exceeds the limit of \(Self.maxHeaderBytes) bytes")
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<8 + Int(headerLength)])
        guard let text = String(validating: header, as: UTF8.self) else { throw fail("header is not valid UTF-8") }
        guard text.first == "{" else { throw fail("header does not start with '{'") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(header)), let entries = object as? [String: Any] else {
            throw fail("header is not a valid JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        for (key, value) in entries {
            if key == "__metadata__" {
                guard let map = value as? [String: Any], let strings = map as? [String: String] else {
                    throw fail("must map strings to strings", tensor: key)
                }
                metadata = strings
            } else {
                tensors.append(try Self.parse(key, value) { fail($0, tensor: key) })
            }
        }

        // The data offsets must tile the data section: sorted by start, each begins where the last ended.
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        for t in tensors {
            guard t.begin == expected else {
                throw fail(t.begin > expected ? "data starts at \(t.begin), leaving a hole after byte \(expected)"
                                              : "data starts at \(t.begin), overlapping the previous tensor (ends at \(expected))",
                           tensor: t.name)
            }
            expected = t.end
        }
        let dataStart = 8 + Int(headerLength)
        guard expected == bytes.count - dataStart else {
            throw fail("tensors cover \(expected) bytes of data but the file holds \(bytes.count - dataStart)")
        }
        self.path = name
        self.file = file
        self.dataStart = dataStart
        self.tensors = tensors
        self.metadata = metadata
        self.byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
    }

    private static func parse(_ name: String, _ value: Any, fail: (String) -> SafeTensorsError) throws -> TensorInfo {
        guard let entry = value as? [String: Any] else { throw fail("entry is not a JSON object") }
        guard let dtypeName = entry["dtype"] as? String else { throw fail("has no dtype string") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw fail("has unknown dtype '\(dtypeName)' (known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let shape = integers(entry["shape"]) else { throw fail("shape must be a list of integers") }
        guard let offsets = integers(entry["data_offsets"]) else { throw fail("data_offsets must be a list of integers") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("shape \(shape) has a negative dimension") }
        guard offsets.count == 2, offsets[0] >= 0, offsets[1] >= offsets[0] else {
            throw fail("data_offsets \(offsets) must be [begin, end] with 0 <= begin <= end")
        }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw fail("shape \(shape) overflows when multiplied out") }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else { throw fail("shape \(shape) of \(dtypeName) overflows in bytes") }
        guard bytes == offsets[1] - offsets[0] else {
            throw fail("shape \(shape) of \(dtypeName) needs \(bytes) bytes but data_offsets span \(offsets[1] - offsets[0])")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// A JSON array of integers (not floats, booleans, or numbers past Int's range), else nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var out: [Int] = []
        for element in array {
            guard let number = element as? NSNumber, "ilqs".contains(String(cString: number.objCType)) else { return nil }
            out.append(number.intValue)
        }
        return out
    }

    public var tensorNames: [String] { tensors.map(\.name) }

    public func info(_ name: String) -> TensorInfo? { byName[name] }

    public func tensor(_ name: String) throws -> Tensor {
        guard let info = byName[name] else { throw SafeTensorsError(file: path, tensor: name, "is not in the file") }
        let start = dataStart + info.begin
        return Tensor(info: info, bytes: UnsafeRawBufferPointer(rebasing: file.bytes[start..<start + info.byteCount]),
                      file: path, owner: file)
    }
}
