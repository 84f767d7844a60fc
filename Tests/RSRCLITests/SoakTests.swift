import FileIO
import Foundation
import TestSupport
import Testing

/// A shortened soak (Scripts/soak.sh runs 1,000): after one full cycle of the workload's variations, more
/// generations must not grow resident memory past 5% or leave descriptors open.
@Suite(.serialized, .enabled(if: rsrIsBuilt)) struct SoakTests {
    let dir = TemporaryDirectory()
    let soak = Path.join(Path.directory(of: rsrExecutable), "rsr-soak")

    @Test func generationsAfterWarmUpKeepMemoryAndDescriptorsFlat() throws {
        let model = dir.file("model.rsr")
        #expect(try RSRProcess.run(["convert", defaultModelDirectory, "-o", model, "--quiet"]).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: soak)
        process.arguments = [model, "--runs", "400", "--warmup", "300", "--max-growth", "0.05"]
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        let report = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: stderr, as: UTF8.self))")
        let object = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        #expect((object["generated_tokens"] as? Int ?? 0) > 400 * 4, "the generations ran")
        #expect(object["fds_end"] as? Int == object["fds_after_warmup"] as? Int)
    }
}
