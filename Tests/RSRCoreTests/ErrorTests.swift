import CRSRKernels
import RSRCore
import Testing

/// Bad arguments come back as statuses (thrown as KernelError in Swift); nothing crashes.
@Suite struct ErrorTests {
    let matrix: LowBitMatrix

    init() throws {
        var rng = SplitMix64(seed: 1)
        matrix = try LowBitMatrix.random(rows: 10, cols: 20, kind: .ternary, using: &rng)
    }

    private func status(_ body: () throws -> Void) -> rsr_status? {
        do { try body() } catch let error as KernelError { return error.status } catch { return nil }
        return RSR_OK
    }

    @Test func kOutOfRange() {
        #expect(LayoutKind.rsrKRange(.ternary) == 1...8)
        #expect(LayoutKind.rsrKRange(.binary) == 1...12)
        for k in [0, 9, 100] { #expect(status { _ = try Layout(matrix, as: .rsr(k: k)) } == RSR_ERR_K_RANGE) }
        var size: UInt64 = 0
        #expect(rsr_layout_size(RSR_LAYOUT_RSR, RSR_WEIGHTS_BINARY, 4, 4, 13, &size) == RSR_ERR_K_RANGE)
        #expect(rsr_layout_size(RSR_LAYOUT_RSRT, RSR_WEIGHTS_BINARY, 4, 4, 3, &size) == RSR_ERR_K_RANGE)
    }

    @Test func valuesOutsideTheKind() {
        #expect(status { _ = try LowBitMatrix(rows: 1, cols: 2, kind: .binary, values: [1, -1]) } == RSR_ERR_VALUE)
        var w: [Int8] = [0, 1, 2, 0]
        var dst = [UInt8](repeating: 0, count: 4096)
        #expect(rsr_layout_build(RSR_LAYOUT_RSR, RSR_WEIGHTS_TERNARY, &w, 2, 2, 1, &dst, 4096, nil) == RSR_ERR_VALUE)
        var packed = [UInt8](repeating: 0, count: 4)
        #expect(rsr_hf_pack(&w, 2, 2, &packed, 4) == RSR_ERR_VALUE)
    }

    @Test func shapes() throws {
        let layout = try Layout(matrix, as: .rsr(k: 2))
        #expect(status { _ = try layout.multiply([Int8](repeating: 0, count: 19), batch: 1) } == RSR_ERR_SHAPE)
        #expect(status { _ = try layout.multiply([Int8](repeating: 0, count: 40), batch: 3) } == RSR_ERR_SHAPE)
        #expect(status { _ = try LowBitMatrix(rows: 0, cols: 3, kind: .binary, values: []) } == RSR_ERR_SHAPE)
        #expect(status { _ = try LowBitMatrix(rows: 2, cols: 3, kind: .binary, values: [0]) } == RSR_ERR_SHAPE)
        var size: UInt64 = 0
        #expect(rsr_layout_size(RSR_LAYOUT_RSRT, RSR_WEIGHTS_TERNARY, 0, 5, 0, &size) == RSR_ERR_SHAPE)
        var work: UInt64 = 0
        layout.withBytes { bytes in
            #expect(rsr_work_size(bytes.baseAddress, UInt64(bytes.count), RSR_ACT_I8, 0, 1, &work) == RSR_ERR_SHAPE)
        }
    }

    @Test func sizesThatOverflow() throws {
        var size: UInt64 = 0
        for type in [RSR_LAYOUT_RSR, RSR_LAYOUT_RSRT, RSR_LAYOUT_PACKED_I2, RSR_LAYOUT_SPARSE_I2] {
            #expect(rsr_layout_size(type, RSR_WEIGHTS_TERNARY, .max, .max, type == RSR_LAYOUT_RSR ? 4 : 0, &size) == RSR_ERR_OVERFLOW)
        }
        #expect(rsr_hf_pack_size(RSR_MAX_DIM + 1, 1, &size) == RSR_ERR_OVERFLOW)
        let layout = try Layout(matrix, as: .rsrT)
        var x = [Int8](repeating: 0, count: 20)
        var y = [Int32](repeating: 0, count: 10)
        layout.withBytes { bytes in
            #expect(rsr_work_size(bytes.baseAddress, UInt64(bytes.count), RSR_ACT_I8, .max, 1, &size) == RSR_ERR_OVERFLOW)
            #expect(rsr_matmul_i8(bytes.baseAddress, UInt64(bytes.count), &x, RSR_MAX_BATCH + 1, &y, nil, 0, nil) == RSR_ERR_OVERFLOW)
        }
    }

    @Test func nullBuffers() throws {
        let layout = try Layout(matrix, as: .rsr(k: 3))
        var x = [Int8](repeating: 1, count: 20)
        var y = [Int32](repeating: 0, count: 10)
        layout.withBytes { bytes in
            let n = UInt64(bytes.count)
            #expect(rsr_matmul_i8(nil, n, &x, 1, &y, nil, 0, nil) == RSR_ERR_NULL)
            #expect(rsr_matmul_i8(bytes.baseAddress, n, nil, 1, &y, nil, 0, nil) == RSR_ERR_NULL)
            #expect(rsr_matmul_i8(bytes.baseAddress, n, &x, 1, nil, nil, 0, nil) == RSR_ERR_NULL)
            #expect(rsr_matmul_i8(bytes.baseAddress, n, &x, 1, &y, nil, 0, nil) == RSR_ERR_NULL) // work is required
        }
        var size: UInt64 = 0
        #expect(rsr_layout_size(RSR_LAYOUT_RSR, RSR_WEIGHTS_TERNARY, 4, 4, 2, nil) == RSR_ERR_NULL)
        #expect(rsr_layout_build(RSR_LAYOUT_RSR, RSR_WEIGHTS_TERNARY, nil, 4, 4, 2, &size, 8, nil) == RSR_ERR_NULL)
        #expect(rsr_dense_f32(nil, 1, 1, nil, 1, nil, nil) == RSR_ERR_NULL)
        #expect(rsr_pool_create(2, nil) == RSR_ERR_NULL)
    }

    @Test func buffersTooSmall() throws {
        var w = matrix.values
        var dst = [UInt8](repeating: 0, count: 64)
        #expect(rsr_layout_build(RSR_LAYOUT_RSR, RSR_WEIGHTS_TERNARY, &w, 10, 20, 2, &dst, 64, nil) == RSR_ERR_BUFFER)
        let layout = try Layout(matrix, as: .rsr(k: 3))
        var x = [Int8](repeating: 1, count: 20)
        var y = [Int32](repeating: 0, count: 10)
        var work = [UInt8](repeating: 0, count: 8)
        layout.withBytes { bytes in
            #expect(rsr_matmul_i8(bytes.baseAddress, UInt64(bytes.count), &x, 1, &y, &work, 8, nil) == RSR_ERR_BUFFER)
            // A layout buffer shorter than its header says.
            #expect(rsr_matmul_i8(bytes.baseAddress, UInt64(bytes.count - 1), &x, 1, &y, &work, 8, nil) == RSR_ERR_LAYOUT)
        }
        var out = [Float](repeating: 0, count: 1)
        var scratch = [Float](repeating: 0, count: 1)
        var packed = [UInt8](repeating: 0, count: 1)
        var xf: [Float] = [1, 1]
        #expect(rsr_hf_unpack_f32(&packed, 1, 2, &xf, 1, &out, &scratch, 1, nil) == RSR_ERR_BUFFER)
    }

    @Test func unsupportedActivation() throws {
        let layout = try Layout(matrix, as: .packedI2)
        #expect(status { _ = try layout.multiply([Float](repeating: 0, count: 20), batch: 1) } == RSR_ERR_UNSUPPORTED)
    }

    @Test func threadsAndEnums() throws {
        #expect(status { _ = try ThreadPool(threads: 0) } == RSR_ERR_THREADS)
        #expect(status { _ = try ThreadPool(threads: 100_000) } == RSR_ERR_THREADS)
        var pool: OpaquePointer?
        #expect(rsr_pool_create(2, &pool) == RSR_OK)
        #expect(rsr_pool_set_isa(pool, rsr_isa(rawValue: 7)) == RSR_ERR_ARGUMENT)
        #expect(rsr_pool_set_isa(nil, RSR_ISA_SCALAR) == RSR_ERR_NULL)
        rsr_pool_free(pool)
        var size: UInt64 = 0
        #expect(rsr_layout_size(rsr_layout_type(rawValue: 9), RSR_WEIGHTS_BINARY, 1, 1, 0, &size) == RSR_ERR_ARGUMENT)
        #expect(rsr_layout_size(RSR_LAYOUT_RSRT, rsr_weights(rawValue: 5), 1, 1, 0, &size) == RSR_ERR_ARGUMENT)
        var y: Float = 0
        #expect(rsr_openblas_f32([1], 1, 1, [1], 1, &y, 0) == RSR_ERR_THREADS)
    }

    @Test func everyStatusHasADistinctSentence() {
        let statuses = (-11...0).map { rsr_status(rawValue: Int32($0)) }
        let sentences = statuses.map { String(cString: rsr_status_string($0)) }
        #expect(Set(sentences).count == statuses.count)
        #expect(!sentences.contains("unknown status"))
        #expect(rsr_abi_version() == RSR_ABI_VERSION)
    }
}
