/// `rsr convert --quantize intN [--group-size G] [--asymmetric]`: round-to-nearest n-bit integers per group
/// of input columns, with a clipping search per group (rsr_quantize_groups).
public struct IntegerQuantization: Sendable, Equatable {
    public var bits: Int
    /// Input columns per scale group; nil for one scale per row.
    public var group: Int?
    public var asymmetric: Bool

    public init(bits: Int, group: Int?, asymmetric: Bool) {
        self.bits = bits
        self.group = group
        self.asymmetric = asymmetric
    }
}
