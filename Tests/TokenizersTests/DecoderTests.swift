import Foundation
import TestSupport
import Testing
import Tokenizers

/// Decoding, whole and streamed.
@Suite struct DecoderTests {
    /// A Llama 2 style tokenizer.json: Prepend/Replace normalizer, BPE with byte fallback, and the
    /// Replace, ByteFallback, Fuse, Strip decoder chain.
    static func llama2Style() throws -> Tokenizer {
        var vocab = ["<unk>": 0, "<s>": 1, "</s>": 2, "\u{2581}": 3, "\u{2581}hello": 4, "\u{2581}world": 5, "h": 6, "e": 7, "l": 8,
                     "o": 9, "w": 10, "r": 11, "d": 12, "\u{2581}h": 13, "\u{2581}he": 14, "\u{2581}hel": 15, "\u{2581}hell": 16,
                     "\u{2581}w": 17, "\u{2581}wo": 18, "\u{2581}wor": 19, "\u{2581}worl": 20]
        for byte in 0..<256 { vocab[String(format: "<0x%02X>", byte)] = 21 + byte }
        let merges = ["\u{2581} h", "\u{2581}h e", "\u{2581}he l", "\u{2581}hel l", "\u{2581}hell o",
                      "\u{2581} w", "\u{2581}w o", "\u{2581}wo r", "\u{2581}wor l", "\u{2581}worl d"]
        let json = try tokenizerJSON(
            model: bpeModel(vocab: vocab, merges: merges, extra: ["unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true]),
            normalizer: ["type": "Sequence", "normalizers": [["type": "Prepend", "prepend": "\u{2581}"],
                                                             ["type": "Replace", "pattern": ["String": " "], "content": "\u{2581}"]]],
            postProcessor: ["type": "TemplateProcessing",
                            "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                            "special_tokens": ["<s>": ["id": "<s>", "ids": [1], "tokens": ["<s>"]]]],
            decoder: ["type": "Sequence", "decoders": [
                ["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "], ["type": "ByteFallback"], ["type": "Fuse"],
                ["type": "Strip", "content": " ", "start": 1, "stop": 0],
            ]],
            addedTokens: [["id": 0, "content": "<unk>", "special": true, "normalized": false],
                          ["id": 1, "content": "<s>", "special": true, "normalized": false],
                          ["id": 2, "content": "</s>", "special": true, "normalized": false]])
        return try Tokenizer(files: ["tokenizer.json": json])
    }

    static func byte(_ b: Int) -> Int { 21 + b }

    @Test func llama2StylePipeline() throws {
        let t = try Self.llama2Style()
        #expect(try t.encode("hello world") == [1, 4, 5])
        // € is E2 82 AC; everything not in the vocabulary falls back to bytes.
        #expect(try t.encode("hello €", addSpecialTokens: false) == [4, 3, Self.byte(0xE2), Self.byte(0x82), Self.byte(0xAC)])
        #expect(t.decode([1, 4, 5]) == "<s> hello world")
        #expect(t.decode([1, 4, 5], skipSpecialTokens: true) == "hello world")
        #expect(t.decode([4, 3, Self.byte(0xE2), Self.byte(0x82), Self.byte(0xAC)]) == "hello €")
        // An incomplete byte run is one U+FFFD per byte, as upstream's ByteFallback does.
        #expect(t.decode([Self.byte(0xE2), Self.byte(0x82), 4]) == "\u{FFFD}\u{FFFD} hello")
    }

    /// Feeds ids one at a time; the chunks must add up to the whole decode and hold back incomplete
    /// characters rather than emit U+FFFD for them.
    func stream(_ t: Tokenizer, _ ids: [Int], skipSpecialTokens: Bool = true) -> [String] {
        var decoder = StreamingDecoder(tokenizer: t, skipSpecialTokens: skipSpecialTokens)
        var chunks = ids.map { decoder.append($0) }
        chunks.append(decoder.finish())
        return chunks
    }

    static let streamTexts = [
        "Hello world!", "emoji 🎉🚀 and flags 🇺🇸 👨\u{200D}👩\u{200D}👧", "日本語のテキスト 한국어", "naïve café € 3.14159",
        "\u{1F600}\u{1F600}x", "mixed\n\ttext with  spaces  ", "",
    ]

    @Test(arguments: Fixtures.names)
    func streamingMatchesWholeDecode(_ name: String) throws {
        let t = try Fixtures.tokenizer(name)
        for text in Self.streamTexts + RandomText.strings(count: 60, seed: 3) {
            let ids = try t.encode(text)
            let chunks = stream(t, ids)
            let whole = t.decode(ids, skipSpecialTokens: true)
            #expect(chunks.joined() == whole, "\(name): \(text.debugDescription)")
            let replacements = { (s: String) in s.unicodeScalars.filter { $0 == "\u{FFFD}" }.count }
            #expect(chunks.map(replacements).reduce(0, +) == replacements(whole), "\(name): a chunk split a character in \(text.debugDescription)")
        }
        // transformers' greedy continuations include tokens that end inside characters.
        for r in try Fixtures.references(name) {
            #expect(stream(t, r.greedyIDs).joined() == t.decode(r.greedyIDs, skipSpecialTokens: true))
            #expect(stream(t, r.greedyIDs, skipSpecialTokens: false).joined() == r.greedyText)
        }
    }

    @Test func streamingHoldsBackPartialCharacters() throws {
        let t = try Fixtures.tokenizer(Fixtures.llama3Name)
        // 🎉 is F0 9F 8E 89; the fixture's vocabulary splits it over several tokens.
        let ids = try t.encode("🎉", addSpecialTokens: false)
        try #require(ids.count > 1)
        let chunks = stream(t, ids)
        let held = chunks.dropLast(2).allSatisfy { $0.isEmpty }
        #expect(held)
        #expect(chunks.joined() == "🎉")
        // Cut short, the incomplete character comes out at the end as U+FFFD.
        #expect(stream(t, Array(ids.prefix(1))) == ["", "\u{FFFD}"])
    }

    @Test func streamingWithByteFallbackAndStrip() throws {
        let t = try Self.llama2Style()
        for text in ["hello world", "hello € world", "€€ 🎉 日本", " hello", "world hello  "] {
            let ids = try t.encode(text)
            let chunks = stream(t, ids)
            #expect(chunks.joined() == t.decode(ids, skipSpecialTokens: true))
            #expect(chunks.joined() == text.replacingOccurrences(of: "^ ", with: "", options: .regularExpression) || text.hasPrefix(" "))
            #expect(!chunks.contains { $0.contains("\u{FFFD}") })
        }
        // The first token's leading space is stripped, later ones keep theirs.
        #expect(stream(t, [1, 4, 5]) == ["", "hello", " world", ""])
    }
}
