import RSRCore

/// The plain definition of y = W x, computed in Swift independently of the kernel library.
func referenceProduct(_ w: LowBitMatrix, _ x: [Int8], batch: Int) -> [Int32] {
    var y = [Int32](repeating: 0, count: w.rows * batch)
    for v in 0..<batch {
        for r in 0..<w.rows {
            var acc: Int32 = 0
            for c in 0..<w.cols { acc += Int32(w.values[r * w.cols + c]) * Int32(x[v * w.cols + c]) }
            y[v * w.rows + r] = acc
        }
    }
    return y
}

func randomInt8(_ count: Int, using rng: inout SplitMix64) -> [Int8] {
    (0..<count).map { _ in Int8.random(in: .min ... .max, using: &rng) }
}

/// Matrices with shapes and contents that catch edge cases: 1x1, fewer rows than a block, column counts
/// that are multiples of nothing, and constant matrices (a single segment holding every column).
func awkwardMatrices(_ kind: WeightKind, seed: UInt64) throws -> [LowBitMatrix] {
    var rng = SplitMix64(seed: seed)
    let shapes = [(1, 1), (3, 1), (1, 7), (2, 9), (17, 33), (64, 130), (65, 257), (21, 528), (131, 1001), (97, 4099)]
    var out = try shapes.map { try LowBitMatrix.random(rows: $0.0, cols: $0.1, kind: kind, using: &rng) }
    let constants: [Int8] = kind == .ternary ? [-1, 0, 1] : [0, 1]
    for value in constants {
        out.append(try LowBitMatrix(rows: 37, cols: 300, kind: kind, values: .init(repeating: value, count: 37 * 300)))
    }
    return out
}

/// Every layout the library has, with the k values worth covering for classical RSR.
func allLayoutKinds(_ kind: WeightKind) -> [LayoutKind] {
    let ks = kind == .ternary ? [1, 2, 3, 4, 5, 6, 8] : [1, 2, 4, 7, 8, 12]
    return ks.map { LayoutKind.rsr(k: $0) } + [.rsrT, .packedI2, .sparseI2]
}
