import RSREval
import Testing

@Suite struct SlidingWindowsTests {
    /// Every token but the first is scored exactly once, each from a window that holds it and its history.
    @Test(arguments: [(1000, 256, 128), (1000, 256, 1), (1000, 256, 255), (257, 256, 200), (256, 256, 128), (7304, 256, 128)])
    func everyTokenButTheFirstIsScoredOnce(tokens: Int, context: Int, stride: Int) throws {
        let windows = try SlidingWindows(tokens: tokens, context: context, stride: stride)
        let scored = Self.timesScored(windows)
        #expect(scored[0] == 0)
        #expect(scored.dropFirst().allSatisfy { $0 == 1 })
        #expect(windows.scoredTokens == tokens - 1)
        #expect(windows.windows.last?.end == tokens)
    }

    /// With the stride equal to the context the windows do not overlap, and, as in transformers, a window's
    /// first token has no history in it and is not scored.
    @Test func windowsThatDoNotOverlapSkipTheirFirstTokens() throws {
        let windows = try SlidingWindows(tokens: 1000, context: 256, stride: 256)
        let scored = Self.timesScored(windows)
        #expect(windows.windows.map(\.begin) == [0, 256, 512, 768])
        for t in 0..<1000 { #expect(scored[t] == (t % 256 == 0 ? 0 : 1), "token \(t)") }
        #expect(windows.scoredTokens == 996)
    }

    static func timesScored(_ windows: SlidingWindows) -> [Int] {
        var scored = [Int](repeating: 0, count: windows.tokens)
        for window in windows.windows {
            #expect(window.end - window.begin <= windows.context)
            #expect(window.scoredFrom > window.begin)
            for t in window.scoredFrom..<window.end { scored[t] += 1 }
        }
        return scored
    }

    /// transformers' loop: starts at 0, stride, 2 stride, ... and stops at the first window reaching the end.
    @Test func windowsStartAtMultiplesOfTheStrideAndStopAtTheEnd() throws {
        let windows = try SlidingWindows(tokens: 600, context: 256, stride: 128)
        #expect(windows.windows.map(\.begin) == [0, 128, 256, 384])
        #expect(windows.windows.map(\.end) == [256, 384, 512, 600])
        #expect(windows.windows.map(\.scoredFrom) == [1, 256, 384, 512])
        #expect(windows.windows[1].logitPositions == 127..<255)
    }

    @Test func badWindowsAreRefusedWithTheOptionNamed() {
        #expect(throws: EvalError.self) { try SlidingWindows(tokens: 100, context: 256, stride: 128) }
        #expect(throws: EvalError.self) { try SlidingWindows(tokens: 1000, context: 256, stride: 0) }
        #expect(throws: EvalError.self) { try SlidingWindows(tokens: 1000, context: 256, stride: 257) }
        #expect(throws: EvalError.self) { try SlidingWindows(tokens: 1000, context: 1, stride: 1) }
        do {
            _ = try SlidingWindows(tokens: 1000, context: 256, stride: 300)
        } catch {
            #expect("\(error)".contains("--stride"))
        }
    }
}
