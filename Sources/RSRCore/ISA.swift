import CRSRKernels

/// Instruction-set levels the kernels are specialised for. Kernels run the best supported level not
/// above the current limit.
public enum ISA: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case scalar = 0
    case avx2 = 1
    case avx512 = 2

    public var description: String { String(cString: rsr_isa_name(rsr_isa(UInt32(rawValue)))) }

    public init?(name: String) {
        guard let isa = ISA.allCases.first(where: { $0.description == name }) else { return nil }
        self = isa
    }

    /// The best level this CPU supports.
    public static var best: ISA { ISA(rawValue: Int32(rsr_isa_best().rawValue))! }

    public static var supported: [ISA] { allCases.filter { rsr_isa_supported(rsr_isa(UInt32($0.rawValue))) != 0 } }

}
