import FileIO
import Foundation
import TestSupport
import Testing
import Tokenizers

/// The fixture tokenizers against the ids and texts that Hugging Face `tokenizers` and `transformers`
/// produced for them (tokenizer-cases.json and refs.json).
@Suite struct FixtureTests {
    @Test(arguments: Fixtures.names)
    func loads(_ name: String) throws {
        let tokenizer = try Tokenizer(directory: Fixtures.directory(name))
        #expect(tokenizer.bosToken != nil)
        #expect(tokenizer.bosTokenID != nil)
        #expect(tokenizer.eosTokenID != nil)
        #expect(tokenizer.bosTokenID.map { tokenizer.specialTokenIDs.contains($0) } == true)
    }

    @Test func llama3Vocabulary() throws {
        let tokenizer = try Fixtures.tokenizer(Fixtures.llama3Name)
        // 1024 trained tokens, then Llama 3.1's 256 special tokens in Llama 3.1's order (128000 + i there).
        #expect(tokenizer.vocabularySize == 1024 + 256)
        #expect(tokenizer.bosToken == "<|begin_of_text|>")
        #expect(tokenizer.bosTokenID == 1024)
        #expect(tokenizer.eosToken == "<|end_of_text|>")
        #expect(tokenizer.eosTokenID == 1025)
        #expect(tokenizer.id(of: "<|eot_id|>") == 1033)
        #expect(tokenizer.token(for: 1033) == "<|eot_id|>")
        #expect(tokenizer.token(for: 1279) == "<|reserved_special_token_247|>")
        #expect(tokenizer.specialTokenIDs.count == 256)
        // The fixture ships its template as chat_template.jinja, not inside tokenizer_config.json.
        let template = try #require(Path.read(Path.join(Fixtures.directory(Fixtures.llama3Name), "chat_template.jinja")))
        #expect(tokenizer.chatTemplate == String(decoding: template, as: UTF8.self))
    }

    /// `ids` are the ids with special tokens added; `decoded` is the text of the ids the text itself
    /// produced (the fixture generator decoded the ids without the added BOS, keeping special tokens that
    /// were written in the text). Where the text writes no special token, that is also the decode of
    /// `ids` with special tokens skipped.
    @Test(arguments: Fixtures.names)
    func tokenizerCases(_ name: String) throws {
        let cases = try Fixtures.cases(name)
        guard !cases.isEmpty else { return }
        let tokenizer = try Fixtures.tokenizer(name)
        for c in cases {
            #expect(try tokenizer.encode(c.text) == c.ids, "encode \(c.text.debugDescription)")
            let plain = try tokenizer.encode(c.text, addSpecialTokens: false)
            #expect(plain == Array(c.ids.dropFirst()), "encode without special tokens \(c.text.debugDescription)")
            #expect(tokenizer.decode(plain) == c.decoded, "decode of \(c.text.debugDescription)")
            if c.ids.filter({ tokenizer.specialTokenIDs.contains($0) }).count == 1 {
                #expect(tokenizer.decode(c.ids, skipSpecialTokens: true) == c.decoded, "decode skipping special tokens of \(c.text.debugDescription)")
            }
        }
    }

    /// transformers' input ids for the prompts, and its decode of the greedy continuations (which contain
    /// U+FFFD where a token ends inside a character).
    @Test(arguments: Fixtures.names)
    func transformersReference(_ name: String) throws {
        let references = try Fixtures.references(name)
        #expect(!references.isEmpty, "\(name)/refs.json has no transformers_reference")
        let tokenizer = try Fixtures.tokenizer(name)
        for r in references {
            #expect(try tokenizer.encode(r.prompt) == r.inputIDs, "encode \(r.prompt.debugDescription)")
            #expect(tokenizer.decode(r.greedyIDs) == r.greedyText, "decode of the greedy ids after \(r.prompt.debugDescription)")
        }
    }

    /// 1bitLLM ships only a SentencePiece tokenizer.model (BPE, byte fallback): no tokenizer.json to read.
    @Test func oneBitLLMTokenizerIsASentencePieceModel() throws {
        let directory = Fixtures.directory(oneBitLLMFixture)
        #expect(Path.exists(Path.join(directory, "tokenizer.model")) && !Path.exists(Path.join(directory, "tokenizer.json")))
        let tokenizer = try Fixtures.tokenizer(oneBitLLMFixture)
        #expect(tokenizer.vocabularySize == 1024)
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2 && tokenizer.bosToken == "<s>")
        // byte fallback: a character the model never saw comes back through its UTF-8 bytes
        let ids = try tokenizer.encode("🎉", addSpecialTokens: false)
        #expect(ids.count >= 4 && tokenizer.decode(ids) == "🎉")
    }

    /// 1 MB of the fixture texts repeated, through the Llama 3 style tokenizer. The module is compiled with -O
    /// even in debug builds; the bound is generous for a loaded machine, the printed time is the measure.
    @Test func encodesAMegabyteQuickly() throws {
        let tokenizer = try Fixtures.tokenizer(Fixtures.llama3Name)
        var pieces = try Fixtures.names.flatMap { try Fixtures.cases($0).map(\.text) + Fixtures.references($0).map(\.prompt) }
        pieces += RandomText.strings(count: 200, seed: 7)
        let unit = pieces.joined(separator: "\n")
        var text = ""
        while text.utf8.count < 1_000_000 { text += unit + "\n" }
        let start = Date()
        let ids = try tokenizer.encode(text)
        let seconds = Date().timeIntervalSince(start)
        print("Llama 3 style tokenizer: \(text.utf8.count) bytes to \(ids.count) tokens in \(String(format: "%.3f", seconds)) s")
        #expect(seconds < 3)
        // Byte-level BPE loses nothing: the ids after BOS decode to the text (special-token text included).
        #expect(ids.first == tokenizer.bosTokenID)
        #expect(tokenizer.decode(Array(ids.dropFirst())) == text)
    }

    @Test func decodeSkipsUnknownIDs() throws {
        let tokenizer = try Fixtures.tokenizer("bitnet-bf16-online")
        let ids = try tokenizer.encode("Hello world", addSpecialTokens: false)
        #expect(tokenizer.decode([-1] + ids + [1_000_000]) == "Hello world")
        #expect(tokenizer.token(for: -5) == nil)
        #expect(tokenizer.id(of: "no such token ✗") == nil)
    }
}
