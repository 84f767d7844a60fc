import FileIO
import Foundation
import TestSupport
import Testing

/// `rsr eval` as a user runs it: on a float Llama directory (converted into the cache as stored) and its
/// ternarised file, with the text of the fixture's eval.txt.
@Suite(.serialized, .enabled(if: rsrIsBuilt)) struct EvalCommandTests {
    let dir = TemporaryDirectory()
    let fixture = Path.join(fixturesDirectory, floatLlamaFixture)
    var text: String { Path.join(fixture, "eval.txt") }

    var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["RSR_CACHE": dir.file("cache")]) { _, new in new }
    }

    func rsr(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try RSRProcess.run(arguments, environment: environment)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// One line on standard error naming what is wrong, and a non-zero exit.
    func expectRefused(_ arguments: [String], saying words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try rsr(arguments)
        #expect(result.status != 0, "\(arguments)", sourceLocation: sourceLocation)
        // the note that a directory is converted into the cache once is not part of the error
        let lines = result.stderr.split(separator: "\n").filter {
            !$0.hasPrefix("Usage:") && !$0.contains("--help") && !$0.hasPrefix("converting ") && !$0.isEmpty
        }
        #expect(lines.count == 1 && result.stderr.contains(words), "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test func perplexityOfAFloatDirectoryIsTransformers() throws {
        let result = try rsr(["eval", "ppl", fixture, "--text", text, "--context", "256", "--stride", "128", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try json(result.stdout)
        let ppl = try #require(object["perplexity"] as? Double)
        #expect(abs(ppl / 26.565522 - 1) <= 1e-4, "\(ppl)")  // refs.json eval_perplexity
        #expect(object["scored_tokens"] as? Int == 7303 && object["windows"] as? Int == 57)
        #expect((object["tok_s"] as? Double ?? 0) > 0)

        let plain = try rsr(["eval", "ppl", fixture, "--text", text, "--context", "256", "--stride", "128", "--threads", "1"])
        #expect(plain.status == 0 && plain.stdout.contains("perplexity 26.56") && plain.stdout.contains("7303 tokens"), "\(plain.stdout)")
    }

    /// The JSON-lines form of the same text (split at blank lines, rejoined) scores the same tokens.
    @Test func jsonLinesGiveTheSamePerplexityAsTheTextTheyHold() throws {
        let rows = try String(contentsOfFile: text, encoding: .utf8).components(separatedBy: "\n\n")
        let lines = try rows.map { String(decoding: try JSONSerialization.data(withJSONObject: ["body": $0]), as: UTF8.self) }
        let jsonl = dir.file("eval.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: jsonl))
        let fromText = try rsr(["eval", "ppl", fixture, "--text", text, "--context", "128", "--json"])
        let fromLines = try rsr(["eval", "ppl", fixture, "--jsonl", jsonl, "--field", "body", "--context", "128", "--json"])
        #expect(fromText.status == 0 && fromLines.status == 0, "\(fromText.stderr)\(fromLines.stderr)")
        #expect(try json(fromText.stdout)["nll_sum"] as? Double == json(fromLines.stdout)["nll_sum"] as? Double)
        #expect(try json(fromText.stdout)["stride"] as? Int == 64)  // half the context by default
    }

    /// The ternarised file against the float directory: the KL and the agreement say what the conversion
    /// cost, and each perplexity is the one `eval ppl` gives.
    @Test func compareReportsTheDriftOfTheTernarisedModel() throws {
        let ternary = dir.file("ternary.rsr")
        let converted = try rsr(["convert", fixture, "-o", ternary, "--quantize", "ternary", "--quiet"])
        #expect(converted.status == 0, "\(converted.stderr)")
        let arguments = ["--text", text, "--context", "256", "--stride", "128", "--json"]
        let result = try rsr(["eval", "compare", ternary, "--reference", fixture] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try json(result.stdout)
        let meanKL = try #require(object["mean_kl"] as? Double), p99 = try #require(object["p99_kl"] as? Double)
        let agreement = try #require(object["top1_agreement"] as? Double)
        #expect(meanKL > 0.01 && p99 > meanKL && agreement > 0.3 && agreement < 1, "\(object)")
        let own = try json(try rsr(["eval", "ppl", ternary] + arguments).stdout)
        #expect(abs((object["perplexity"] as? Double ?? 0) - (own["perplexity"] as? Double ?? 1)) < 1e-9)
        #expect(abs((object["reference_perplexity"] as? Double ?? 0) / 26.565522 - 1) <= 1e-4)

        let same = try json(try rsr(["eval", "compare", fixture, "--reference", fixture] + arguments).stdout)
        #expect(same["mean_kl"] as? Double == 0 && same["top1_agreement"] as? Double == 1, "\(same)")

        // the ternary file against itself, its cache in halves (the reference's stays f32): a drift, and a small one
        let halves = try json(try rsr(["eval", "compare", ternary, "--reference", ternary, "--kv-cache-type", "f16"] + arguments).stdout)
        let halvesKL = try #require(halves["mean_kl"] as? Double)
        #expect(halvesKL > 0 && halvesKL < meanKL / 100, "\(halves)")
        #expect(halves["reference_perplexity"] as? Double == own["perplexity"] as? Double)
    }

    @Test func badInputIsOneClearLine() throws {
        let empty = dir.file("empty.txt"), short = dir.file("short.txt"), latin1 = dir.file("latin1.txt")
        try Data().write(to: URL(fileURLWithPath: empty))
        try Data("In the beginning God created the heaven and the earth.".utf8).write(to: URL(fileURLWithPath: short))
        try Data([0x63, 0x61, 0x66, 0xE9]).write(to: URL(fileURLWithPath: latin1))
        let unreadable = dir.file("unreadable.txt")
        try Data("text".utf8).write(to: URL(fileURLWithPath: unreadable))
        chmod(unreadable, 0)
        try expectRefused(["eval", "ppl", fixture, "--text", empty], saying: "empty.txt is empty")
        try expectRefused(["eval", "ppl", fixture, "--text", short, "--context", "64"], saying: "fewer than one window of 64")
        try expectRefused(["eval", "ppl", fixture, "--text", latin1], saying: "not UTF-8")
        try expectRefused(["eval", "ppl", fixture, "--text", dir.file("absent.txt")], saying: "absent.txt: no such file")
        if getuid() != 0 { try expectRefused(["eval", "ppl", fixture, "--text", unreadable], saying: "cannot be read") }
        try expectRefused(["eval", "ppl", fixture, "--text", text, "--context", "4096"], saying: "longer than the context window")
        try expectRefused(["eval", "ppl", fixture, "--text", text, "--stride", "0"], saying: "--stride")
        try expectRefused(["eval", "ppl", fixture, "--text", text, "--context", "128", "--stride", "129"], saying: "--stride 129 is larger")
        try expectRefused(["eval", "ppl", fixture], saying: "--text or --jsonl")
        try expectRefused(["eval", "ppl", fixture, "--jsonl", text], saying: "eval.txt:1: not a JSON value")
        try expectRefused(["eval", "compare", fixture, "--reference", Path.join(fixturesDirectory, "bitnet-2b4t-packed"), "--text", text],
                          saying: "tokenize the text differently")
    }

    @Test func helpDocumentsTheRecipe() throws {
        let help = try rsr(["eval", "--help"])
        #expect(help.status == 0)
        for words in ["sliding-window", "--stride", "previous window", "KL(reference"] {
            #expect(help.stdout.contains(words), "\(words)")
        }
    }
}
