import Foundation
import RSRCore
import Testing

/// Activation quantization and attention: HF's formulas, and the same bits on every ISA and thread count.
@Suite struct TransformerKernelTests {
    /// HF's BitNet activation quantization, written out: s = 127 / max(max|x|, 1e-5), round half to even, clamp.
    func referenceQuantize(_ x: [Float]) -> ([Int8], Float) {
        let s = 127 / max(x.map(abs).max()!, 1e-5)
        return (x.map { Int8(max(-128, min(127, ($0 * s).rounded(.toNearestOrEven)))) }, s)
    }

    @Test(arguments: [1, 15, 16, 17, 100, 2560])
    func quantizationMatchesHF(cols: Int) throws {
        var rng = SplitMix64(seed: UInt64(cols))
        var rows: [[Float]] = (0..<3).map { _ in (0..<cols).map { _ in Float.random(in: -4...4, using: &rng) } }
        rows.append([Float](repeating: 0, count: cols))                           // all zero: the 1e-5 floor
        rows.append((0..<cols).map { i in i == 0 ? 127 : Float(i % 255) - 127 + 0.5 }) // s = 1: every other value is a tie
        let x = rows.flatMap { $0 }
        var q = [Int8](repeating: 0, count: x.count)
        var scales = [Float](repeating: 0, count: rows.count)
        try TransformerKernels.quantize(x, rows: rows.count, cols: cols, into: &q, scales: &scales)
        for (r, row) in rows.enumerated() {
            let (expected, s) = referenceQuantize(row)
            #expect(scales[r] == s, "row \(r) scale")
            #expect(Array(q[r * cols..<(r + 1) * cols]) == expected, "row \(r) of \(cols)")
        }
    }

    /// Many rows over the pool (more than one task's worth on two threads) quantize as HF's formula does each,
    /// at every ISA: widths with and without a remainder past the SIMD lanes, and a tie in every other value.
    @Test(arguments: ISA.supported)
    func quantizationOfManyRowsOverThePoolMatchesHF(isa: ISA) throws {
        for (rowCount, cols) in [(40, 2560), (9, 1403)] {
            var rng = SplitMix64(seed: 17)
            var x = (0..<rowCount * cols).map { _ in Float.random(in: -6...6, using: &rng) }
            for i in 0..<cols { x[cols + i] = i == 0 ? 127 : Float(i % 255) - 127 + 0.5 } // row 1: s = 1, ties
            for threads in [1, 2] {
                let pool = try ThreadPool(threads: threads)
                pool.limitISA(to: isa)
                var q = [Int8](repeating: 0, count: x.count), scales = [Float](repeating: 0, count: rowCount)
                try TransformerKernels.quantize(x, rows: rowCount, cols: cols, into: &q, scales: &scales, pool: pool)
                for r in 0..<rowCount {
                    let (expected, s) = referenceQuantize(Array(x[r * cols..<(r + 1) * cols]))
                    #expect(scales[r] == s && Array(q[r * cols..<(r + 1) * cols]) == expected, "row \(r) of \(cols), \(threads) threads, \(isa)")
                }
            }
        }
    }

    /// Products' sums back to floats in the order of AutoBitLinear (acc / s * weight scale) and BitLinear
    /// (acc / (weight scale * s)), then the bias: the scalar formula's bits on every ISA (whose kernels may
    /// divide by a multiply and a correction), batches split over the pool. The sums reach both ends of
    /// Int32, and the scales both sides of the range where the kernels stop dividing.
    @Test(arguments: [false, true])
    func rescaleIsTheScalarFormula(divide: Bool) throws {
        let (batch, rows) = (37, 2561)
        var rng = SplitMix64(seed: divide ? 2 : 1)
        let edges: [Int32] = [0, 1, -1, 1 << 24 - 1, 1 << 24 + 1, -(1 << 24 + 3), .max, .min, .max - 64, .min + 1]
        let acc = (0..<batch * rows).map { i -> Int32 in
            if i % 97 < edges.count { return edges[i % 97] }
            let magnitude = Int32.max >> Int32.random(in: 0...30, using: &rng)
            return Int32.random(in: -magnitude...magnitude, using: &rng)
        }
        var scales = (0..<batch).map { _ in Float.random(in: 0.5...90, using: &rng) }
        scales[3] = 0x1p-97   // outside the range: divided
        scales[4] = 0x1p-96   // its ends
        scales[5] = 0x1p96
        scales[6] = 1.5e-30
        scales[7] = 127 / 1e-5 // the largest a token's absmax makes
        let bias = (0..<rows).map { _ in Float.random(in: -1...1, using: &rng) }
        for weightScale: Float in [0.0371, 3e31] {
            for withBias in [true, false] {
                let expected = (0..<batch * rows).map { i -> Float in
                    let s = scales[i / rows]
                    var y = divide ? Float(acc[i]) / (weightScale * s) : Float(acc[i]) / s * weightScale
                    if withBias { y += bias[i % rows] }
                    return y
                }
                for threads in [1, 2] {
                    let pool = try ThreadPool(threads: threads)
                    for isa in ISA.supported {
                        pool.limitISA(to: isa)
                        var y = [Float](repeating: .nan, count: batch * rows)
                        TransformerKernels.rescale(acc, batch: batch, rows: rows, scales: scales, weightScale: weightScale, divide: divide,
                                                   bias: withBias ? bias : nil, into: &y, pool: pool)
                        let wrong = zip(y, expected).filter { $0.bitPattern != $1.bitPattern }.count
                        #expect(wrong == 0, "weight scale \(weightScale), bias \(withBias), \(threads) threads, \(isa)")
                    }
                }
            }
        }
    }

    /// RoPE's rotate-half written out (a cos - b sin, b cos + a sin, each product rounded), on rows of a
    /// batch that split over the pool and a decoded token's alone.
    @Test func ropeIsTheScalarFormula() throws {
        var rng = SplitMix64(seed: 9)
        for (tokens, heads, headDim) in [(1, 20, 128), (37, 5, 128), (130, 16, 96), (3, 2, 2)] {
            let half = headDim / 2
            let x = (0..<tokens * heads * headDim).map { _ in Float.random(in: -30...30, using: &rng) }
            let angles = (0..<tokens * half).map { _ in Float.random(in: -4000...4000, using: &rng) }
            let cos = angles.map { cosf($0) }, sin = angles.map { sinf($0) }
            var expected = x
            for t in 0..<tokens {
                for h in 0..<heads {
                    let row = (t * heads + h) * headDim
                    for i in 0..<half {
                        let a = x[row + i], b = x[row + i + half], c = cos[t * half + i], s = sin[t * half + i]
                        let ac = a * c, bs = b * s, bc = b * c, as_ = a * s
                        expected[row + i] = ac - bs
                        expected[row + i + half] = bc + as_
                    }
                }
            }
            for threads in [1, 2, 3] {
                var y = x
                TransformerKernels.rope(&y, tokens: tokens, heads: heads, headDim: headDim, cos: cos, sin: sin, pool: try ThreadPool(threads: threads))
                #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "\(tokens)x\(heads)x\(headDim), \(threads) threads")
            }
        }
    }

    /// The relu² GLU: max(g, 0)² times up, NaN kept as Swift's max keeps it, -0 as +0; arrays long enough
    /// to split over the pool.
    @Test func relu2GLUIsTheScalarFormula() throws {
        var rng = SplitMix64(seed: 10)
        for count in [1, 6912, 128 * 6912 + 3] {
            var gate = (0..<count).map { _ in Float.random(in: -8...8, using: &rng) }
            let up = (0..<count).map { _ in Float.random(in: -8...8, using: &rng) }
            if count > 4 { gate[0] = .nan; gate[1] = -0.0; gate[2] = .infinity; gate[3] = -.infinity }
            let expected = zip(gate, up).map { g, u -> Float in
                let m = max(g, 0)
                return m * m * u
            }
            for threads in [1, 2] {
                var y = gate
                TransformerKernels.relu2Mul(&y, up, count: count, pool: try ThreadPool(threads: threads))
                #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "\(count) values, \(threads) threads")
            }
        }
    }

    /// Greedy sampling's argmax is the scan that keeps the first strictly larger value: ties go to the first,
    /// NaNs never win unless they come first, -0 and +0 tie; lengths around the vector width.
    @Test func argmaxIsTheFirstLargestAsAScanFindsIt() {
        func scan(_ x: [Float]) -> Int {
            var best = 0
            for i in x.indices where x[i] > x[best] { best = i }
            return best
        }
        var rng = SplitMix64(seed: 11)
        var cases: [[Float]] = [[0], [.nan, 1, 2], [1, .nan, 3, .nan], [-0.0, 0, -0.0], [0, -0.0], [-.infinity, -.infinity],
                                [.infinity, .nan, .infinity]]
        for count in [15, 16, 17, 33, 128_256] {
            let x = (0..<count).map { _ in Float(Int.random(in: -50...50, using: &rng)) } // small integers: many ties
            cases.append(x)
            var withNaNs = x
            for i in stride(from: 1, to: count, by: 7) { withNaNs[i] = .nan }
            cases.append(withNaNs)
            var lastWins = x
            lastWins[count - 1] = 1000
            cases.append(lastWins)
        }
        for x in cases {
            #expect(x.withUnsafeBufferPointer { TransformerKernels.argmax($0) } == scan(x), "\(x.prefix(8)) of \(x.count)")
        }
    }

    /// RMSNorm written out as rsr_rms_norm_f32 documents it: squares summed in f64 in four chains (element c
    /// in chain c % 4), the mean rounded to f32 plus eps, its root, then weight * (x / root).
    func referenceRMSNorm(_ row: [Float], weight: [Float], eps: Float) -> [Float] {
        var chains = [Double](repeating: 0, count: 4)
        let whole = row.count / 4 * 4
        for c in 0..<whole { chains[c % 4] += Double(row[c]) * Double(row[c]) }
        for c in whole..<row.count { chains[0] += Double(row[c]) * Double(row[c]) }
        let root = (Float(((chains[0] + chains[1]) + (chains[2] + chains[3])) / Double(row.count)) + eps).squareRoot()
        return zip(row, weight).map { x, w in w * (x / root) }
    }

    /// Rows of every remainder past the four chains, and batches that split over the pool unevenly.
    @Test(arguments: [1, 3, 6, 64, 2563], [1, 2, 3])
    func rmsNormIsTheReferenceOnEveryThreadCount(cols: Int, threads: Int) throws {
        var rng = SplitMix64(seed: UInt64(cols * 10 + threads))
        let rows = 37
        let x = (0..<rows * cols).map { _ in Float.random(in: -3...3, using: &rng) }
        let weight = (0..<cols).map { _ in Float.random(in: 0.5...1.5, using: &rng) }
        var out = [Float](repeating: .nan, count: rows * cols)
        let pool = try ThreadPool(threads: threads)
        x.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { weight in
                TransformerKernels.rmsNorm(x.baseAddress!, rows: rows, cols: cols, weight: weight, eps: 1e-5, into: &out, pool: pool)
            }
        }
        for r in 0..<rows {
            let expected = referenceRMSNorm(Array(x[r * cols..<(r + 1) * cols]), weight: weight, eps: 1e-5)
            #expect(Array(out[r * cols..<(r + 1) * cols]).map(\.bitPattern) == expected.map(\.bitPattern), "row \(r) of \(cols), \(threads) threads")
        }
    }

    /// Head sizes with a tail past the SIMD width (20, and 100 as bitnet_b1_58-3B's), one register block of
    /// outputs (64), a block and a half (96), two (128), more (136) and the most a position's values in
    /// registers take (256); 1 to 4 query heads per KV head (a task takes several of them, and how many
    /// depends on the thread count), contexts that end inside the second and fourth block of positions, and a
    /// lone token's lone head over 151 positions (read a page a call instead of a block).
    @Test(arguments: [(1, 0, 4), (1, 37, 8), (5, 0, 6), (3, 9, 4), (1, 100, 8), (2, 70, 2), (1, 150, 2)], [20, 64, 96, 100, 128, 136, 256])
    func attentionIsTheSameOnEveryISAAndThreadCount(shape: (tokens: Int, start: Int, heads: Int), headDim: Int) throws {
        let (tokens, start, heads) = shape
        let kvHeads = 2
        let positions = start + tokens, capacity = positions + 3 // [kvHeads][capacity][headDim], unused tail
        var rng = SplitMix64(seed: UInt64(tokens * 100 + start + headDim * 10000))
        let q = (0..<tokens * heads * headDim).map { _ in Float.random(in: -2...2, using: &rng) }
        let k = (0..<capacity * kvHeads * headDim).map { _ in Float.random(in: -2...2, using: &rng) }
        let v = (0..<capacity * kvHeads * headDim).map { _ in Float.random(in: -2...2, using: &rng) }
        var results: [[Float]] = []
        for threads in [1, 2] {
            for isa in ISA.supported {
                let pool = try ThreadPool(threads: threads)
                pool.limitISA(to: isa)
                var out = [Float](repeating: .nan, count: q.count)
                try TransformerKernels.attention(q: q, tokens: tokens, start: start, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                 capacity: capacity, keys: k, values: v, into: &out, workspace: Workspace(), pool: pool)
                results.append(out)
            }
        }
        #expect(results.allSatisfy { $0 == results[0] })
        // Against softmax(q k / sqrt(d)) v in double precision.
        for t in 0..<tokens {
            for h in 0..<heads {
                let kv = h / (heads / kvHeads), qRow = (t * heads + h) * headDim
                let scores = (0...(start + t)).map { p in
                    (0..<headDim).reduce(0.0) { $0 + Double(q[qRow + $1]) * Double(k[(kv * capacity + p) * headDim + $1]) } / Double(headDim).squareRoot()
                }
                let weights = scores.map { exp($0 - scores.max()!) }, total = weights.reduce(0, +)
                for i in 0..<headDim {
                    let expected = weights.indices.reduce(0.0) { $0 + weights[$1] / total * Double(v[(kv * capacity + $1) * headDim + i]) }
                    #expect(abs(Double(results[0][qRow + i]) - expected) < 1e-5, "token \(t) head \(h) dim \(i)")
                }
            }
        }
    }

    /// The softmax's exponentials over all of their range, thresholds included: with q = 8 e0 and head size 64
    /// the scores are the keys' first values, and with the values the identity the output is the weights. Every
    /// ISA gives the same bits, and (glibc on x86-64) the C library's expf's: w = expf(s - max) / sum, the sum
    /// over sixteen partial sums added pairwise.
    @Test func softmaxWeightsAreExpfsOnEveryISA() throws {
        let headDim = 64, positions = 64
        var rng = SplitMix64(seed: 9)
        let edges: [Float] = [-0x1.9fe368p6, -0x1.9d1d9ep6, -104, -88, -87.5, -1e-7, -0x1p-149, -.infinity]
        let q = (0..<headDim).map { $0 == 0 ? Float(8) : 0 }
        let v = (0..<positions * headDim).map { $0 / headDim == $0 % headDim ? Float(1) : 0 }
        for row in 0..<300 {
            var scores = (0..<positions).map { _ in Float.random(in: -110...0, using: &rng) }
            let edge = edges[row % edges.count]
            scores[1] = edge
            scores[2] = edge.nextUp
            scores[3] = edge.nextDown
            scores[0] = row % 3 == 0 ? 0 : Float.random(in: -5...5, using: &rng) // the maximum, or near it
            let k = (0..<positions * headDim).map { $0 % headDim == 0 ? scores[$0 / headDim] : 0 }
            var results: [[Float]] = []
            for isa in ISA.supported {
                let pool = try ThreadPool(threads: 1)
                pool.limitISA(to: isa)
                var out = [Float](repeating: .nan, count: headDim)
                try TransformerKernels.attention(q: q, tokens: 1, start: positions - 1, heads: 1, kvHeads: 1, headDim: headDim,
                                                 capacity: positions, keys: k, values: v, into: &out, workspace: Workspace(), pool: pool)
                results.append(out)
            }
            #expect(results.allSatisfy { $0.map(\.bitPattern) == results[0].map(\.bitPattern) }, "row \(row)")
            #if os(Linux) && arch(x86_64)
            let max = scores.max()!, weights = scores.map { expf($0 - max) }
            // weight p into partial sum p % 16, in order; the partial sums added pairwise
            var lanes = [Float](repeating: 0, count: 16)
            for (p, w) in weights.enumerated() { lanes[p % 16] += w }
            func pairwise(_ a: ArraySlice<Float>) -> Float { a.count == 1 ? a.first! : pairwise(a.prefix(a.count / 2)) + pairwise(a.suffix(a.count / 2)) }
            let total = pairwise(lanes[...])
            #expect(results[0].map(\.bitPattern) == weights.map { ($0 / total).bitPattern }, "row \(row)")
            #endif
        }
    }

    /// SiLU times up: the same bits on every ISA and thread count, and (glibc on x86-64) transformers' formula
    /// with the C library's expf, over inputs where exp(-g) overflows, underflows and everything between.
    @Test func siluMulIsTheSameOnEveryISAAndThreadCount() throws {
        var rng = SplitMix64(seed: 3)
        let count = 150_011 // more than two tasks' worth, and a tail
        var gate = (0..<count).map { _ in Float.random(in: -120...120, using: &rng) }
        gate[0..<8] = [0, -0.0, 88.7, -88.7, 0x1.9fe368p6, 0x1.9d1d9ep6, .infinity, -.infinity]
        let up = (0..<count).map { _ in Float.random(in: -3...3, using: &rng) }
        var results: [[UInt32]] = []
        for threads in [1, 2] {
            for isa in ISA.supported {
                let pool = try ThreadPool(threads: threads)
                pool.limitISA(to: isa)
                var out = gate
                out.withUnsafeMutableBufferPointer { out in
                    up.withUnsafeBufferPointer { TransformerKernels.siluMul(out.baseAddress!, $0.baseAddress!, count: count, pool: pool) }
                }
                results.append(out.map(\.bitPattern))
            }
        }
        #expect(results.allSatisfy { $0 == results[0] })
        #if os(Linux) && arch(x86_64)
        let expected = zip(gate, up).map { g, u in (g * (1 / (1 + expf(-g))) * u).bitPattern }
        #expect(results[0] == expected)
        #endif
    }

    /// Sequences of different lengths, positions and cache capacities in one call each get, bit for bit,
    /// what they get alone in a contiguous cache, on one and two threads, with their positions in pages of
    /// one shared pool, out of order: pages of 3 positions (a page boundary inside every block of the
    /// kernel), 16 (half a block) and 64 (two blocks).
    @Test(arguments: [3, 16, 64])
    func attentionOfSeveralPagedSequencesIsEachOnesAlone(pagePositions: Int) throws {
        let (heads, kvHeads, headDim) = (8, 2, 64)
        let shapes = [(tokens: 1, start: 40, capacity: 50), (tokens: 5, start: 0, capacity: 5), (tokens: 1, start: 0, capacity: 9),
                      (tokens: 3, start: 70, capacity: 80)]
        var rng = SplitMix64(seed: 5)
        let random = { (count: Int) in (0..<count).map { _ in Float.random(in: -2...2, using: &rng) } }
        let inputs = shapes.map { s in
            (q: random(s.tokens * heads * headDim), k: random(s.capacity * kvHeads * headDim), v: random(s.capacity * kvHeads * headDim))
        }
        // every sequence's pages, taken from one shuffled list of the pool's pages
        let pagesOf = shapes.map { ($0.capacity + pagePositions - 1) / pagePositions }
        let pageCount = pagesOf.reduce(0, +) + 3
        var order = Array(0..<pageCount)
        order.shuffle(using: &rng)
        var tables: [[UInt32]] = []
        for n in pagesOf {
            tables.append(order.prefix(n).map { UInt32($0) })
            order.removeFirst(n)
        }
        let arena = pageCount * kvHeads * pagePositions * headDim
        let keys = UnsafeMutablePointer<Float>.allocate(capacity: arena), values = UnsafeMutablePointer<Float>.allocate(capacity: arena)
        keys.initialize(repeating: .nan, count: arena)
        values.initialize(repeating: .nan, count: arena)
        for (i, s) in shapes.enumerated() {
            for h in 0..<kvHeads {
                for p in 0..<s.capacity {
                    let target = ((h * pageCount + Int(tables[i][p / pagePositions])) * pagePositions + p % pagePositions) * headDim
                    let source = (h * s.capacity + p) * headDim
                    (keys + target).update(from: Array(inputs[i].k[source..<source + headDim]), count: headDim)
                    (values + target).update(from: Array(inputs[i].v[source..<source + headDim]), count: headDim)
                }
            }
        }
        let qs = inputs.map { input in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: input.q.count)
            buffer.initialize(from: input.q, count: input.q.count)
            return buffer
        }
        let pageTables = tables.map { table in
            let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: table.count)
            buffer.initialize(from: table, count: table.count)
            return buffer
        }
        let outs = shapes.map { s in UnsafeMutablePointer<Float>.allocate(capacity: s.tokens * heads * headDim) }
        defer {
            (qs + outs + [keys, values]).forEach { $0.deallocate() }
            pageTables.forEach { $0.deallocate() }
        }
        for threads in [1, 2] {
            let pool = try ThreadPool(threads: threads)
            let alone = try zip(shapes, inputs).map { s, input in
                var out = [Float](repeating: .nan, count: input.q.count)
                try TransformerKernels.attention(q: input.q, tokens: s.tokens, start: s.start, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                 capacity: s.capacity, keys: input.k, values: input.v, into: &out, workspace: Workspace(), pool: pool)
                return out
            }
            let sequences = shapes.indices.map { i in
                TransformerKernels.AttentionSequence(q: qs[i], tokens: shapes[i].tokens, start: shapes[i].start, keys: keys, values: values,
                                                     pages: pageTables[i], pagePositions: pagePositions, pageCount: pageCount, into: outs[i])
            }
            try TransformerKernels.attention(sequences, heads: heads, kvHeads: kvHeads, headDim: headDim, workspace: Workspace(), pool: pool)
            for (i, s) in shapes.enumerated() {
                #expect(Array(UnsafeBufferPointer(start: outs[i], count: s.tokens * heads * headDim)) == alone[i], "sequence \(i), \(threads) threads")
            }
        }
    }

    /// A prompt's tokens in one call get, bit for bit, what each gets alone as the next token of the
    /// sequence: tasks take tiles of tokens, and every token's sums stop at its own last position. Groups of
    /// 4, 3 and 1 query heads per KV head (tiles of 4, 5 and 16 tokens), prompts that end inside a tile and
    /// past several, from the first position or after a cached context; f32 and half caches.
    @Test(arguments: [(8, 2), (6, 2), (2, 2)], [KVCacheType.f32, .f16])
    func aPromptInOneCallIsEachTokenAlone(heads: (Int, Int), cacheType: KVCacheType) throws {
        let ((heads, kvHeads), headDim) = (heads, 64)
        for (tokens, start) in [(37, 0), (6, 0), (21, 45)] {
            let positions = start + tokens
            var rng = SplitMix64(seed: UInt64(tokens * 1000 + start + heads))
            let q = (0..<tokens * heads * headDim).map { _ in Float.random(in: -2...2, using: &rng) }
            let k = (0..<positions * kvHeads * headDim).map { _ in Float.random(in: -2...2, using: &rng) }
            let v = (0..<positions * kvHeads * headDim).map { _ in Float.random(in: -2...2, using: &rng) }
            let pool = try ThreadPool(threads: 1)
            func cache(_ x: [Float]) -> [UInt8] {
                guard cacheType == .f16 else { return x.withUnsafeBytes { Array($0) } }
                var h = [UInt16](repeating: 0, count: x.count)
                x.withUnsafeBufferPointer { x in
                    h.withUnsafeMutableBufferPointer { TransformerKernels.halves(x.baseAddress!, count: x.count, into: $0.baseAddress!, pool: pool) }
                }
                return h.withUnsafeBytes { Array($0) }
            }
            let (keys, values) = (cache(k), cache(v))
            let page: [UInt32] = [0]
            // rows [first, first + count) of q as one call's tokens
            func attend(first: Int, count: Int, pool: ThreadPool) throws -> [Float] {
                let width = heads * headDim
                var out = [Float](repeating: .nan, count: count * width)
                let rows = Array(q[first * width..<(first + count) * width])
                try rows.withUnsafeBufferPointer { rows in
                    try keys.withUnsafeBytes { keys in
                        try values.withUnsafeBytes { values in
                            try page.withUnsafeBufferPointer { page in
                                try out.withUnsafeMutableBufferPointer { out in
                                    let sequence = TransformerKernels.AttentionSequence(
                                        q: rows.baseAddress!, tokens: count, start: start + first, keys: keys.baseAddress!, values: values.baseAddress!,
                                        pages: page.baseAddress!, pagePositions: positions, pageCount: 1, into: out.baseAddress!)
                                    try TransformerKernels.attention([sequence], heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                                     cacheType: cacheType, workspace: Workspace(), pool: pool)
                                }
                            }
                        }
                    }
                }
                return out
            }
            for threads in [1, 2] {
                for isa in ISA.supported {
                    let pool = try ThreadPool(threads: threads)
                    pool.limitISA(to: isa)
                    let prompt = try attend(first: 0, count: tokens, pool: pool)
                    let alone = try (0..<tokens).flatMap { try attend(first: $0, count: 1, pool: pool) }
                    #expect(prompt.map(\.bitPattern) == alone.map(\.bitPattern), "\(tokens) tokens after \(start), \(threads) threads, \(isa)")
                }
            }
        }
    }

    /// A page index past the pool is refused, not read.
    @Test func attentionRefusesAPageOutsideThePool() throws {
        let (heads, kvHeads, headDim, pagePositions, pageCount) = (2, 1, 16, 4, 2)
        let q = [Float](repeating: 1, count: heads * headDim), keys = [Float](repeating: 0, count: pageCount * pagePositions * headDim)
        var out = [Float](repeating: 0, count: heads * headDim)
        let pages: [UInt32] = [1, 2]
        let error = #expect(throws: KernelError.self) {
            try q.withUnsafeBufferPointer { q in
                try keys.withUnsafeBufferPointer { kv in
                    try pages.withUnsafeBufferPointer { pages in
                        try out.withUnsafeMutableBufferPointer { out in
                            let sequence = TransformerKernels.AttentionSequence(q: q.baseAddress!, tokens: 1, start: 5, keys: kv.baseAddress!,
                                                                                values: kv.baseAddress!, pages: pages.baseAddress!,
                                                                                pagePositions: pagePositions, pageCount: pageCount, into: out.baseAddress!)
                            try TransformerKernels.attention([sequence], heads: heads, kvHeads: kvHeads, headDim: headDim, workspace: Workspace(), pool: nil)
                        }
                    }
                }
            }
        }
        #expect(error != nil)
    }
}
