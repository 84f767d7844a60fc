import FileIO
import Foundation
import RSRConvert
import RSRCore
import RSRFormat
import SafeTensors
import TestSupport

/// transformers' decoding of ternary weights, written out plainly as the tests' reference.
enum Reference {
    /// unpack_weights: row i*P + r, column c of W is ((packed[r][c] >> 2i) & 3) - 1.
    static func unpack(_ packed: [UInt8], rows: Int, cols: Int) -> [Int8] {
        let p = rows / 4
        var w = [Int8](repeating: 0, count: rows * cols)
        for i in 0..<4 {
            for r in 0..<p {
                for c in 0..<cols { w[(i * p + r) * cols + c] = Int8((packed[r * cols + c] >> (2 * i)) & 3) - 1 }
            }
        }
        return w
    }

    /// WeightQuant: scale = 1 / max(mean |w|, 1e-5); round(w * scale) half to even, clamped to [-1, 1].
    static func absmean(_ w: [Float]) -> (values: [Int8], scale: Float) {
        let mean = Float(w.reduce(0.0) { $0 + Double(abs($1)) } / Double(w.count))
        let scale = 1 / max(mean, 1e-5)
        return (w.map { Int8(max(-1, min(1, ($0 * scale).rounded(.toNearestOrEven)))) }, scale)
    }

    /// The ternary matrix and scale of a projection, straight from the checkpoint.
    static func projection(_ checkpoint: Checkpoint, _ name: String, rows: Int, cols: Int) throws -> (values: [Int8], scale: Float) {
        let tensor = try checkpoint.tensor(name)
        if tensor.info.dtype == .u8 {
            let scale = try checkpoint.tensor(name + "_scale").floats()[0]
            return (unpack(tensor.byteArray, rows: rows, cols: cols), scale)
        }
        return absmean(try tensor.floats())
    }
}

/// Converts a directory with options, returning the opened file.
func convert(_ directory: String, to output: String, _ configure: (inout ConvertOptions) -> Void = { _ in }) throws -> (ModelFile, ConvertSummary) {
    var options = ConvertOptions()
    options.threads = 2
    configure(&options)
    let summary = try Converter(directory: directory, options: options).convert(to: output)
    return (try ModelFile(path: output), summary)
}

func fixture(_ name: String) -> String { Path.join(fixturesDirectory, name) }

/// The first index where two weight arrays differ (nil when equal), so a failure prints one position
/// rather than two million values.
func firstDifference(_ a: [Int8], _ b: [Int8]) -> Int? {
    guard a.count == b.count else { return -1 }
    return a.indices.first { a[$0] != b[$0] }
}
