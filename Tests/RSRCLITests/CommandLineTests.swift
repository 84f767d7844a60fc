import ArgumentParser
@testable import RSRCLI
import Testing

@Suite struct CommandLineTests {
    @Test func rootHelpListsSubcommands() {
        let help = RSRCommand.helpMessage()
        #expect(help.contains("bench"))
        #expect(help.contains("Run ternary and binary LLMs"))
    }

    @Test func benchKernelsHelpDocumentsOptions() {
        let help = RSRCommand.helpMessage(for: BenchKernels.self)
        for option in ["--shapes", "--threads", "--batch", "--kernels", "--k", "--format", "--warm", "--isa", "--weights"] {
            #expect(help.contains(option), "\(option)")
        }
        #expect(help.contains("(default: 1,2)"))
        #expect(help.contains("rsr-t"))
    }

    @Test func parsesListsAndChoices() throws {
        let command = try RSRCommand.parseAsRoot(["bench", "kernels", "--shapes", "4096x4096,6912x2560", "--threads", "1,2",
                                                  "--batch", "1,64,256", "--kernels", "rsr,packed-i2", "--k", "5", "--format", "json"])
        let bench = try #require(command as? BenchKernels)
        #expect(bench.shapes?.values.map(\.description) == ["4096x4096", "6912x2560"])
        #expect(bench.batch.values == [1, 64, 256])
        #expect(bench.kernels?.values.map(\.rawValue) == ["rsr", "packed-i2"])
        #expect(bench.format.rawValue == "json")
    }

    @Test(arguments: [
        (["--threads", "0"], "--threads 0 is out of range"),
        (["--batch", "70000"], "--batch 70000 is out of range"),
        (["--k", "9"], "--k 9 is out of range for ternary weights"),
        (["--k", "13", "--weights", "binary"], "--k 13 is out of range for binary weights"),
        (["--shapes", "5000000x4"], "is too large"),
        (["--min-time", "0"], "--min-time must be positive"),
    ])
    func rejectsBadValues(arguments: [String], message: String) {
        do {
            _ = try RSRCommand.parseAsRoot(["bench", "kernels"] + arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(RSRCommand.message(for: error).contains(message), "\(RSRCommand.message(for: error))")
        }
    }

    @Test(arguments: [["--shapes", "12x"], ["--threads", "1,x"], ["--kernels", "fast"], ["--format", "xml"]])
    func rejectsMalformedValues(arguments: [String]) {
        #expect(throws: (any Error).self) { try RSRCommand.parseAsRoot(["bench", "kernels"] + arguments) }
    }

    @Test func tuneValidatesKRange() {
        #expect(throws: (any Error).self) { try RSRCommand.parseAsRoot(["bench", "tune", "--k-min", "5", "--k-max", "3"]) }
        #expect(throws: (any Error).self) { try RSRCommand.parseAsRoot(["bench", "tune", "--k-max", "9"]) }
    }

    @Test func convertHelpDocumentsOptionsAndArchitectures() {
        let help = RSRCommand.helpMessage(for: Convert.self)
        for text in ["--output", "--kernel", "--k", "--embeddings", "--threads", "--force", "--tune", "--quantize",
                     "BitNetForCausalLM", "BitnetForCausalLM", "LlamaForCausalLM"] {
            #expect(help.contains(text), "\(text)")
        }
    }

    @Test func convertParsesChoices() throws {
        let command = try RSRCommand.parseAsRoot(["convert", "model", "-o", "m.rsr", "--kernel", "packed-i2", "--embeddings", "q4",
                                                  "--k", "5", "--quantize", "ternary"])
        let convert = try #require(command as? Convert)
        #expect(convert.kernel == .packedI2 && convert.embeddings == .q4 && convert.quantize == .ternary)
    }

    @Test(arguments: [(["--k", "9"], "--k 9 is out of range"), (["--threads", "0"], "--threads 0 is out of range"),
                      (["--kernel", "fast"], "fast"), (["--embeddings", "q3"], "q3")])
    func convertRejectsBadValues(arguments: [String], message: String) {
        do {
            _ = try RSRCommand.parseAsRoot(["convert", "model", "-o", "m.rsr"] + arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(RSRCommand.message(for: error).contains(message), "\(RSRCommand.message(for: error))")
        }
    }
}
