import RSRBench
@testable import RSRConvert
import RSRCore
import Testing

@Suite struct KernelPlanTests {
    let shape = MatrixShape(rows: 2560, cols: 2560)

    @Test func fixedPoliciesGiveTheirLayouts() {
        #expect(KernelPlanner(policy: .rsrT, k: .auto, isa: .avx512).plan(shape, weights: .ternary) == LayoutPlan(decode: .rsrT, prefill: nil))
        #expect(KernelPlanner(policy: .packedI2, k: .auto, isa: .avx2).plan(shape, weights: .ternary) == LayoutPlan(decode: .packedI2, prefill: nil))
        #expect(KernelPlanner(policy: .rsr, k: .fixed(5), isa: .avx512).plan(shape, weights: .ternary) == LayoutPlan(decode: .rsrT, prefill: .rsr(k: 5)))
        // Without AVX-512 the transposed kernel has no SIMD version: classical RSR for both phases.
        #expect(KernelPlanner(policy: .rsr, k: .fixed(4), isa: .avx2).plan(shape, weights: .ternary) == LayoutPlan(decode: .rsr(k: 4), prefill: nil))
    }

    @Test func autoWithoutMeasurementsForThisISAFollowsTheDocumentedRule() {
        let other: ISA = TunedKernels.measuredISA == .avx2 ? .scalar : .avx2
        let plan = KernelPlanner(policy: .auto, k: .fixed(4), isa: other).plan(shape, weights: .ternary)
        #expect(plan == LayoutPlan(decode: .packedI2, prefill: .rsr(k: 4)))
    }

    /// With --tune, the plan is the ranking of what was just measured.
    @Test func autoFollowsMeasuredTimes() throws {
        let small = MatrixShape(rows: 256, cols: 512)
        let planner = KernelPlanner(policy: .auto, k: .fixed(4), isa: .best)
        try planner.measure([small], threads: 1) { _ in }
        let single = try #require(planner.measured[small]?[1]), batched = try #require(planner.measured[small]?[64])
        #expect(Set(single.keys) == ["rsr", "rsr-t", "packed-i2"])
        let plan = planner.plan(small, weights: .ternary)
        let decode = single["rsr-t"]! < single["packed-i2"]! ? "rsr-t" : "packed-i2"
        #expect(plan.decode.name == decode)
        if let prefill = plan.prefill {
            #expect(batched[decode]! / batched[prefill.name]! >= KernelPlanner.prefillGain)
        } else {
            let best = batched.values.min()!
            #expect(batched[decode]! / best < KernelPlanner.prefillGain)
        }
    }
}
