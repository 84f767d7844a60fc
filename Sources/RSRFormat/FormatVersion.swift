import RSRCore

/// The model file format's version. A reader takes any minor version of its major one: a newer minor only
/// adds what older readers may ignore (manifest fields, section contents they do not use), and whatever a
/// reader must understand to run the file is a feature flag instead.
public struct FormatVersion: Comparable, Sendable, CustomStringConvertible {
    public let major: UInt16
    public let minor: UInt16

    /// 1.0: ternary and binary layouts. 1.1: feature flags in the header. 1.2: integer linears. 1.3: Q6_256
    /// tensors. 1.4: packed integer codes. 1.5: sparse-i2 layouts.
    public static let current = FormatVersion(major: 1, minor: 5)

    public init(major: UInt16, minor: UInt16) {
        self.major = major
        self.minor = minor
    }

    /// As the header stores it: major in the low half, so that 1.0 is the u32 1 that files began with.
    init(raw: UInt32) { self.init(major: UInt16(raw & 0xffff), minor: UInt16(raw >> 16)) }
    var raw: UInt32 { UInt32(minor) << 16 | UInt32(major) }

    public static func < (a: Self, b: Self) -> Bool { (a.major, a.minor) < (b.major, b.minor) }

    public var description: String { "\(major).\(minor)" }
}

/// What a reader must understand to run a file, as header flags. A reader refuses a file with a flag it
/// does not know, saying so, rather than misreading it.
public struct FormatFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Projections stored as float tensors (a float model kept as stored) instead of linears.
    public static let floatProjections = FormatFeatures(rawValue: 1 << 0)

    /// Projections of n-bit integer weights as bit-plane layouts (`integer_linears`).
    public static let integerWeights = FormatFeatures(rawValue: 1 << 1)

    /// Tensors in the Q6_256 block format (a 6-bit output head or embeddings).
    public static let q6Tensors = FormatFeatures(rawValue: 1 << 2)

    /// Integer linears whose codes are packed whole in bytes (`packed` in their entry) instead of bit-planes.
    public static let packedIntegers = FormatFeatures(rawValue: 1 << 3)

    /// Linears with a layout of the sparse-i2 kernel.
    public static let sparseI2Layouts = FormatFeatures(rawValue: 1 << 4)

    /// Every flag this rsr reads.
    public static let known: FormatFeatures = [.floatProjections, .integerWeights, .q6Tensors, .packedIntegers, .sparseI2Layouts]

    static let names: [(FormatFeatures, String)] = [(.floatProjections, "float-projections"), (.integerWeights, "integer-weights"),
                                                    (.q6Tensors, "q6-tensors"), (.packedIntegers, "packed-integers"),
                                                    (.sparseI2Layouts, "sparse-i2")]

    /// The features a manifest uses.
    public init(of manifest: Manifest) {
        self = []
        if manifest.tensors.keys.contains(where: { name in LayerSchema.Projection.allCases.contains { name.hasSuffix("." + $0.rawValue) } }) {
            insert(.floatProjections)
        }
        if !(manifest.integerLinears ?? [:]).isEmpty { insert(.integerWeights) }
        if (manifest.integerLinears ?? [:]).values.contains(where: \.packed) { insert(.packedIntegers) }
        if manifest.tensors.values.contains(where: { $0.type == .q6_256 }) { insert(.q6Tensors) }
        if manifest.linears.values.contains(where: { $0.layouts.contains { $0.kernel == LayoutKind.sparseI2.name } }) {
            insert(.sparseI2Layouts)
        }
    }

    public var description: String {
        let named = Self.names.filter { contains($0.0) }.map(\.1)
        let unknown = subtracting(Self.known).rawValue
        return (named + (unknown == 0 ? [] : [String(format: "0x%x", unknown)])).joined(separator: ", ")
    }
}
