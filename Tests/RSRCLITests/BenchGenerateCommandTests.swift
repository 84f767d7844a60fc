import FileIO
import Foundation
import TestSupport
import Testing

/// `rsr bench generate` on a fixture: one row per model, kernel and thread count, in every format.
@Suite(.serialized, .enabled(if: rsrIsBuilt)) struct BenchGenerateCommandTests {
    let dir = TemporaryDirectory()
    let fixture = Path.join(fixturesDirectory, "bitnet-2b4t-packed")

    func bench(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let environment = ProcessInfo.processInfo.environment.merging(["RSR_CACHE": dir.file("cache")]) { _, new in new }
        return try RSRProcess.run(["bench", "generate", fixture, "--prompt-tokens", "8", "-n", "4", "--baseline-tokens", "2",
                                   "--rounds", "1", "--quiet"] + arguments, environment: environment)
    }

    @Test func measuresEveryKernelAndDrawsTheSpeedups() throws {
        let plot = dir.file("speedup.svg")
        let result = try bench(["--threads", "1,2", "--format", "json", "--plot", plot])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let kernels = ["index", "packed-i2", "hf-unpack", "openblas-f32"]
        #expect(rows.map { $0["kernel"] as? String } == kernels + kernels)
        #expect(rows.map { $0["threads"] as? Int } == [1, 1, 1, 1, 2, 2, 2, 2])
        for row in rows {
            #expect((row["decode_tok_s"] as? Double ?? 0) > 0 && (row["prefill_tok_s"] as? Double ?? 0) > 0, "\(row)")
            #expect(row["decode_tokens"] as? Int == (row["kernel"] as? String == "index" ? 4 : 2))
            #expect(row["rsr_decode_speedup"] is Double, "\(row)")
        }
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("decode vs hf-unpack") && svg.contains("bitnet-2b4t-packed, 2 threads"))
    }

    @Test func printsCSVWithAHeader() throws {
        let result = try bench(["--threads", "1", "--kernels", "index,packed-i2", "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("model,kernel,threads,prompt,prefill_tok_per_s,decode_tok_per_s") == true, "\(lines.first ?? "")")
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 13 })
    }

    /// The float checkpoint a ternarised model came from, as one more baseline row of it.
    @Test func measuresTheFloatReferenceAsABaseline() throws {
        let float = Path.join(fixturesDirectory, floatLlamaFixture), ternary = dir.file("ternary.rsr")
        let environment = ProcessInfo.processInfo.environment.merging(["RSR_CACHE": dir.file("cache")]) { _, new in new }
        let converted = try RSRProcess.run(["convert", float, "-o", ternary, "--quantize", "ternary", "--quiet"], environment: environment)
        #expect(converted.status == 0, "\(converted.stderr)")
        let result = try RSRProcess.run(["bench", "generate", ternary, "--reference", float, "--kernels", "index", "--threads", "1",
                                         "--prompt-tokens", "8", "-n", "4", "--baseline-tokens", "2", "--rounds", "1", "--quiet",
                                         "--format", "json"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["kernel"] as? String } == ["index", "float-bf16"])
        #expect(rows.allSatisfy { $0["model"] as? String == "ternary" && $0["rsr_decode_speedup"] is Double })
        // bf16 projections read 8 times the bytes of 2-bit ones, and more than the 1.6-bit index layouts
        #expect((rows[1]["bytes_per_token"] as? Double ?? 0) > (rows[0]["bytes_per_token"] as? Double ?? 0) * 2, "\(rows)")
    }

    @Test func refusesUnknownKernels() throws {
        let result = try bench(["--kernels", "index,fast"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--kernels"))
    }
}
