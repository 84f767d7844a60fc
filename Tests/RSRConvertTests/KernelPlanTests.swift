@testable import RSRConvert
import RSRCore
import Testing

@Suite struct KernelPlanTests {
    let shape = MatrixShape(rows: 2560, cols: 2560)

    @Test func fixedPoliciesGiveTheirLayouts() {
        #expect(KernelPlanner(policy: .rsrT, k: .auto, isa: .avx512).plan(shape, weights: .ternary) == LayoutPlan(decode: .rsrT, prefill: nil))
        #expect(KernelPlanner(policy: .packedI2, k: .auto, isa: .avx2).plan(shape, weights: .ternary) == LayoutPlan(decode: .packedI2, prefill: nil))
        #expect(KernelPlanner(policy: .rsr, k: .fixed(5), isa: .avx512).plan(shape, weights: .ternary) == LayoutPlan(decode: .rsrT, prefill: .rsr(k: 5)))
        #expect(KernelPlanner(policy: .serve, k: .auto, isa: .avx512).plan(shape, weights: .ternary) == LayoutPlan(decode: .rsrT, prefill: .packedI2))
        #expect(KernelPlanner(policy: .serve, k: .fixed(4), isa: .avx2).plan(shape, weights: .ternary) == LayoutPlan(decode: .packedI2, prefill: .rsr(k: 4)))
        #expect(KernelPlanner(policy: .serve, k: .auto, isa: .avx512).basis == "--kernel serve")
        // Without AVX-512 the transposed kernel has no SIMD version: classical RSR for both phases.
        #expect(KernelPlanner(policy: .rsr, k: .fixed(4), isa: .avx2).plan(shape, weights: .ternary) == LayoutPlan(decode: .rsr(k: 4), prefill: nil))
    }

    @Test func autoWithoutMeasurementsForThisISAFollowsTheDocumentedRule() {
        let other: ISA = TunedKernels.measuredISA == .avx2 ? .scalar : .avx2
        let planner = KernelPlanner(policy: .auto, k: .fixed(4), isa: other)
        #expect(planner.plan(shape, weights: .ternary) == LayoutPlan(decode: .packedI2, prefill: .rsr(k: 4)))
        // the report does not claim a table that was not used
        #expect(planner.basis == "no tuned table for \(other): docs/BENCHMARKS.md's choice for it")
        #expect(KernelPlanner(policy: .auto, k: .fixed(4), isa: TunedKernels.measuredISA).basis == "the tuned table")
    }

    /// A matrix whose inputs are mostly zeros (a relu² model's down projection) decodes through sparse-i2 under
    /// `auto` and `serve` on x86 (AVX2 and AVX-512), with the layout it would have had for prefill on AVX2,
    /// and alone with AVX-512, where sparse-i2 takes every batch too; elsewhere, and under the fixed kernels'
    /// policies, its plan is the one any matrix of its shape gets.
    @Test func sparseInputsDecodeThroughSparseI2OnX86() {
        let down = MatrixShape(rows: 2560, cols: 6912)
        for isa in [ISA.avx2, .avx512] {
            for policy in [KernelPolicy.auto, .serve] {
                let planner = KernelPlanner(policy: policy, k: .fixed(4), isa: isa)
                let dense = planner.plan(down, weights: .ternary)
                let prefill = isa == .avx512 ? nil : dense.prefill ?? dense.decode
                #expect(planner.plan(down, weights: .ternary, sparseInputs: true) == LayoutPlan(decode: .sparseI2, prefill: prefill),
                        "\(policy) \(isa)")
                #expect(dense.decode != .sparseI2, "\(policy) \(isa)")
            }
            let packed = KernelPlanner(policy: .packedI2, k: .auto, isa: isa)
            #expect(packed.plan(down, weights: .ternary, sparseInputs: true) == LayoutPlan(decode: .packedI2, prefill: nil))
        }
        for policy in [KernelPolicy.auto, .serve] {
            let planner = KernelPlanner(policy: policy, k: .fixed(4), isa: .scalar)
            #expect(planner.plan(down, weights: .ternary, sparseInputs: true) == planner.plan(down, weights: .ternary), "\(policy)")
        }
    }

    /// With --tune, the planner asks its timer for every candidate kernel at batch 1 and 64 and ranks what
    /// comes back: the fastest single-vector kernel decodes, and another one prefills only when it is at
    /// least `prefillGain` faster on batches.
    @Test func autoRanksWhatItsTimerMeasured() throws {
        let small = MatrixShape(rows: 256, cols: 512), other = MatrixShape(rows: 512, cols: 256)
        let times: KernelTimes = [
            small: [1: ["rsr-t": 9, "packed-i2": 7, "rsr": 30], 64: ["rsr-t": 500, "packed-i2": 400, "rsr": 200]],
            other: [1: ["rsr-t": 5, "packed-i2": 7, "rsr": 30], 64: ["rsr-t": 210, "packed-i2": 400, "rsr": 200]],
        ]
        let planner = KernelPlanner(policy: .auto, k: .fixed(4), isa: .best)
        let asked = Locked<[KernelTimingRequest]>([])
        try planner.measure([small, other], threads: 2, timer: { request, _ in
            asked.set(asked.value + [request])
            return times
        }, progress: { _ in })
        let request = try #require(asked.value.first)
        #expect(request.shapes == [small, other] && request.batches == [1, 64] && request.threads == 2)
        #expect(Set(request.kernels) == ["rsr-t", "packed-i2", "rsr"] && request.k == .fixed(4))
        #expect(planner.basis == "measured now")
        #expect(planner.plan(small, weights: .ternary) == LayoutPlan(decode: .packedI2, prefill: .rsr(k: 4)))
        #expect(planner.plan(other, weights: .ternary) == LayoutPlan(decode: .rsrT, prefill: nil))  // 210 / 200 < 1.15
    }
}
