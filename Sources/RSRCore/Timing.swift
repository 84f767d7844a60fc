import CRSRKernels

/// Wall-clock timing of repeated calls: the median is what benchmarks report.
public struct Timing: Sendable {
    /// Per-call times in seconds, sorted.
    public let samples: [Double]

    public init(samples: [Double]) { self.samples = samples.sorted() }

    /// Samples of several measurements pooled into one.
    public static func merged(_ timings: [Timing]) -> Timing { Timing(samples: timings.flatMap(\.samples)) }

    public var median: Double { samples[samples.count / 2] }
    public var fastest: Double { samples[0] }

    /// Calls `body` once to warm up (unless `warmUp` is false), then until at least `minRuns` calls and `minSeconds` have passed (at
    /// most `maxRuns` calls; 3 calls suffice once a single call takes longer than `slowCall` seconds).
    public static func measure(minRuns: Int = 5, maxRuns: Int = 10_000, minSeconds: Double = 0.2, slowCall: Double = 0.5,
                               warmUp: Bool = true, _ body: (Int) throws -> Void) rethrows -> Timing {
        if warmUp { try body(0) }
        var samples: [Double] = []
        let start = rsr_time_ns()
        var run = 1
        while samples.count < maxRuns {
            let t0 = rsr_time_ns()
            try body(run)
            let t1 = rsr_time_ns()
            samples.append(Double(t1 - t0) * 1e-9)
            run += 1
            let elapsed = Double(t1 - start) * 1e-9
            let enough = samples.count >= minRuns || (samples.count >= 3 && samples.max()! > slowCall)
            if enough && elapsed >= minSeconds { break }
        }
        return Timing(samples: samples)
    }
}
