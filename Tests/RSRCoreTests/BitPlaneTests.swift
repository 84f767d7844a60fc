import CRSRKernels
import RSRCore
import Testing

/// Bit-plane products against the plain definition: every group's integer sum exact, times its scale,
/// added in f32 in group order. Every bit width, group size, zero-point and permutation choice, at every
/// instruction-set level this CPU has.
@Suite struct BitPlaneTests {
    static let isas = ISA.supported

    @Test(arguments: 1...8, isas)
    func productsMatchIntegerReference(bits: Int, isa: ISA) throws {
        var rng = SplitMix64(seed: UInt64(bits * 10) + UInt64(isa.rawValue))
        let shapes = [(1, 1), (3, 7), (2, 9), (17, 33), (64, 130), (65, 257), (131, 1001), (70, 4099), (300, 136)]
        for (i, (rows, cols)) in shapes.enumerated() {
            let group = [8, 32, 64, 128, cols, 16, 40][(i + bits) % 7]
            let matrix = try IntegerMatrix.random(rows: rows, cols: cols, bits: bits, group: group,
                                                  zeroPoints: (i + bits) % 2 == 0, permuted: (i + bits) % 3 == 0,
                                                  scaleType: [.f16, .bf16, .f32][i % 3], using: &rng)
            let layout = try BitPlaneLayout(matrix)
            let batch = [1, 2, 3, 5, 16, 17][(i + bits) % 6] // the batch kernel from batch * bits >= 16
            let pool = try ThreadPool(threads: 1 + i % 3)
            pool.limitISA(to: isa)
            let x = randomInt8(batch * cols, using: &rng)
            let y = try layout.multiply(x, batch: batch, pool: pool)
            #expect(y == referenceProduct(matrix, x, batch: batch),
                    "\(bits)-bit \(rows)x\(cols) group \(group) zeros \(matrix.zeros != nil) perm \(matrix.permutation != nil) \(isa)")
        }
    }

    @Test(arguments: [2, 4, 8], isas)
    func packedCodesGiveTheReferenceFloats(bits: Int, isa: ISA) throws {
        var rng = SplitMix64(seed: UInt64(bits * 100) + UInt64(isa.rawValue))
        let shapes = [(1, 1), (3, 7), (2, 9), (17, 33), (64, 130), (65, 257), (131, 1001), (70, 4099), (300, 136), (257, 520)]
        for (i, (rows, cols)) in shapes.enumerated() {
            let group = [16, 32, 64, 128, cols, 48][(i + bits) % 6]
            let matrix = try IntegerMatrix.random(rows: rows, cols: cols, bits: bits, group: group,
                                                  zeroPoints: (i + bits) % 2 == 0, permuted: (i + bits) % 3 == 0,
                                                  scaleType: [.f16, .bf16, .f32][i % 3], using: &rng)
            #expect(BitPlaneLayout.canPack(matrix))
            let layout = try BitPlaneLayout(matrix, packed: true)
            #expect(layout.isPacked)
            let pool = try ThreadPool(threads: 1 + i % 3)
            pool.limitISA(to: isa)
            for batch in [1, [2, 3, 5, 16, 17][i % 5]] {
                let x = randomInt8(batch * cols, using: &rng)
                #expect(try layout.multiply(x, batch: batch, pool: pool) == referenceProduct(matrix, x, batch: batch),
                        "\(bits)-bit \(rows)x\(cols) group \(group) batch \(batch) zeros \(matrix.zeros != nil) perm \(matrix.permutation != nil) \(isa)")
            }
            #expect(try layout.unpack() == matrix)
        }
    }

    @Test func packingTakesTwoFourAndEightBitsInWholeBlocks() throws {
        var rng = SplitMix64(seed: 12)
        func status(_ bits: Int, _ group: Int) -> rsr_status? {
            do {
                _ = try BitPlaneLayout(IntegerMatrix.random(rows: 8, cols: 64, bits: bits, group: group, using: &rng), packed: true)
                return nil
            } catch let error as KernelError { return error.status } catch { return nil }
        }
        #expect(status(3, 32) == RSR_ERR_ARGUMENT)
        #expect(status(2, 8) == RSR_ERR_SHAPE) // 2-bit blocks are 16 columns
        #expect(status(2, 16) == nil)
        #expect(status(4, 8) == nil)
        // the same bytes as the planes where the groups are whole blocks
        let matrix = try IntegerMatrix.random(rows: 100, cols: 512, bits: 4, group: 128, zeroPoints: true, using: &rng)
        #expect(try BitPlaneLayout(matrix, packed: true).byteCount == BitPlaneLayout(matrix).byteCount)
    }

    @Test func extremeCodesAndInputsStayExact() throws {
        // all codes at one end, inputs at -128: the largest sums a group can reach
        for bits in [4, 8] {
            let max = UInt8((1 << bits) - 1)
            for code in [0, max] {
                let matrix = try IntegerMatrix(rows: 65, cols: 4096, bits: bits, group: 4096,
                                               codes: .init(repeating: code, count: 65 * 4096), scales: .init(repeating: 1, count: 65),
                                               zeros: .init(repeating: code == 0 ? max : 0, count: 65))
                try expectReferenceEverywhere(matrix, [Int8](repeating: -128, count: 4096), threads: 2, "\(bits) \(code)")
            }
        }
    }

    /// One vector through the planes and the packed codes at every ISA this CPU has: the reference floats.
    func expectReferenceEverywhere(_ matrix: IntegerMatrix, _ x: [Int8], threads: Int, _ label: String) throws {
        for isa in Self.isas {
            let pool = try ThreadPool(threads: threads)
            pool.limitISA(to: isa)
            for packed in [false, true] {
                #expect(try BitPlaneLayout(matrix, packed: packed).multiply(x, batch: 1, pool: pool) == referenceProduct(matrix, x, batch: 1),
                        "\(label) \(isa) packed \(packed)")
            }
        }
    }

    /// F16 scales at the ends of their range (subnormal, the largest, negative) convert exactly at every ISA
    /// (AVX2 converts them without F16C).
    @Test func extremeF16ScalesConvertExactly() throws {
        var rng = SplitMix64(seed: 21)
        let special: [Float] = [0x1p-24, 0x1.8p-20, 65504, -0.5, 0x1p-14, 0]
        let rows = 70, cols = 64
        let base = try IntegerMatrix.random(rows: rows, cols: cols, bits: 4, group: 32, using: &rng)
        let matrix = try IntegerMatrix(rows: rows, cols: cols, bits: 4, group: 32, codes: base.codes,
                                       scales: (0..<rows * 2).map { special[$0 % special.count] }, scaleType: .f16)
        try expectReferenceEverywhere(matrix, randomInt8(cols, using: &rng), threads: 1, "extreme F16 scales")
    }

    @Test func unpackGivesBackTheMatrix() throws {
        var rng = SplitMix64(seed: 5)
        for bits in [1, 3, 4, 8] {
            let matrix = try IntegerMatrix.random(rows: 70, cols: 200, bits: bits, group: 32, zeroPoints: bits % 2 == 0,
                                                  permuted: bits == 3, scaleType: .bf16, using: &rng)
            #expect(try BitPlaneLayout(matrix).unpack() == matrix)
        }
    }

    @Test func badWeightsAreRefused() throws {
        let codes = [UInt8](repeating: 3, count: 8 * 16)
        let scales = [Float](repeating: 1, count: 8 * 2)
        func status(_ body: () throws -> Void) -> rsr_status? {
            do { try body(); return nil } catch let error as KernelError { return error.status } catch { return nil }
        }
        // a code past 2^bits - 1
        #expect(status { _ = try BitPlaneLayout(IntegerMatrix(rows: 8, cols: 16, bits: 1, group: 8, codes: codes, scales: scales)) } == RSR_ERR_VALUE)
        // a zero point past it
        #expect(status { _ = try BitPlaneLayout(IntegerMatrix(rows: 8, cols: 16, bits: 2, group: 8, codes: codes, scales: scales,
                                                               zeros: .init(repeating: 4, count: 16))) } == RSR_ERR_VALUE)
        // a permutation that repeats a column
        #expect(status { _ = try BitPlaneLayout(IntegerMatrix(rows: 8, cols: 16, bits: 2, group: 8, codes: codes, scales: scales,
                                                               permutation: .init(repeating: 0, count: 16))) } == RSR_ERR_VALUE)
        // groups that are not a multiple of the 8-column tables
        #expect(status { _ = try BitPlaneLayout(IntegerMatrix(rows: 8, cols: 16, bits: 2, group: 12, codes: codes,
                                                               scales: scales)) } == RSR_ERR_SHAPE)
        // a group whose int32 sum could overflow
        #expect(status { _ = try BitPlaneLayout(IntegerMatrix(rows: 1, cols: 70_000, bits: 8, group: 70_000, codes: .init(repeating: 0, count: 70_000),
                                                               scales: [1])) } == RSR_ERR_OVERFLOW)
    }

    @Test func corruptedBytesFailValidation() throws {
        var rng = SplitMix64(seed: 9)
        let matrix = try IntegerMatrix.random(rows: 64, cols: 64, bits: 2, group: 32, zeroPoints: true, permuted: true,
                                              scaleType: .f16, using: &rng)
        let bytes = try BitPlaneLayout(matrix).withBytes { Array($0) }
        func validates(_ b: [UInt8]) -> Bool {
            let storage = AlignedBuffer(count: b.count)
            b.withUnsafeBytes { storage.pointer.copyMemory(from: $0.baseAddress!, byteCount: b.count) }
            return (try? BitPlaneLayout(borrowing: UnsafeRawBufferPointer(start: storage.pointer, count: b.count), owner: storage)) != nil
        }
        #expect(validates(bytes))
        var header = bytes
        header[4] ^= 1 // the version
        #expect(!validates(header))
        var zero = bytes
        // first tile, first group: 4 tables x 2 planes x 64 codes, 128 bytes of f16 scales, then the zero points
        zero[64 + 4 * 2 * 64 + 128] = 4
        #expect(!validates(zero))
        var perm = bytes
        perm[bytes.count - 64 * 4 + 0] = perm[bytes.count - 64 * 4 + 4] // two columns the same
        perm[bytes.count - 64 * 4 + 1] = perm[bytes.count - 64 * 4 + 5]
        #expect(!validates(perm))
        #expect(!validates(Array(bytes.dropLast(64))))

        // packed 2-bit codes of 24 columns: the second block's last 8 columns are padding and must stay 0
        let packed = try IntegerMatrix.random(rows: 64, cols: 24, bits: 2, group: 24, scaleType: .f32, using: &rng)
        let packedBytes = try BitPlaneLayout(packed, packed: true).withBytes { Array($0) }
        #expect(validates(packedBytes))
        var padding = packedBytes
        padding[64 + 256 + 3] |= 0x40 // block 1, row 0, byte 3: field 1 is column 16 + 4 + 3 = 23, field 2 column 27
        #expect(!validates(padding))
        var inside = packedBytes
        inside[64 + 256 + 3] ^= 0x0c // field 1, column 23: a real code
        #expect(validates(inside))
    }
}

/// y[v][r] = sum over groups g, in order, of scale * (sum_c (code - zero) * x[perm c]) in f32, the sums exact.
func referenceProduct(_ w: IntegerMatrix, _ x: [Int8], batch: Int) -> [Float] {
    var y = [Float](repeating: 0, count: w.rows * batch)
    for v in 0..<batch {
        for r in 0..<w.rows {
            var acc: Float = 0
            for g in 0..<w.groups {
                let zero = w.zeros.map { Int($0[r * w.groups + g]) } ?? 1 << (w.bits - 1)
                var sum = 0
                for c in g * w.group..<min((g + 1) * w.group, w.cols) {
                    let input = w.permutation.map { Int($0[c]) } ?? c
                    sum += (Int(w.codes[r * w.cols + c]) - zero) * Int(x[v * w.cols + input])
                }
                acc = acc.addingProduct(w.scales[r * w.groups + g], Float(sum))
            }
            y[v * w.rows + r] = acc
        }
    }
    return y
}
