import CRSRKernels
import RSRCore
import Testing

/// Every kernel, at every instruction-set level this CPU has, must equal the reference exactly.
@Suite struct KernelAgreementTests {
    static let isas = ISA.supported

    @Test(arguments: WeightKind.allCases, isas)
    func int8ProductsMatchReference(kind: WeightKind, isa: ISA) throws {
        var rng = SplitMix64(seed: 7 + UInt64(isa.rawValue))
        let batches = [1, 2, 3, 5, 8, 16, 17, 32, 33]
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
            for layoutKind in allLayoutKinds(kind) where layoutKind != .packedI2 && layoutKind != .sparseI2 { // int8 only
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
        // Inputs wider than AVX2's 128-vector tiles (2600 columns take 325 KB of transposed rows): 64-vector tiles.
        let wide = try LowBitMatrix.random(rows: 9, cols: 2600, kind: .ternary, using: &rng)
        let pool = try ThreadPool(threads: 2)
        pool.limitISA(to: isa)
        let x = randomInt8(129 * wide.cols, using: &rng)
        #expect(try Layout(wide, as: .rsr(k: 4)).multiply(x, batch: 129, pool: pool) == referenceProduct(wide, x, batch: 129), "wide inputs, batch 129")
        // 2100 columns of a 128-vector tile (262 KB): AVX2 prefetches the gathered rows ahead.
        let prefetched = try LowBitMatrix.random(rows: 9, cols: 2100, kind: .ternary, using: &rng)
        let xp = randomInt8(128 * prefetched.cols, using: &rng)
        #expect(try Layout(prefetched, as: .rsr(k: 4)).multiply(xp, batch: 128, pool: pool) == referenceProduct(prefetched, xp, batch: 128), "prefetched tile, batch 128")
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

    @Test(arguments: isas)
    func productsOfOneInputEqualEachAlone(isa: ISA) throws {
        var rng = SplitMix64(seed: 23 + UInt64(isa.rawValue))
        for kind in WeightKind.allCases {
            // rsr-t of one width (the shared form where the ISA has it: row counts that end in short quads
            // and tiles), a list that mixes kernels (one product each), classical RSR of one k (shared at
            // batches of two and more, over one and two tiles of vectors) and of two (one product each), and
            // packed-i2 (one job: tasks of every product, rows that end in short tiles)
            let matrices = try [300, 64, 17, 1000].map { try LowBitMatrix.random(rows: $0, cols: 403, kind: kind, using: &rng) }
            let lists = [try matrices.map { try Layout($0, as: .rsrT) },
                         try [Layout(matrices[0], as: .rsrT), Layout(matrices[1], as: .packedI2), Layout(matrices[2], as: .rsr(k: 4))],
                         try matrices.map { try Layout($0, as: .rsr(k: 4)) },
                         try [Layout(matrices[0], as: .rsr(k: 4)), Layout(matrices[1], as: .rsr(k: 5))],
                         try matrices.map { try Layout($0, as: .packedI2) }]
            for (list, batch, threads) in [(0, 1, 1), (0, 1, 2), (0, 3, 3), (0, 2, 4), (1, 1, 2), (1, 5, 2),
                                           (2, 1, 2), (2, 3, 1), (2, 70, 3), (2, 129, 2), (3, 40, 2),
                                           (4, 1, 2), (4, 8, 2), (4, 11, 3), (4, 3, 1)] {
                let layouts = lists[list]
                let pool = try ThreadPool(threads: threads)
                pool.limitISA(to: isa)
                let x = randomInt8(batch * 403, using: &rng)
                let outputs = try productsOfOneInput(layouts, x, batch: batch, pool: pool)
                for (layout, y) in zip(layouts, outputs) {
                    #expect(y == (try layout.multiply(x, batch: batch, pool: pool)), "\(kind) \(layout.kind) \(layout.rows) rows, list \(list), batch \(batch), threads \(threads), \(isa)")
                }
            }
        }
    }

    /// The products of `x` with every layout, run as one (Layout.multiply of a list).
    func productsOfOneInput(_ layouts: [Layout], _ x: [Int8], batch: Int, pool: ThreadPool) throws -> [[Int32]] {
        var outputs = layouts.map { [Int32](repeating: -1, count: batch * $0.rows) }
        try x.withUnsafeBufferPointer { xp in
            let pointers = outputs.indices.map { j in UnsafeMutablePointer<Int32>.allocate(capacity: outputs[j].count) }
            defer { pointers.forEach { $0.deallocate() } }
            try Layout.multiply(layouts, xp.baseAddress!, batch: batch, into: pointers, workspace: Workspace(), pool: pool)
            for j in outputs.indices { outputs[j] = Array(UnsafeBufferPointer(start: pointers[j], count: outputs[j].count)) }
        }
        return outputs
    }

    @Test func productsOfOneInputNeedOneInputWidth() throws {
        var rng = SplitMix64(seed: 29)
        let layouts = try [403, 404].map { try Layout(LowBitMatrix.random(rows: 70, cols: $0, kind: .ternary, using: &rng), as: .rsrT) }
        let x = [Int8](repeating: 1, count: 404)
        let y = (0..<2).map { _ in UnsafeMutablePointer<Int32>.allocate(capacity: 70) }
        defer { y.forEach { $0.deallocate() } }
        #expect(throws: KernelError.self) {
            try Layout.multiply(layouts, x, batch: 1, into: y, workspace: Workspace(), pool: ThreadPool(threads: 2))
        }
    }

    /// A product writes nothing past the work area rsr_work_size asks for: rows of every residue modulo k,
    /// so that some batch ends in a short block after a full staging buffer (rsr-batch.c).
    @Test func productsWriteOnlyTheWorkAreaTheyAskFor() throws {
        var rng = SplitMix64(seed: 31)
        for kind in WeightKind.allCases {
            for k in kind == .ternary ? [3, 5] : [7] {
                for rows in stride(from: 150, through: 250, by: 1) {
                    let matrix = try LowBitMatrix.random(rows: rows, cols: 24, kind: kind, using: &rng)
                    let layout = try Layout(matrix, as: .rsr(k: k))
                    let batch = 2 + rows % 3
                    let need = try layout.workBytes(.int8, batch: batch, threads: 1)
                    var work = [UInt8](repeating: 0xA5, count: need + 4096)
                    let x = randomInt8(batch * 24, using: &rng)
                    var y = [Int32](repeating: 0, count: batch * rows)
                    let status = layout.withBytes { bytes in
                        work.withUnsafeMutableBytes { w in
                            rsr_matmul_i8(bytes.baseAddress, UInt64(bytes.count), x, UInt32(batch), &y, w.baseAddress, UInt64(need), nil)
                        }
                    }
                    #expect(status == RSR_OK)
                    #expect(work[need...].allSatisfy { $0 == 0xA5 }, "\(kind) k \(k) \(rows) rows, batch \(batch)")
                    #expect(y == referenceProduct(matrix, x, batch: batch), "\(kind) k \(k) \(rows) rows, batch \(batch)")
                }
            }
        }
    }

    /// Rows of all +1, all -1 and alternating signs against inputs of -128, 127 and alternating extremes, over
    /// enough columns for several runs of int16 sums: every group's sum is at its largest magnitude. One
    /// vector; four, so that packed-i2 on AVX2 takes its tables and classical RSR its narrow tiles; and 130,
    /// two full byte tiles and a third, whose segments of more than 256 rows take several runs.
    @Test(arguments: WeightKind.allCases, isas)
    func extremeRowsAndInputsStayExact(kind: WeightKind, isa: ISA) throws {
        let cols = 1403, low: Int8 = kind == .ternary ? -1 : 0
        let rowPatterns: [(Int) -> Int8] = [{ _ in 1 }, { _ in low }, { $0 % 2 == 0 ? 1 : low }, { $0 % 7 < 3 ? low : 1 }]
        let values = (0..<130).flatMap { r in (0..<cols).map { rowPatterns[r % rowPatterns.count]($0) } }
        let matrix = try LowBitMatrix(rows: 130, cols: cols, kind: kind, values: values)
        let inputs: [(Int) -> Int8] = [{ _ in -128 }, { _ in 127 }, { $0 % 2 == 0 ? 127 : -128 }, { $0 % 2 == 0 ? -128 : 127 }]
        for batch in [1, 4, 130] {
            let x = (0..<batch).flatMap { v in (0..<cols).map(inputs[v % inputs.count]) }
            for layoutKind in allLayoutKinds(kind) {
                let pool = try ThreadPool(threads: 2)
                pool.limitISA(to: isa)
                let y = try Layout(matrix, as: layoutKind).multiply(x, batch: batch, pool: pool)
                #expect(y == referenceProduct(matrix, x, batch: batch), "\(layoutKind) \(kind) batch \(batch) \(isa)")
            }
        }
    }

    /// packed-i2 on AVX2 looks weights up in tables from 4 vectors: more row tiles than two threads' tasks take
    /// at once, column tiles that end in a short run of tables, and batches whose last group of 8 vectors is
    /// short, alone and as products of one input.
    @Test(arguments: WeightKind.allCases)
    func packedI2TableProductsCoverEveryTaskAndGroup(kind: WeightKind) throws {
        var rng = SplitMix64(seed: 43)
        let matrices = try [4200, 33].map { try LowBitMatrix.random(rows: $0, cols: 403, kind: kind, using: &rng) }
        let layouts = try matrices.map { try Layout($0, as: .packedI2) }
        for isa in Self.isas {
            for (batch, threads) in [(4, 2), (12, 2), (17, 3)] {
                let pool = try ThreadPool(threads: threads)
                pool.limitISA(to: isa)
                let x = randomInt8(batch * 403, using: &rng)
                let expected = matrices.map { referenceProduct($0, x, batch: batch) }
                #expect(try layouts[0].multiply(x, batch: batch, pool: pool) == expected[0], "\(kind) batch \(batch) threads \(threads) \(isa)")
                let outputs = try productsOfOneInput(layouts, x, batch: batch, pool: pool)
                #expect(outputs == expected, "\(kind) both, batch \(batch) threads \(threads) \(isa)")
            }
        }
    }

    /// rsr-t's row parts share out their ends: a task that runs out of its own quads takes the others' from
    /// their backs. With more threads than cores, parts start late and lose quads to the early ones, and
    /// every such schedule gives the reference's integers.
    @Test func rsrTPartsSharingTheirQuadsGiveTheReference() throws {
        var rng = SplitMix64(seed: 11)
        let matrix = try LowBitMatrix.random(rows: 256 * 21 + 17, cols: 640, kind: .ternary, using: &rng) // 22 quads, the last short
        let layout = try Layout(matrix, as: .rsrT)
        let x = randomInt8(matrix.cols, using: &rng)
        let expected = referenceProduct(matrix, x, batch: 1)
        for threads in [2, 3, 5] {
            let pool = try ThreadPool(threads: threads)
            for round in 0..<10 {
                #expect(try layout.multiply(x, batch: 1, pool: pool) == expected, "threads \(threads), round \(round)")
            }
        }
    }

    /// sparse-i2 multiplies only the nonzero inputs, two columns at a time: inputs with no zeros, half, nine in
    /// ten, all and all but one, an odd and an even count of nonzero ones, and rows past a whole 256-row block,
    /// on several threads and vectors, equal the reference; so do runs of more than 63 pairs at the int16 sums'
    /// extremes (all codes 2 or 0 against -128 and 127).
    @Test(arguments: isas)
    func sparseI2SkipsZeroInputsExactly(isa: ISA) throws {
        var rng = SplitMix64(seed: 19)
        for (rows, cols) in [(1, 1), (257, 300), (300, 2561)] {
            let matrix = try LowBitMatrix.random(rows: rows, cols: cols, kind: .ternary, using: &rng)
            let layout = try Layout(matrix, as: .sparseI2)
            for zeros in [0.0, 0.5, 0.9, 1.0] {
                // 19 vectors: a group of 16 that share their blocks' reads, then 3
                for (batch, threads) in [(1, 1), (1, 3), (3, 2), (19, 2)] {
                    let pool = try ThreadPool(threads: threads)
                    pool.limitISA(to: isa)
                    var x = randomInt8(batch * cols, using: &rng).map { Double.random(in: 0..<1, using: &rng) < zeros ? 0 : $0 }
                    #expect(try layout.multiply(x, batch: batch, pool: pool) == referenceProduct(matrix, x, batch: batch),
                            "\(rows)x\(cols) zeros \(zeros) batch \(batch) threads \(threads) \(isa)")
                    if zeros == 1.0 { // one nonzero input, in the last column
                        x[cols - 1] = -128
                        #expect(try layout.multiply(x, batch: batch, pool: pool) == referenceProduct(matrix, x, batch: batch),
                                "\(rows)x\(cols) one input, batch \(batch) \(isa)")
                    }
                }
            }
        }
        for (value, input) in [(Int8(1), Int8(-128)), (1, 127), (-1, -128), (-1, 127)] {
            let matrix = try LowBitMatrix(rows: 260, cols: 200, kind: .ternary, values: .init(repeating: value, count: 260 * 200))
            let pool = try ThreadPool(threads: 2)
            pool.limitISA(to: isa)
            let x = [Int8](repeating: input, count: 200)
            #expect(try Layout(matrix, as: .sparseI2).multiply(x, batch: 1, pool: pool) == referenceProduct(matrix, x, batch: 1),
                    "all \(value) against \(input), \(isa)")
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
