import CRSRKernels
import Testing

/// A level is chosen only when the CPU reports every feature its kernels are compiled for; a virtual machine
/// that hides one of them gets a lower level instead of an illegal instruction.
@Suite struct CPUFeatureTests {
    // Zen 4 as CPUID reports it: leaf 1 ECX, leaf 7 EBX and ECX, and XCR0 with SSE, AVX and AVX-512 state.
    static let leaf1: UInt32 = bits(12, 23, 27, 28, 29)
    static let leaf7b: UInt32 = bits(5, 8, 16, 17, 30, 31)
    static let leaf7c: UInt32 = bits(1, 8, 11)
    static let xcr0: UInt64 = 0xe7

    static func bits(_ positions: Int...) -> UInt32 { positions.reduce(0) { $0 | 1 << UInt32($1) } }

    func level(leaf1: UInt32 = leaf1, leaf7b: UInt32 = leaf7b, leaf7c: UInt32 = leaf7c, xcr0: UInt64 = xcr0) -> rsr_isa {
        rsr_isa_x86_level(leaf1, leaf7b, leaf7c, xcr0)
    }

    @Test func aCPUWithEveryFeatureGetsAVX512() {
        #expect(level() == RSR_ISA_AVX512)
    }

    @Test(arguments: [(8, "GFNI"), (1, "VBMI"), (11, "VNNI")])
    func aMissingAVX512ExtensionFallsBackToAVX2(bit: Int, name: String) {
        #expect(level(leaf7c: Self.leaf7c & ~Self.bits(bit)) == RSR_ISA_AVX2, "without \(name)")
    }

    @Test func missingF16COrZMMStateFallsBackToAVX2() {
        #expect(level(leaf1: Self.leaf1 & ~Self.bits(29)) == RSR_ISA_AVX2)
        #expect(level(xcr0: 0x7) == RSR_ISA_AVX2)
    }

    @Test func missingBMI2OrPOPCNTFallsBackToScalar() {
        #expect(level(leaf7b: Self.leaf7b & ~Self.bits(8)) == RSR_ISA_SCALAR, "without BMI2")
        #expect(level(leaf1: Self.leaf1 & ~Self.bits(23)) == RSR_ISA_SCALAR, "without POPCNT")
        #expect(level(leaf1: Self.leaf1 & ~Self.bits(12)) == RSR_ISA_SCALAR, "without FMA")
        #expect(level(xcr0: 0x1) == RSR_ISA_SCALAR, "without AVX state saved by the OS")
    }
}
