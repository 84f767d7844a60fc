import CRSRKernels
import RSRCore
import Testing

@Suite struct LayoutTests {
    @Test(arguments: WeightKind.allCases)
    func layoutsUnpackToTheirMatrix(kind: WeightKind) throws {
        for matrix in try awkwardMatrices(kind, seed: 21) {
            for layoutKind in allLayoutKinds(kind) {
                let layout = try Layout(matrix, as: layoutKind, pool: ThreadPool(threads: 2))
                #expect(try layout.unpack() == matrix, "\(layoutKind) \(matrix.rows)x\(matrix.cols)")
            }
        }
    }

    @Test func unpackingIntoABufferGivesTheMatrixAndRefusesAWrongSize() throws {
        var rng = SplitMix64(seed: 4)
        let matrix = try LowBitMatrix.random(rows: 33, cols: 71, kind: .ternary, using: &rng)
        for layoutKind in allLayoutKinds(.ternary) {
            let layout = try Layout(matrix, as: layoutKind)
            var values = [Int8](repeating: 7, count: matrix.rows * matrix.cols)
            try values.withUnsafeMutableBufferPointer { try layout.unpack(into: $0) }
            #expect(values == matrix.values, "\(layoutKind)")
            var short = [Int8](repeating: 0, count: matrix.rows * matrix.cols - 1)
            #expect(throws: KernelError.self) { try short.withUnsafeMutableBufferPointer { try layout.unpack(into: $0) } }
        }
    }

    @Test func validatedCopyOfALayoutWorks() throws {
        var rng = SplitMix64(seed: 3)
        let matrix = try LowBitMatrix.random(rows: 40, cols: 90, kind: .ternary, using: &rng)
        for layoutKind in allLayoutKinds(.ternary) {
            let layout = try Layout(matrix, as: layoutKind)
            let copy = try layout.withBytes { try Layout(validating: $0) }
            #expect(copy.kind == layoutKind)
            #expect(try copy.unpack() == matrix)
        }
    }

    /// Flipping bytes of a layout either leaves a well-formed layout or is refused; it never crashes, and a
    /// layout that validation accepts multiplies exactly as the matrix it unpacks to, at every ISA level.
    @Test func corruptedLayoutsAreRefusedOrMultiplyAsTheyUnpack() throws {
        var rng = SplitMix64(seed: 4)
        let pools = try ISA.supported.map { isa in
            let pool = try ThreadPool(threads: 2)
            pool.limitISA(to: isa)
            return pool
        }
        var accepted = 0
        let matrix = try LowBitMatrix.random(rows: 20, cols: 50, kind: .ternary, using: &rng)
        for layoutKind in [LayoutKind.rsr(k: 3), .rsrT, .packedI2, .sparseI2] {
            let layout = try Layout(matrix, as: layoutKind)
            var bytes = layout.withBytes { Array($0) }

            // Header: a wrong magic, and a size field that disagrees with the shape.
            var badMagic = bytes
            badMagic[0] ^= 0xff
            #expect(throws: KernelError.self) { try badMagic.withUnsafeBytes { try Layout(validating: $0) } }
            var badCols = bytes
            badCols[13] &+= 1 // cols + 256: the sections no longer fit the size
            #expect(throws: KernelError.self) { try badCols.withUnsafeBytes { try Layout(validating: $0) } }
            #expect(throws: KernelError.self) { try bytes.dropLast(64).withUnsafeBytes { try Layout(validating: $0) } }

            // Body: every index byte set to 0xff must be caught (out-of-range column, offset or code).
            for i in stride(from: 64, to: bytes.count, by: 7) {
                let saved = bytes[i]
                bytes[i] = 0xff
                let result = Result { try bytes.withUnsafeBytes { try Layout(validating: $0) } }
                if case .success(let copy) = result {
                    accepted += 1
                    let unpacked = try copy.unpack()
                    for (p, pool) in pools.enumerated() {
                        let batch = [1, 3, 65][(i + p) % 3]
                        let x = randomInt8(batch * matrix.cols, using: &rng)
                        #expect(try copy.multiply(x, batch: batch, pool: pool) == referenceProduct(unpacked, x, batch: batch),
                                "\(layoutKind) with byte \(i) = 0xff, batch \(batch), \(pool.isa)")
                    }
                }
                bytes[i] = saved
            }
        }
        #expect(accepted > 0, "no corruption was accepted, so none was multiplied")
    }

    @Test func outOfRangeIndexIsRefused() throws {
        var rng = SplitMix64(seed: 8)
        let matrix = try LowBitMatrix.random(rows: 6, cols: 10, kind: .binary, using: &rng)
        let layout = try Layout(matrix, as: .rsr(k: 3))
        var bytes = layout.withBytes { Array($0) }
        bytes[64] = 200 // first permutation entry of block 0 (u16 little-endian) now names column 200
        let error = #expect(throws: KernelError.self) { try bytes.withUnsafeBytes { try Layout(validating: $0) } }
        #expect(error?.status == RSR_ERR_LAYOUT)
    }

    @Test func repeatedColumnsAndUndecodableCodesAreRefused() throws {
        var rng = SplitMix64(seed: 10)
        let matrix = try LowBitMatrix.random(rows: 70, cols: 300, kind: .ternary, using: &rng)
        // classical RSR: the last block's first two permutation entries (u16) made equal, both in range
        let rsr = try Layout(matrix, as: .rsr(k: 4))
        var bytes = rsr.withBytes { Array($0) }
        let lastBlock = 64 + (70 / 4) * 300 * 2
        bytes[lastBlock + 2] = bytes[lastBlock]
        bytes[lastBlock + 3] = bytes[lastBlock + 1]
        var error = #expect(throws: KernelError.self) { try bytes.withUnsafeBytes { try Layout(validating: $0) } }
        #expect(error?.status == RSR_ERR_LAYOUT)
        // rsr-t: a ternary code byte of 122 (5 digits go to 120 with the sign apart), far into the codes
        let rsrT = try Layout(matrix, as: .rsrT)
        bytes = rsrT.withBytes { Array($0) }
        bytes[bytes.count - 100] = 122
        error = #expect(throws: KernelError.self) { try bytes.withUnsafeBytes { try Layout(validating: $0) } }
        #expect(error?.status == RSR_ERR_LAYOUT)
        bytes[bytes.count - 100] = 121 | 0x80
        #expect(throws: Never.self) { try bytes.withUnsafeBytes { _ = try Layout(validating: $0) } }
    }

    @Test(arguments: [LayoutKind.packedI2, .sparseI2])
    func twoBitCodesOutsideTheWeightsAreRefused(layoutKind: LayoutKind) throws {
        var rng = SplitMix64(seed: 11)
        // ternary weights are codes 0...2 (w + 1), binary ones 1...2; a byte holds four codes, lowest first
        for (kind, bad, good): (WeightKind, UInt8, UInt8) in [(.ternary, 0b11, 0b00), (.binary, 0b00, 0b10)] {
            let matrix = try LowBitMatrix.random(rows: 20, cols: 40, kind: kind, using: &rng)
            let clean = try Layout(matrix, as: layoutKind).withBytes { Array($0) }
            // the codes' first byte, the last of their first 8 and their very last, each of the four codes in turn
            for at in [64, 71, clean.count - 1] {
                for shift in stride(from: 0, to: 8, by: 2) {
                    var bytes = clean
                    let others = (0..<4).reduce(UInt8(0)) { $0 | good << (2 * $1) } & ~(0b11 << shift)
                    bytes[at] = others | bad << shift
                    let error = #expect(throws: KernelError.self, "\(layoutKind) \(kind) byte \(at) code \(shift / 2)") {
                        try bytes.withUnsafeBytes { try Layout(validating: $0) }
                    }
                    #expect(error?.status == RSR_ERR_LAYOUT)
                    bytes[at] = others | good << shift
                    #expect(throws: Never.self) { try bytes.withUnsafeBytes { _ = try Layout(validating: $0) } }
                }
            }
        }
    }

    @Test func bitsPerWeight() throws {
        var rng = SplitMix64(seed: 9)
        let matrix = try LowBitMatrix.random(rows: 640, cols: 2560, kind: .ternary, using: &rng)
        // RSR-T stores one byte per 5 ternary weights; packed-i2 two bits per weight (headers aside).
        #expect(abs(try Layout(matrix, as: .rsrT).bitsPerWeight - 1.6) < 0.01)
        #expect(abs(try Layout(matrix, as: .packedI2).bitsPerWeight - 2.0) < 0.01)
        // sparse-i2 as many, padded to whole blocks of 256 rows: 640 rows take 768
        #expect(abs(try Layout(matrix, as: .sparseI2).bitsPerWeight - 2.4) < 0.01)
        // Classical RSR: a 16-bit column index per block of k rows plus the segment table.
        let rsr = try Layout(matrix, as: .rsr(k: 4))
        #expect(rsr.bitsPerWeight > 4.0 && rsr.bitsPerWeight < 4.2)
    }
}
