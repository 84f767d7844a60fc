import FileIO
import Foundation
import RSRConvert
import RSRCore
import RSRFormat
import SafeTensors
import TestSupport
import Testing

/// `--embeddings`: the output head (the embeddings when tied) in f16, int8 rows, 6-bit blocks or ggml's Q4_0
/// blocks.
@Suite struct HeadFormatTests {
    let dir = TemporaryDirectory()

    /// The head's entry and bytes (valid while the returned file lives) and the checkpoint's values.
    func head(_ fixtureName: String, _ format: EmbeddingFormat) throws -> (TensorEntry, UnsafeRawBufferPointer, [Float], ModelFile) {
        let (file, _) = try convert(fixture(fixtureName), to: dir.file("\(format).rsr")) { $0.embeddings = format }
        let tied = file.manifest.model.tiedEmbeddings
        let (entry, bytes) = try #require(file.tensor(tied ? "embed_tokens" : "lm_head"))
        let original = try Checkpoint(directory: fixture(fixtureName)).tensor(tied ? "model.embed_tokens.weight" : "lm_head.weight").floats()
        return (entry, bytes, original, file)
    }

    @Test(arguments: ["llama-bitlinear-packed", "bitnet-bf16-online"])
    func int8RowsAreWithinHalfAStep(name: String) throws {
        let (entry, bytes, original, file) = try head(name, .int8)
        #expect(entry.type == .q8Row)
        let (rows, cols) = (entry.shape[0], entry.shape[1])
        let scalesAt = TensorType.q8ScalesOffset(rows: rows, cols: cols)
        for r in 0..<rows {
            let scale = bytes.loadUnaligned(fromByteOffset: scalesAt + r * 4, as: Float.self)
            let row = original[r * cols..<(r + 1) * cols]
            #expect(abs(scale - row.map(abs).max()! / 127) <= 1e-6 * scale)
            for c in 0..<cols {
                let q = Float(Int8(bitPattern: bytes[r * cols + c]))
                #expect(abs(q * scale - original[r * cols + c]) <= scale * 0.5001)
            }
        }
        if name == "llama-bitlinear-packed" {
            // Untied: the input embeddings keep their stored precision.
            #expect(file.manifest.tensors["embed_tokens"]?.type == .bf16)
        }
    }

    @Test func q4BlocksMatchGgmlsQ40() throws {
        let (entry, bytes, original, file) = try head("llama-bitlinear-packed", .q4)
        defer { withExtendedLifetime(file) {} }  // bytes point into its mapping
        #expect(entry.type == .q4_32)
        for block in 0..<original.count / 32 {
            let x = Array(original[block * 32..<(block + 1) * 32])
            // ggml quantize_row_q4_0_ref
            var amax: Float = 0, max: Float = 0
            for v in x where abs(v) > amax { amax = abs(v); max = v }
            let d = max / -8, id: Float = d != 0 ? 1 / d : 0
            let q = x.map { UInt8(Swift.min(15, Int8(($0 * id + 8.5).rounded(.towardZero)))) }
            let base = block * 18
            #expect(bytes.loadUnaligned(fromByteOffset: base, as: UInt16.self) == Float16(d).bitPattern)
            for j in 0..<16 { #expect(bytes[base + 2 + j] == q[j] | q[j + 16] << 4) }
        }
    }

    /// `--embeddings q6` of a checkpoint with 256-value rows: every value within half a step of its d * s
    /// or clipped at the ends, the largest scale of each block at -128 (as Q6_K maps it), and the squared
    /// error far below Q4_32's of the same rows.
    @Test func q6BlocksStepAndScaleAsQ6K() throws {
        let source = dir.file("tiny-256")
        try TinyCheckpoint.write(.floatLlama, to: source, hidden: 256)
        let (file, _) = try convert(source, to: dir.file("q6.rsr")) { $0.embeddings = .q6 }
        let (entry, bytes) = try #require(file.tensor("lm_head"))
        #expect(entry.type == .q6_256 && file.features == [.floatProjections, .q6Tensors])
        let original = try Checkpoint(directory: source).tensor("lm_head.weight").floats()
        let cols = 256, rows = original.count / cols
        let q6 = try DenseTensor(.q6_256, rows: rows, cols: cols, bytes: bytes, owner: file)
        var q6Error: Double = 0, q4Error: Double = 0
        var row = [Float](repeating: 0, count: cols)
        for r in 0..<rows {
            let block = bytes.baseAddress! + r * 210
            let d = Float(Float16(bitPattern: block.loadUnaligned(as: UInt16.self)))
            let scales = (0..<16).map { Int8(bitPattern: block.load(fromByteOffset: 2 + $0, as: UInt8.self)) }
            #expect(scales.contains(-128) || scales.allSatisfy { $0 == 0 }, "row \(r): scales \(scales)")
            try q6.row(r, into: &row)
            for c in 0..<cols {
                let step = abs(d * Float(scales[c / 16])), v = original[r * cols + c]
                #expect(abs(row[c] - v) <= step * 0.5001 + 1e-9 || abs(v) >= 31 * step, "row \(r) column \(c): \(row[c]) for \(v)")
                q6Error += Double((row[c] - v) * (row[c] - v))
            }
            for b in 0..<cols / 32 { // ggml's Q4_0 rule, as q4BlocksMatchGgmlsQ40 checks it
                let x = original[r * cols + b * 32..<r * cols + (b + 1) * 32]
                let extreme = x.max { abs($0) < abs($1) }!, d4 = Float(Float16(extreme / -8))
                for v in x {
                    let q = d4 != 0 ? Float(Swift.min(15, Int((v / d4 + 8.5).rounded(.towardZero)))) - 8 : 0
                    q4Error += Double((q * d4 - v) * (q * d4 - v))
                }
            }
        }
        #expect(q6Error < q4Error / 8, "squared error \(q6Error) against Q4_32's \(q4Error)")
    }

    /// The default head for integer conversions: q6 for `--quantize intN` where rows are whole 256-value
    /// blocks, as stored otherwise (float conversions, narrower rows).
    @Test func autoHeadIsQ6ForIntegerConversionsOfWholeBlocks() throws {
        let wide = dir.file("wide"), narrow = dir.file("narrow")
        try TinyCheckpoint.write(.floatLlama, to: wide, hidden: 256)
        try TinyCheckpoint.write(.floatLlama, to: narrow)
        let int4 = IntegerQuantization(bits: 4, group: 64, asymmetric: false)
        let cases: [(String, IntegerQuantization?, TensorType)] = [(wide, int4, .q6_256), (wide, nil, .f32), (narrow, int4, .f32)]
        for (i, (source, integer, expected)) in cases.enumerated() {
            let (file, _) = try convert(source, to: dir.file("auto-\(i).rsr")) { $0.integer = integer }
            #expect(file.manifest.tensors["lm_head"]?.type == expected && file.manifest.tensors["embed_tokens"]?.type == .f32, "case \(i)")
        }
    }

    /// Ternary models keep a small head as stored (transformers' exact logits) and store one of 64 MiB or
    /// more as q6, where a decoded token reads it from memory, or, where its rows are not whole 256-value
    /// blocks (bitnet_b1_58-3B's 3200 columns), as int8 rows, as llama.cpp falls back from Q6_K to Q8_0
    /// there. Tied F16 embeddings: of 256 columns, 131072 rows are 64 MiB and one row fewer is under; of 320
    /// columns, 104858 rows are just over.
    @Test func autoHeadIsQ6OrInt8RowsForLargeTernaryHeads() throws {
        for (vocab, hidden, expected) in [(131_071, 256, TensorType.f16), (131_072, 256, .q6_256), (104_858, 320, .q8Row)] {
            let source = dir.file("ternary-\(vocab)")
            let rows = (0..<vocab * hidden).map { Float($0 % 251) / 1000 } // cheaper to make than random values
            try TinyCheckpoint.write(.oneBitLLM, to: source, hidden: hidden, vocab: vocab, configChanges: ["tie_word_embeddings": true],
                                     skip: ["lm_head.weight"], override: ["model.embed_tokens.weight": rows])
            let (file, _) = try convert(source, to: dir.file("ternary-\(vocab).rsr"))
            #expect(file.manifest.tensors["embed_tokens"]?.type == expected && file.manifest.tensors["lm_head"] == nil, "vocab \(vocab)")
            try? FileManager.default.removeItem(atPath: source)
        }
    }

    @Test func q6NeedsWholeBlocksOfRows() throws {
        #expect(throws: (any Error).self) { try convert(fixture("llama-bitlinear-packed"), to: dir.file("q6.rsr")) { $0.embeddings = .q6 } }
        do {
            _ = try convert(fixture("llama-bitlinear-packed"), to: dir.file("q6.rsr")) { $0.embeddings = .q6 }
        } catch {
            #expect("\(error)".contains("--embeddings q6 needs a multiple of 256"), "\(error)")
        }
    }

    @Test func f16AndTiedEmbeddingsAreStoredOnce() throws {
        let (entry, bytes, original, file) = try head("bitnet-bf16-online", .f16)
        #expect(entry.type == .f16 && file.manifest.tensors["lm_head"] == nil)
        for i in stride(from: 0, to: original.count, by: 97) {
            #expect(bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self) == Float16(original[i]).bitPattern)
        }
    }

    /// The head's product in every format and instruction set against the rows it decodes to: the integer
    /// formats multiply int8 inputs (x quantized by absmax), the float formats the inputs themselves.
    @Test(arguments: [EmbeddingFormat.stored, .f16, .int8, .q4])
    func headProductMatchesItsRows(format: EmbeddingFormat) throws {
        let (entry, bytes, _, file) = try head("llama-bitlinear-packed", format)
        defer { withExtendedLifetime(file) {} }
        let (rows, cols) = (entry.shape[0], entry.shape[1])
        let type = try #require(DenseType(rawValue: entry.type.rawValue))
        let tensor = try DenseTensor(type, rows: rows, cols: cols, bytes: bytes, owner: file)
        var rng = SplitMix64(seed: 7)
        try expectProductMatchesRows(tensor, x: (0..<cols).map { _ in Float.random(in: -1...1, using: &rng) }, "\(format)")
    }

    /// ggml's Q4_0 blocks on column counts that take the kernels' 4-block steps, the 1-block tail, and both.
    @Test(arguments: [96, 128, 160, 352, 4096 + 96])
    func q4ProductMatchesItsRowsAcrossBlockTails(cols: Int) throws {
        var rng = SplitMix64(seed: UInt64(cols))
        let tensor = try randomBlocks(.q4_32, blockBytes: 18, cols: cols, scales: -0.02...0.02, using: &rng)
        try expectProductMatchesRows(tensor, x: (0..<cols).map { _ in Float.random(in: -1...1, using: &rng) }, "\(cols) columns")
    }

    /// Random 6-bit blocks and scales, one block a row and many; single vectors and batches.
    @Test(arguments: [256, 512, 4096 + 256])
    func q6ProductMatchesItsRows(cols: Int) throws {
        var rng = SplitMix64(seed: UInt64(cols))
        let tensor = try randomBlocks(.q6_256, blockBytes: 210, cols: cols, scales: -0.0002...0.0002, using: &rng)
        try expectProductMatchesRows(tensor, x: (0..<cols).map { _ in Float.random(in: -1...1, using: &rng) }, "\(cols) columns")
        try expectBatchedProductIsTheSingleOne(tensor, "q6, \(cols) columns")
    }

    /// 37 rows of random blocks: an f16 scale first in each (both formats put it there), random bytes after.
    private func randomBlocks(_ type: DenseType, blockBytes: Int, cols: Int, scales: ClosedRange<Float>,
                              using rng: inout SplitMix64) throws -> DenseTensor {
        let rows = 37, bytes = DenseTensor.byteCount(type, rows: rows, cols: cols)!
        let storage = AlignedBuffer(count: bytes)
        for block in 0..<bytes / blockBytes {
            let d = Float16(Float.random(in: scales, using: &rng))
            storage.pointer.storeBytes(of: d.bitPattern.littleEndian, toByteOffset: block * blockBytes, as: UInt16.self)
            for i in 2..<blockBytes {
                storage.pointer.storeBytes(of: UInt8.random(in: 0...255, using: &rng), toByteOffset: block * blockBytes + i, as: UInt8.self)
            }
        }
        return try DenseTensor(type, rows: rows, cols: cols, bytes: UnsafeRawBufferPointer(start: storage.pointer, count: bytes), owner: storage)
    }

    /// The tensor's product at every instruction-set level against the rows it decodes to: the integer types
    /// multiply int8 inputs (x quantized by absmax), the float types the inputs themselves.
    private func expectProductMatchesRows(_ tensor: DenseTensor, x: [Float], _ label: String) throws {
        let integer = !TensorType(rawValue: tensor.type.rawValue)!.isFloat
        let xs = 127 / x.map(abs).max()!
        let input = integer ? x.map { Double(($0 * xs).rounded(.toNearestOrEven)) / Double(xs) } : x.map(Double.init)
        var row = [Float](repeating: 0, count: tensor.cols)
        var expected: [Double] = [], bound: [Double] = []
        for r in 0..<tensor.rows {
            try tensor.row(r, into: &row)
            expected.append(zip(row, input).reduce(0) { $0 + Double($1.0) * $1.1 })
            bound.append(zip(row, input).reduce(0) { $0 + abs(Double($1.0) * $1.1) })
        }
        for isa in ISA.supported {
            let pool = try ThreadPool(threads: 2)
            pool.limitISA(to: isa)
            var y = [Float](repeating: .nan, count: tensor.rows)
            try tensor.multiply(x, into: &y, workspace: Workspace(), pool: pool)
            for r in 0..<tensor.rows {
                #expect(abs(Double(y[r]) - expected[r]) <= 1e-5 * bound[r] + 1e-6, "\(label) \(isa) row \(r)")
            }
        }
    }

    /// A batch of inputs through one product (every position's logits, a float model's projections) gives
    /// each vector what the single-vector product gives it, in every format and instruction set, for
    /// batches that split the rows into cache tiles and for one vector: exactly for the integer formats,
    /// whose products are integers; the float ones sum blocks of rows and vectors in another order, so
    /// within 1e-6 of the sum of magnitudes (measured: at most 9e-8).
    @Test(arguments: [EmbeddingFormat.stored, .f16, .int8, .q4])
    func batchedProductIsTheSingleVectorProductOfEachInput(format: EmbeddingFormat) throws {
        let (entry, bytes, _, file) = try head("llama-bitlinear-packed", format)
        defer { withExtendedLifetime(file) {} }
        let tensor = try DenseTensor(try #require(DenseType(rawValue: entry.type.rawValue)), rows: entry.shape[0], cols: entry.shape[1],
                                     bytes: bytes, owner: file)
        try expectBatchedProductIsTheSingleOne(tensor, "\(format)")
    }

    private func expectBatchedProductIsTheSingleOne(_ tensor: DenseTensor, _ label: String) throws {
        let (rows, cols) = (tensor.rows, tensor.cols)
        let integer = !TensorType(rawValue: tensor.type.rawValue)!.isFloat
        var rng = SplitMix64(seed: 11)
        for batch in [1, 5, 33] {
            let x = (0..<batch * cols).map { _ in Float.random(in: -2...2, using: &rng) }
            for isa in ISA.supported {
                let pool = try ThreadPool(threads: 2)
                pool.limitISA(to: isa)
                var batched = [Float](repeating: .nan, count: batch * rows)
                try tensor.multiply(x, batch: batch, into: &batched, workspace: Workspace(), pool: pool)
                for b in 0..<batch {
                    var single = [Float](repeating: .nan, count: rows)
                    try Array(x[b * cols..<(b + 1) * cols]).withUnsafeBufferPointer {
                        try tensor.multiply($0.baseAddress!, into: &single, workspace: Workspace(), pool: pool)
                    }
                    let vector = Array(x[b * cols..<(b + 1) * cols])
                    for r in 0..<rows where batched[b * rows + r] != single[r] {
                        var row = [Float](repeating: 0, count: cols)
                        try tensor.row(r, into: &row)
                        let magnitude = zip(row, vector).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
                        #expect(!integer && abs(batched[b * rows + r] - single[r]) <= 1e-6 * magnitude,
                                "\(label) \(isa) batch \(batch) vector \(b) row \(r): \(batched[b * rows + r]) vs \(single[r])")
                    }
                }
            }
        }
    }
}
