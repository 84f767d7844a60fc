/// `rsr convert --quantize intN [--group-size G] [--asymmetric]`: round-to-nearest n-bit integers per group
/// of input columns, with a clipping search per group (rsr_quantize_groups).
/// How a file stores n-bit integer weights (both give the same floats).
public enum IntegerLayout: String, CaseIterable, Sendable {
    /// Codes packed whole in bytes, multiplied with int8 dot products, for 2, 4 and 8 bits in groups of whole
    /// 32 / bits-column blocks; bit-planes for the others. One core decodes them near what it can read.
    case packed
    /// Bipolar bit-planes looked up in tables of input sums, for every width.
    case bitPlanes = "bit-planes"
}

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
