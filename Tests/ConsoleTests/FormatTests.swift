import Console
import Testing

struct FormatTests {
    @Test func bytesUseDecimalUnits() {
        #expect(Format.bytes(999) == "999 B")
        #expect(Format.bytes(1_500_000) == "1.5 MB")
        #expect(Format.bytes(2.4e9) == "2.4 GB")
    }

    @Test func durationsGainHoursFromAnHourUp() {
        #expect(Format.duration(59) == "0:59")
        #expect(Format.duration(3725) == "1:02:05")
    }
}
