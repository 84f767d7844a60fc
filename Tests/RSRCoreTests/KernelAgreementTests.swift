import RSRCore
import Testing

/// Every kernel, at every instruction-set level this CPU has, must equal the reference exactly.
@Suite struct KernelAgreementTests {
    static let isas = ISA.supported

    @Test(arguments: WeightKind.allCases, isas)
    func int8ProductsMatchReference(kind: WeightKind, isa: ISA) throws {
        var rng = SplitMix64(seed: 7 + UInt64(isa.rawValue))
        let batches = [1, 2, 3, 5, 8, 17]
        for (m, matrix) in try awkwardMatrices(kind, seed: 11).enumerated() {
            for (l, layoutKind) in allLayoutKinds(kind).enumerated() {
                let layout = try Layout(matrix, as: layoutKind)
                let batch = batches[(m + l) % batches.count]
                let threads = 1 + (m + l) % 4
                let pool = try ThreadPool(threads: threads)
                pool.limitISA(to: isa)
                #expect(pool.isa == isa)
                let x = randomInt8(batch * matrix.cols, using: &rng)
                let y = try layout.multiply(x, batch: batch, pool: pool)
                #expect(y == referenceProduct(matrix, x, batch: batch),
                        "\(layoutKind) \(kind) \(matrix.rows)x\(matrix.cols) batch \(batch) threads \(threads) \(isa)")
            }
        }
    }

    @Test(arguments: WeightKind.allCases, isas)
    func float32ProductsMatchReference(kind: WeightKind, isa: ISA) throws {
        // Integer-valued floats keep every partial sum exact, so any summation order must agree exactly.
        var rng = SplitMix64(seed: 99 + UInt64(isa.rawValue))
        for (m, matrix) in try awkwardMatrices(kind, seed: 12).enumerated() {
            for layoutKind in allLayoutKinds(kind) where layoutKind != .packedI2 {
                let layout = try Layout(matrix, as: layoutKind)
                let batch = [1, 4, 17][m % 3]
                let pool = try ThreadPool(threads: 1 + m % 3)
                pool.limitISA(to: isa)
                let x = randomInt8(batch * matrix.cols, using: &rng)
                let y = try layout.multiply(x.map(Float.init), batch: batch, pool: pool)
                #expect(y == referenceProduct(matrix, x, batch: batch).map(Float.init),
                        "\(layoutKind) \(kind) \(matrix.rows)x\(matrix.cols) batch \(batch) \(isa)")
            }
        }
    }

    /// Batches that fill one or two 64-vector tiles and spill into another, through every level.
    @Test(arguments: isas)
    func largeBatchesMatchReference(isa: ISA) throws {
        var rng = SplitMix64(seed: 31)
        let matrix = try LowBitMatrix.random(rows: 70, cols: 300, kind: .ternary, using: &rng)
        for (i, batch) in [64, 65, 129, 200].enumerated() {
            let kind = [LayoutKind.rsr(k: 4), .rsr(k: 5), .packedI2, .rsrT][i]
            let pool = try ThreadPool(threads: 1 + i % 2)
            pool.limitISA(to: isa)
            let layout = try Layout(matrix, as: kind)
            let x = randomInt8(batch * matrix.cols, using: &rng)
            #expect(try layout.multiply(x, batch: batch, pool: pool) == referenceProduct(matrix, x, batch: batch), "\(kind) batch \(batch)")
            if kind != .packedI2 {
                let y = try layout.multiply(x.map(Float.init), batch: batch, pool: pool)
                #expect(y == referenceProduct(matrix, x, batch: batch).map(Float.init), "\(kind) f32 batch \(batch)")
            }
        }
    }

    /// More than 65535 columns: 32-bit permutation indices.
    @Test func wideMatricesMatchReference() throws {
        var rng = SplitMix64(seed: 41)
        let matrix = try LowBitMatrix.random(rows: 7, cols: 70_001, kind: .ternary, using: &rng)
        let pool = try ThreadPool(threads: 2)
        for kind in [LayoutKind.rsr(k: 3), .rsrT, .packedI2] {
            let layout = try Layout(matrix, as: kind, pool: pool)
            for batch in [1, 3] {
                let x = randomInt8(batch * matrix.cols, using: &rng)
                #expect(try layout.multiply(x, batch: batch, pool: pool) == referenceProduct(matrix, x, batch: batch), "\(kind) batch \(batch)")
            }
        }
    }

    @Test func resultsDoNotDependOnThreadCount() throws {
        var rng = SplitMix64(seed: 5)
        let matrix = try LowBitMatrix.random(rows: 300, cols: 700, kind: .ternary, using: &rng)
        let x = (0..<3 * 700).map { _ in Float.random(in: -1...1, using: &rng) } // real floats: order matters
        for kind in [LayoutKind.rsr(k: 4), .rsrT] {
            let layout = try Layout(matrix, as: kind)
            let single = try layout.multiply(x, batch: 3, pool: ThreadPool(threads: 1))
            for threads in 2...4 {
                #expect(try layout.multiply(x, batch: 3, pool: ThreadPool(threads: threads)) == single, "\(kind) threads \(threads)")
            }
        }
    }
}
