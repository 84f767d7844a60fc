import Foundation
import RSRCore

/// Which kernels a converted model's layers are prepared for.
public enum KernelPolicy: String, CaseIterable, Sendable {
    /// The fastest measured on this machine for each layer's shape, per phase.
    case auto
    /// RSR layouts: transposed RSR for decode (where this CPU has its AVX-512 kernel), classical for prefill.
    case rsr
    /// Transposed RSR only: one 1.6-bit layout for both phases, the smallest file.
    case rsrT = "rsr-t"
    /// The 2-bit packed baseline only.
    case packedI2 = "packed-i2"
    /// For servers. With AVX-512: transposed RSR for one sequence and packed-i2 for every batch, whose kernel
    /// takes 8 vectors a pass, so that steps of a few sequences share their weight reads (a classical RSR
    /// layout hands batches under 32 to the decode layout vector by vector there). Without it: packed-i2 for
    /// one sequence and for steps of up to 39 sequences (whose AVX2 kernel looks 4 or more vectors up in
    /// tables), classical RSR for larger batches and prefill. On both, a relu² model's down projection
    /// decodes through sparse-i2, as under `auto` (with AVX-512 its batches too).
    case serve
}

/// The layouts of one layer: one for decode and, when another kernel is enough faster on batches, one
/// for prefill.
struct LayoutPlan: Equatable {
    let decode: LayoutKind
    let prefill: LayoutKind?
}

/// What `--tune` asks to be timed: every kernel a plan can choose, on each shape, at each batch size.
public struct KernelTimingRequest: Sendable {
    public let shapes: [MatrixShape]
    public let batches: [Int]
    /// As `rsr bench kernels --kernels` names them.
    public let kernels: [String]
    public let k: KChoice
    public let isa: ISA
    public let threads: Int
}

/// Median µs per product by shape, batch and kernel name ("rsr-t", "packed-i2", "rsr").
public typealias KernelTimes = [MatrixShape: [Int: [String: Double]]]

/// Times kernels for `--tune` (the command line passes rsr bench's harness); `progress` gets lines to show.
public typealias KernelTimer = @Sendable (KernelTimingRequest, _ progress: @escaping (String) -> Void) throws -> KernelTimes

/// Chooses layouts per shape under a policy, from the tuned table or from measurements made now.
final class KernelPlanner {
    /// A second layout must make prefill at least this much faster to be worth its bytes.
    static let prefillGain = 1.15
    static let batchSizes = [1, 64]

    let policy: KernelPolicy
    let k: KChoice
    let isa: ISA
    /// Times measured by `measure`: shape → batch → kernel name → µs.
    private(set) var measured: KernelTimes = [:]
    /// How the layouts were chosen, for the convert report.
    private(set) var basis: String

    init(policy: KernelPolicy, k: KChoice, isa: ISA) {
        self.policy = policy
        if policy != .auto {
            basis = "--kernel \(policy.rawValue)"
        } else if isa == TunedKernels.measuredISA {
            basis = "the tuned table"
        } else {
            // the table's ranking does not carry over to another instruction set (TunedKernels.times)
            basis = "no tuned table for \(isa): docs/BENCHMARKS.md's choice for it"
        }
        self.k = k
        self.isa = isa
    }

    /// Times the candidate kernels on each shape (for `--tune`) with `timer`.
    func measure(_ shapes: [MatrixShape], threads: Int, timer: KernelTimer, progress: @escaping (String) -> Void) throws {
        let request = KernelTimingRequest(shapes: shapes, batches: Self.batchSizes, kernels: ["rsr-t", "packed-i2", "rsr"], k: k,
                                          isa: isa, threads: threads)
        measured = try timer(request, progress)
        basis = "measured now"
    }

    /// The layouts for a matrix of `shape`. `sparseInputs`: its inputs are mostly zeros (a relu² GLU's
    /// output, which the down projection takes).
    func plan(_ shape: MatrixShape, weights: WeightKind, sparseInputs: Bool = false) -> LayoutPlan {
        let dense = densePlan(shape, weights: weights)
        // sparse-i2 reads and multiplies only the nonzero inputs' columns. On AVX2, where the other decode
        // kernels are bound by their multiply-adds, that made 2B4T's down projection 1.3x (67% zeros, random
        // weights) to 3x (86%, a trained model's) faster than packed-i2 on 2 threads, and steps of 8 vectors
        // even (67%) to 2.1x faster than packed-i2's lookups (docs/BENCHMARKS.md), so servers take it too.
        // With AVX-512, against rsr-t near the memory's rate at 1.6 bits a weight: 1.1-1.6x faster at 67%
        // zeros (a third of the lines, read out of order, cost memory nearly what a stream does: a decoded
        // token gains little) and 5-10x at 86%. Its batches beat classical RSR's too, 1.2x at 128 vectors
        // and 67% zeros and 2.6x at 86% (0.8-1x at relu's least, 50%), and packed-i2's from 8 vectors
        // (1.14x at 67%, 2.5x at 86%), so there it is the only layout: prefill 8% faster on 1 thread, and 8
        // streams 2-10% faster in 3 of 5 rounds (docs/BENCHMARKS.md, "sparse-i2 with AVX-512").
        guard sparseInputs, policy == .auto || policy == .serve, isa == .avx2 || isa == .avx512 else { return dense }
        if isa == .avx512 { return LayoutPlan(decode: .sparseI2, prefill: nil) }
        return LayoutPlan(decode: .sparseI2, prefill: dense.prefill ?? dense.decode)
    }

    private func densePlan(_ shape: MatrixShape, weights: WeightKind) -> LayoutPlan {
        let rsrDecode = LayoutKind.rsr(k: classicalK(shape, batch: 1, weights: weights))
        let rsrPrefill = LayoutKind.rsr(k: classicalK(shape, batch: 64, weights: weights))
        switch policy {
        case .rsrT: return LayoutPlan(decode: .rsrT, prefill: nil)
        case .packedI2: return LayoutPlan(decode: .packedI2, prefill: nil)
        case .serve: return isa == .avx512 ? LayoutPlan(decode: .rsrT, prefill: .packedI2) : LayoutPlan(decode: .packedI2, prefill: rsrPrefill)
        case .rsr: return LayoutPlan(decode: isa == .avx512 ? .rsrT : rsrDecode, prefill: isa == .avx512 ? rsrPrefill : nil)
        case .auto: break
        }
        let kinds = ["rsr-t": LayoutKind.rsrT, "packed-i2": .packedI2]
        guard let single = times(shape, batch: 1), let batched = times(shape, batch: 64),
              let decodeName = kinds.keys.filter({ single[$0] != nil }).min(by: { single[$0]! < single[$1]! }) else {
            // No measurement for this instruction set: what the measurements in docs/BENCHMARKS.md show.
            return isa == .avx512 ? LayoutPlan(decode: .rsrT, prefill: rsrPrefill) : LayoutPlan(decode: .packedI2, prefill: rsrPrefill)
        }
        let decode = kinds[decodeName]!
        let candidates = ["rsr": rsrPrefill, "packed-i2": .packedI2, "rsr-t": .rsrT].filter { batched[$0.key] != nil }
        guard let fastest = candidates.keys.min(by: { batched[$0]! < batched[$1]! }), fastest != decodeName,
              let decodeTime = batched[decodeName], decodeTime / batched[fastest]! >= Self.prefillGain else {
            return LayoutPlan(decode: decode, prefill: nil)
        }
        return LayoutPlan(decode: decode, prefill: candidates[fastest]!)
    }

    private func times(_ shape: MatrixShape, batch: Int) -> [String: Double]? {
        measured[shape]?[batch] ?? TunedKernels.times(for: shape, batch: batch, isa: isa)
    }

    private func classicalK(_ shape: MatrixShape, batch: Int, weights: WeightKind) -> Int {
        if case .fixed(let value) = k { return value }
        return KTuner.tunedK(for: shape, batch: batch, weights: weights)
    }
}
