import FileIO
import Foundation
import TestSupport
@testable import Tokenizers

/// The fixture tokenizers, loaded once.
enum Fixtures {
    /// The fixture with the Llama 3 pre-tokenizer and Llama 3.1's 256 special tokens (after 1024 regular ones).
    static let llama3Name = "bitnet-2b4t-packed"

    /// Every fixture: tokenizer.json ones, 1bitLLM's SentencePiece tokenizer.model, the float Llama's.
    static let names = allFixtureNames

    /// The fixtures whose tokenizer is a tokenizer.json.
    static let tokenizerJSONNames = allFixtureNames.filter { $0 != oneBitLLMFixture }

    static func directory(_ name: String) -> String { Path.join(fixturesDirectory, name) }

    static let tokenizers: [String: Tokenizer] = {
        var out: [String: Tokenizer] = [:]
        for name in names where Path.exists(Path.join(directory(name), "tokenizer.json")) {
            out[name] = try? Tokenizer(directory: directory(name))
        }
        return out
    }()

    /// The loaded tokenizer of a fixture; a load failure is reported by `FixtureTests.loads`.
    static func tokenizer(_ name: String) throws -> Tokenizer {
        if let tokenizer = tokenizers[name] { return tokenizer }
        return try Tokenizer(directory: directory(name))
    }

    static func json(_ name: String, _ file: String) throws -> Any? {
        let path = Path.join(directory(name), file)
        guard let bytes = Path.read(path) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(bytes))
    }

    struct Case {
        let text: String
        let ids: [Int]
        let decoded: String
    }

    /// tokenizer-cases.json of a fixture, empty where it has none.
    static func cases(_ name: String) throws -> [Case] {
        guard let list = try json(name, "tokenizer-cases.json") as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let text = entry["text"] as? String, let ids = entry["ids"] as? [Int], let decoded = entry["decoded"] as? String else { return nil }
            return Case(text: text, ids: ids, decoded: decoded)
        }
    }

    struct Reference {
        let prompt: String
        let inputIDs: [Int]
        let greedyIDs: [Int]
        let greedyText: String
    }

    /// refs.json's `transformers_reference` entries of a fixture.
    static func references(_ name: String) throws -> [Reference] {
        guard let root = try json(name, "refs.json") as? [String: Any], let list = root["transformers_reference"] as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let prompt = entry["prompt"] as? String, let ids = entry["input_ids"] as? [Int],
                  let greedy = entry["greedy_ids"] as? [Int], let text = entry["greedy_text"] as? String else { return nil }
            return Reference(prompt: prompt, inputIDs: ids, greedyIDs: greedy, greedyText: text)
        }
    }
}

/// A deterministic generator (SplitMix64), so random test strings are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum RandomText {
    /// Fragments chosen to hit the corners of the pre-tokenizer regexes and of byte-level BPE: every kind
    /// of whitespace, contractions in both cases (and U+017F, which case-folds to s), numbers of several
    /// scripts, combining marks, CJK, emoji sequences, control characters, unassigned code points, special
    /// token text, and the byte-level and SentencePiece marker characters themselves.
    static let fragments: [String] = [
        "a", "b", "X", "z", "0", "7", "42", "1234567", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u{0B}", "\u{0C}",
        "\u{85}", "\u{A0}", "\u{2009}", "\u{3000}", "\u{2028}", "\u{200D}", "'", "\"", "'s", "'S", "'ll", "'LL", "'Re", "'ve",
        "'d", "'m", "'t", "'\u{17F}", "it's", "we'RE", "!", "?", "...", ",", ".", "(", ")", "{", "}", "-", "_", "#", "$", "%",
        "—", "«", "»", "é", "e\u{301}", "ß", "İ", "ﬁ", "Ω", "ΣΑΣ", "日本", "語", "한국어", "テキスト", "مرحبا", "Привет", "٣٤٥", "²",
        "Ⅻ", "½", "🎉", "🚀", "👨\u{200D}👩\u{200D}👧", "🇺🇸", "\u{1F600}", "\u{E0001}", "\u{378}", "\u{0}", "\u{7F}", "\u{FFFD}",
        "<|eot_id|>", "<|begin_of_text|>", "<s>", "</s>", "▁", "Ġ", "hello", "world", "The", " the", "tokenizer", "ternary",
    ]

    static func strings(count: Int, seed: UInt64, maxFragments: Int = 24) -> [String] {
        var rng = SeededGenerator(state: seed)
        var out = ["", " ", "  ", "\n", "a", "hello world", "Hello, World!"]
        while out.count < count {
            let n = Int.random(in: 0...maxFragments, using: &rng)
            out.append((0..<n).map { _ in fragments.randomElement(using: &rng)! }.joined())
        }
        return out
    }
}

/// Runs a Python script that reads `input` (as JSON, path in $IN) and writes JSON to $OUT; returns what
/// it wrote, or throws with the script's output when it fails.
func runPythonJSON(_ script: String, input: Any, workDirectory: TemporaryDirectory) throws -> Any {
    let inPath = workDirectory.file("in.json"), outPath = workDirectory.file("out.json")
    try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: inPath))
    guard let result = runPython(script, environment: ["IN": inPath, "OUT": outPath, "WORK": workDirectory.path]) else {
        throw PythonFailure(output: "python3 could not be started")
    }
    guard result.status == 0, let bytes = Path.read(outPath) else { throw PythonFailure(output: result.output) }
    return try JSONSerialization.jsonObject(with: Data(bytes))
}

struct PythonFailure: Error, CustomStringConvertible {
    let output: String
    var description: String { "python failed:\n\(output)" }
}

/// Builds the bytes of a SentencePiece ModelProto, for hand-made tokenizer.model files.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }
    mutating func int(_ field: Int, _ value: Int) { key(field, 0); varint(UInt64(bitPattern: Int64(value))) }
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        let bits = value.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
    }
    mutating func data(_ field: Int, _ value: [UInt8]) { key(field, 2); varint(UInt64(value.count)); bytes += value }
    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    /// A ModelProto with the given pieces (text, score, type), a BPE trainer_spec and an identity normalizer.
    static func sentencePieceModel(pieces: [(String, Float, Int)], byteFallback: Bool, addDummyPrefix: Bool = true,
                                   removeExtraWhitespaces: Bool = false, modelType: Int = 2, unkID: Int = 0) -> [UInt8] {
        var model = ProtobufWriter()
        for (text, score, type) in pieces {
            var piece = ProtobufWriter()
            piece.string(1, text)
            piece.float(2, score)
            piece.int(3, type)
            model.data(1, piece.bytes)
        }
        var trainer = ProtobufWriter()
        trainer.int(3, modelType)
        trainer.int(35, byteFallback ? 1 : 0)
        trainer.int(40, unkID)
        trainer.int(41, 1)
        trainer.int(42, 2)
        trainer.int(43, -1)
        model.data(2, trainer.bytes)
        var normalizer = ProtobufWriter()
        normalizer.string(1, "identity")
        normalizer.int(3, addDummyPrefix ? 1 : 0)
        normalizer.int(4, removeExtraWhitespaces ? 1 : 0)
        normalizer.int(5, 1)
        model.data(3, normalizer.bytes)
        return model.bytes
    }
}

/// A tokenizer.json from its parts, as a JSON object written in Swift.
func tokenizerJSON(model: [String: Any], normalizer: Any = NSNull(), preTokenizer: Any = NSNull(), postProcessor: Any = NSNull(),
                   decoder: Any = NSNull(), addedTokens: [[String: Any]] = []) throws -> [UInt8] {
    let root: [String: Any] = [
        "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": addedTokens,
        "normalizer": normalizer, "pre_tokenizer": preTokenizer, "model": model, "post_processor": postProcessor, "decoder": decoder,
    ]
    return Array(try JSONSerialization.data(withJSONObject: root))
}

/// A BPE model object for `tokenizerJSON`.
func bpeModel(vocab: [String: Int], merges: [Any], extra: [String: Any] = [:]) -> [String: Any] {
    var model: [String: Any] = ["type": "BPE", "vocab": vocab, "merges": merges]
    for (key, value) in extra { model[key] = value }
    return model
}
