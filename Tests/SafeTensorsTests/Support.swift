import FileIO
import Foundation
import TestSupport

/// Raw bytes of a safetensors file with the given header text and data.
func safetensorsBytes(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    return withUnsafeBytes(of: (headerLength ?? UInt64(h.count)).littleEndian) { Array($0) } + h + data
}
