import Foundation
import FuzzSupport
import Tokenizers

/// Fuzzed text through a fixed, valid tokenizer: the default model's (models/bitnet-kjv-5m/tokenizer.json,
/// a byte-level BPE with a regex split). The input is the text, as bytes (invalid UTF-8 is repaired as
/// `String(decoding:)` does when rsr reads a prompt).
@main enum FuzzTokenizerText {
    static let tokenizer: Tokenizer = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = ProcessInfo.processInfo.environment["RSR_FUZZ_TOKENIZER"] ?? root.appendingPathComponent("models/bitnet-kjv-5m").path
        do { return try Tokenizer(directory: directory) } catch { fatalError("the fixed tokenizer does not load: \(error)") }
    }()

    static func main() {
        _ = tokenizer
        FuzzDriver.run { input in
            let text = String(decoding: input, as: UTF8.self)
            let ids = try tokenizer.encode(text, addSpecialTokens: false)
            _ = try tokenizer.encode(text)
            _ = tokenizer.decode(ids)
            var stream = StreamingDecoder(tokenizer: tokenizer)
            for id in ids { _ = stream.append(id) }
            _ = stream.finish()
            let odd = input.prefix(64).enumerated().map { i, byte in i % 2 == 0 ? Int(byte) * 17 : Int(byte) * 1000 }
            _ = tokenizer.decode(odd)
        }
    }
}
