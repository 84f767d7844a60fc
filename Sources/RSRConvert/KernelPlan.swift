import Foundation
import RSRBench
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
}

/// The layouts of one layer: one for decode and, when another kernel is enough faster on batches, one
/// for prefill.
struct LayoutPlan: Equatable {
    let decode: LayoutKind
    let prefill: LayoutKind?
}

/// Chooses layouts per shape under a policy, from the tuned table or from measurements made now.
final class KernelPlanner {
    /// A second layout must make prefill at least this much faster to be worth its bytes.
    static let prefillGain = 1.15
    static let batchSizes = [1, 64]

    let policy: KernelPolicy
    let k: KChoice
    let isa: ISA
    /// Times measured by `measure`: shape → batch → kernel name → µs.
    private(set) var measured: [MatrixShape: [Int: [String: Double]]] = [:]
    /// Why auto chose as it did, for the convert report.
    private(set) var basis = "the tuned table"

    init(policy: KernelPolicy, k: KChoice, isa: ISA) {
        self.policy = policy
        self.k = k
        self.isa = isa
    }

    /// Times the candidate kernels on each shape with cold weights (for `--tune`).
    func measure(_ shapes: [MatrixShape], threads: Int, progress: @escaping (String) -> Void) throws {
        var bench = KernelBenchmark(shapes: shapes, threads: [threads], batches: Self.batchSizes, kernels: [.rsrT, .packedI2, .rsr])
        bench.k = k
        bench.isa = isa
        bench.minSeconds = 0.1
        bench.measuresBandwidth = false
        for row in try bench.run(progress: progress).rows {
            measured[row.shape, default: [:]][row.batch, default: [:]][row.kernel.rawValue] = row.medianSeconds * 1e6
        }
        basis = "measured now"
    }

    func plan(_ shape: MatrixShape, weights: WeightKind) -> LayoutPlan {
        let rsrDecode = LayoutKind.rsr(k: classicalK(shape, batch: 1, weights: weights))
        let rsrPrefill = LayoutKind.rsr(k: classicalK(shape, batch: 64, weights: weights))
        switch policy {
        case .rsrT: return LayoutPlan(decode: .rsrT, prefill: nil)
        case .packedI2: return LayoutPlan(decode: .packedI2, prefill: nil)
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
