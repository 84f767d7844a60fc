import FuzzSupport
import Tokenizers

/// A tokenizer built from fuzzed files (tokenizer.json or a SentencePiece tokenizer.model), then used:
/// fuzzed text encoded with and without special tokens, ids decoded, streamed and looked up.
///
/// Input: one mode byte (bit 0: the file is tokenizer.model instead of tokenizer.json; bit 1: a fixed
/// tokenizer_config.json naming special tokens comes with it), the file, then optionally the line `#text`
/// and the text to encode. Without that part, a fixed sentence is encoded.
@main enum FuzzTokenizer {
    static let separator = Array("\n#text\n".utf8)
    static let config = Array(#"{"bos_token": "<s>", "eos_token": {"content": "</s>"}, "add_bos_token": true, "add_eos_token": true}"#.utf8)

    static func main() {
        FuzzDriver.run { input in
            guard let mode = input.first else { return }
            let (file, text) = FuzzDriver.split(Array(input.dropFirst()), at: separator)
            var files = [mode & 1 == 0 ? "tokenizer.json" : "tokenizer.model": file]
            if mode & 2 != 0 { files["tokenizer_config.json"] = config }
            let tokenizer = try Tokenizer(files: files)
            try exercise(tokenizer, text: text.map { String(decoding: $0, as: UTF8.self) } ?? "Hello, world! It's 2024: ünïcödé 日本語 <s>  \n\t end")
        }
    }
}

/// Everything rsr does with a tokenizer and a text: encode, decode (plain, skipping special tokens,
/// streamed), look up tokens, and decode ids beyond the vocabulary (a model whose
/// vocabulary is larger than its tokenizer's produces them).
func exercise(_ tokenizer: Tokenizer, text: String) throws {
    let ids = try tokenizer.encode(text)
    let plain = try tokenizer.encode(text, addSpecialTokens: false)
    _ = tokenizer.decode(ids)
    _ = tokenizer.decode(plain, skipSpecialTokens: true)
    for id in ids.prefix(64) {
        if let token = tokenizer.token(for: id) { _ = tokenizer.id(of: token) }
    }
    // Ids straight from the text's bytes, including ones outside the vocabulary.
    let size = max(tokenizer.vocabularySize, 1)
    let odd = text.utf8.prefix(64).enumerated().map { i, byte in
        switch i % 4 {
        case 0: Int(byte) % size
        case 1: size + Int(byte)
        case 2: size * 2 + Int(byte) * 1000
        default: Int(byte) * 37 % size
        }
    }
    _ = tokenizer.decode(odd)
    _ = tokenizer.decode(odd, skipSpecialTokens: true)
    var stream = StreamingDecoder(tokenizer: tokenizer)
    for id in plain.prefix(256) + odd { _ = stream.append(id) }
    _ = stream.finish()
    _ = tokenizer.id(of: text)
    _ = (tokenizer.bosTokenID, tokenizer.eosTokenID, tokenizer.chatTemplate)
}
