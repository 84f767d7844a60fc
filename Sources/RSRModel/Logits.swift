/// Next-token logits of some consecutive positions of a run, owned by the caller: `rows` rows of `vocabSize`
/// floats, row i for the run's position `positions.lowerBound + i`.
public struct Logits: Sendable {
    public let vocabSize: Int
    /// Positions within the tokens of the run (0 is its first token).
    public let positions: Range<Int>
    public var values: [Float]

    public init(vocabSize: Int, positions: Range<Int>, values: [Float]) {
        precondition(values.count == positions.count * vocabSize)
        self.vocabSize = vocabSize
        self.positions = positions
        self.values = values
    }

    public var rows: Int { positions.count }

    /// The logits after the run's token at `position`.
    public subscript(position position: Int) -> ArraySlice<Float> {
        precondition(positions.contains(position), "position \(position) is outside \(positions)")
        let start = (position - positions.lowerBound) * vocabSize
        return values[start..<start + vocabSize]
    }

    /// The last row's logits.
    public var last: ArraySlice<Float> { self[position: positions.upperBound - 1] }
}
