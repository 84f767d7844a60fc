import Foundation
import RSRCore
import Testing

/// KV caches of IEEE halves: f32 to half rounds as Swift's Float16 does (to nearest even) but holds
/// magnitudes past 65504 there, and attention over halves is attention over their widened values.
@Suite struct HalfCacheTests {
    func halves(_ x: [Float], threads: Int, isa: ISA) throws -> [UInt16] {
        let pool = try ThreadPool(threads: threads)
        pool.limitISA(to: isa)
        var out = [UInt16](repeating: 0xdead, count: x.count)
        x.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { TransformerKernels.halves(x.baseAddress!, count: x.count, into: $0.baseAddress!, pool: pool) }
        }
        return out
    }

    /// Every exponent a half can round to and past it, ties, subnormals, zeros, infinities and NaNs, more
    /// than two tasks' worth and a tail past the SIMD width: the same bits on every ISA and thread count, and
    /// Float16's except where it overflows.
    @Test func halvesRoundToNearestEvenAndHoldAt65504() throws {
        var rng = SplitMix64(seed: 11)
        var x: [Float] = [0, -0.0, 65504, -65504, 65519.99, 65520, 1e9, -1e9, .infinity, -.infinity, .nan, -.nan,
                          0x1p-24, 0x1p-25, 0x1.8p-25, 0x1.8p-24, 0x1.ff8p-15, 0x1.ffcp-15, 0x1p-14, 0x1.002p0, 0x1.006p0, 0x1p-149,
                          Float(bitPattern: 0x7fa0_0001)] // a signalling NaN
        while x.count < 140_003 {
            let exponent = Int.random(in: -30...17, using: &rng)
            x.append(Float(sign: Bool.random(using: &rng) ? .minus : .plus, exponent: exponent,
                           significand: Float.random(in: 1..<2, using: &rng)))
        }
        let results = try [1, 2].flatMap { threads in try ISA.supported.map { try halves(x, threads: threads, isa: $0) } }
        #expect(results.allSatisfy { $0 == results[0] })
        #if arch(x86_64) || arch(arm64)
        for (value, bits) in zip(x, results[0]) {
            let half = Float16(bitPattern: bits)
            if value.isNaN {
                #expect(half.isNaN, "\(value)")
            } else if abs(value) >= 65504 {
                #expect(half == (value < 0 ? -65504 : 65504), "\(value)")
            } else {
                #expect(bits == Float16(value).bitPattern, "\(value): \(String(bits, radix: 16))")
            }
        }
        #endif
    }

    /// Halves widen exactly, so attention over a cache of halves gives the bits attention over an f32 cache of
    /// the same values gives, on every ISA and thread count: head sizes with a tail past the SIMD width (20),
    /// common ones, and one so large (2000) that only four positions of it are widened at a time; tokens whose
    /// query heads share a KV head, and a lone token of a lone head (widened a page at a time).
    @Test(arguments: [20, 64, 128, 2000], [(8, 2, 3, 70), (2, 2, 1, 150)])
    func attentionOverHalvesIsAttentionOverTheirValues(headDim: Int, shape: (heads: Int, kvHeads: Int, tokens: Int, start: Int)) throws {
        let (heads, kvHeads, tokens, start) = shape
        let capacity = start + tokens + 5
        var rng = SplitMix64(seed: UInt64(headDim))
        let q = (0..<tokens * heads * headDim).map { _ in Float.random(in: -2...2, using: &rng) }
        let k = (0..<capacity * kvHeads * headDim).map { _ in Float.random(in: -3...3, using: &rng) }
        let v = (0..<capacity * kvHeads * headDim).map { _ in Float.random(in: -3...3, using: &rng) }
        let (k16, v16) = (try halves(k, threads: 1, isa: .scalar), try halves(v, threads: 1, isa: .scalar))
        let (widenedK, widenedV) = (k16.map { Float(Float16(bitPattern: $0)) }, v16.map { Float(Float16(bitPattern: $0)) })
        for threads in [1, 2] {
            for isa in ISA.supported {
                let pool = try ThreadPool(threads: threads)
                pool.limitISA(to: isa)
                var expected = [Float](repeating: .nan, count: q.count), got = expected
                try TransformerKernels.attention(q: q, tokens: tokens, start: start, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                                 capacity: capacity, keys: widenedK, values: widenedV, into: &expected,
                                                 workspace: Workspace(), pool: pool)
                try [UInt32(0)].withUnsafeBufferPointer { page in
                    try got.withUnsafeMutableBufferPointer { out in
                        let sequence = TransformerKernels.AttentionSequence(q: q, tokens: tokens, start: start, keys: k16, values: v16,
                                                                            pages: page.baseAddress!, pagePositions: capacity, pageCount: 1,
                                                                            into: out.baseAddress!)
                        try TransformerKernels.attention([sequence], heads: heads, kvHeads: kvHeads, headDim: headDim, cacheType: .f16,
                                                         workspace: Workspace(), pool: pool)
                    }
                }
                #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(threads) threads, \(isa)")
            }
        }
    }
}
