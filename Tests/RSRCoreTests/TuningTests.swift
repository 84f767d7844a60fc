import RSRCore
import Testing

@Suite struct TuningTests {
    @Test func tunerReturnsAMeasuredK() throws {
        let pool = try ThreadPool(threads: 1)
        let (k, medians) = try KTuner.measure(shape: MatrixShape(rows: 64, cols: 512), batch: 4, weights: .ternary,
                                              ks: 2...4, pool: pool, minSeconds: 0.01)
        #expect(Set(medians.keys) == [2, 3, 4])
        #expect(medians[k] == medians.values.min())
    }

    @Test func tunedKComesFromTheTableOrDefaults() {
        let k = KTuner.tunedK(for: MatrixShape(rows: 4096, cols: 4096), batch: 64, weights: .ternary)
        #expect(LayoutKind.rsrKRange(.ternary).contains(k))
        if let entry = TunedK.table.first(where: { $0.weights == .ternary && $0.batch == 64 }) {
            #expect(KTuner.tunedK(for: entry.shape, batch: 64, weights: .ternary) == entry.k)
        } else {
            #expect(k == 4)
        }
    }

    @Test func timingHonoursMinimumRuns() {
        var calls = 0
        let timing = Timing.measure(minRuns: 7, minSeconds: 0) { _ in calls += 1 }
        #expect(timing.samples.count == 7)
        #expect(calls == 8) // one warm-up call
        #expect(timing.samples == timing.samples.sorted())
    }
}
