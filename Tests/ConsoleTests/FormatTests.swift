import Console
import Testing

struct FormatTests {
    @Test func bytesUseDecimalUnits() {
        #expect(Format.bytes(999) == "999 B")
        #expect(Format.bytes(1_500_000) == "1.5 MB")
        #expect(Format.bytes(2.4e9) == "2.4 GB")
    }

    @Test func countsUseDecimalPrefixes() {
        #expect(Format.count(950) == "950")
        #expect(Format.count(42_000) == "42.0 k")
        #expect(Format.count(2_113_536) == "2.1 M")
        #expect(Format.count(2_084_044_800) == "2.08 G")
    }

    @Test func durationsGainHoursFromAnHourUp() {
        #expect(Format.duration(59) == "0:59")
        #expect(Format.duration(3725) == "1:02:05")
    }
}
