import Foundation
import Testing
import Tokenizers

/// Byte-pair encoding on vocabularies small enough to work out by hand.
@Suite struct BPEHandTests {
    /// No pre-tokenizer, so the whole text is one word.
    func tokenizer(vocab: [String: Int], merges: [Any], extra: [String: Any] = [:]) throws -> Tokenizer {
        try Tokenizer(files: ["tokenizer.json": tokenizerJSON(model: bpeModel(vocab: vocab, merges: merges, extra: extra))])
    }

    let abc = ["a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5]

    @Test func lowestRankMergesFirst() throws {
        // a b c: (a b) has rank 0, so ab, then (ab c) gives abc.
        let t = try tokenizer(vocab: abc, merges: ["a b", "b c", "ab c"])
        #expect(try t.encode("abc") == [5])
        // b c a: (b c) merges, and nothing merges bc with a.
        #expect(try t.encode("bca") == [4, 0])
        // With (b c) ranked first, a bc cannot merge further.
        let u = try tokenizer(vocab: abc, merges: ["b c", "a b", "ab c"])
        #expect(try u.encode("abc") == [0, 4])
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let t = try tokenizer(vocab: ["a": 0, "aa": 1], merges: ["a a"])
        #expect(try t.encode("aaa") == [1, 0])
        #expect(try t.encode("aaaa") == [1, 1])
        #expect(try t.encode("aaaaa") == [1, 1, 0])
    }

    @Test func mergesAsPairsOrStrings() throws {
        let t = try tokenizer(vocab: abc, merges: [["a", "b"], ["b", "c"], ["ab", "c"]])
        #expect(try t.encode("abc") == [5])
        #expect(try t.encode("cab") == [2, 3])
    }

    @Test func ignoreMergesTakesWholeWords() throws {
        let vocab = ["a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4]
        #expect(try tokenizer(vocab: vocab, merges: ["a b"], extra: ["ignore_merges": true]).encode("abc") == [4])
        #expect(try tokenizer(vocab: vocab, merges: ["a b"], extra: ["ignore_merges": false]).encode("abc") == [3, 2])
    }

    @Test func unknownCharacters() throws {
        let vocab = ["<unk>": 0, "a": 1, "b": 2]
        #expect(try tokenizer(vocab: vocab, merges: [], extra: ["unk_token": "<unk>"]).encode("axyb") == [1, 0, 0, 2])
        #expect(try tokenizer(vocab: vocab, merges: [], extra: ["unk_token": "<unk>", "fuse_unk": true]).encode("axyb") == [1, 0, 2])
        // Without an unk token the characters are dropped, as in `tokenizers`.
        #expect(try tokenizer(vocab: vocab, merges: []).encode("axyb") == [1, 2])
    }

    @Test func byteFallback() throws {
        let vocab = ["<unk>": 0, "a": 1, "<0xC3>": 2, "<0xA9>": 3, "<0x78>": 4]
        let t = try tokenizer(vocab: vocab, merges: [], extra: ["unk_token": "<unk>", "byte_fallback": true])
        // é is C3 A9 in UTF-8; x is 78.
        #expect(try t.encode("aéx") == [1, 2, 3, 4])
        // 日 is E6 97 A5, which have no byte tokens: unk.
        #expect(try t.encode("a日") == [1, 0])
    }

    @Test func subwordPrefixAndWordSuffix() throws {
        let prefixed = try tokenizer(vocab: ["a": 0, "##b": 1, "ab": 2, "b": 3, "##a": 4], merges: ["a ##b"],
                                     extra: ["continuing_subword_prefix": "##"])
        #expect(try prefixed.encode("ab") == [2])
        #expect(try prefixed.encode("ba") == [3, 4])
        let suffixed = try tokenizer(vocab: ["a": 0, "b</w>": 1, "ab</w>": 2, "b": 3, "a</w>": 4], merges: ["a b</w>"],
                                     extra: ["end_of_word_suffix": "</w>"])
        #expect(try suffixed.encode("ab") == [2])
        #expect(try suffixed.encode("ba") == [3, 4])
    }

    /// The ByteLevel pre-tokenizer spells bytes in GPT-2's alphabet: a space is Ġ (U+0120), and each
    /// byte of a multi-byte character is its own symbol.
    @Test func byteLevelAlphabet() throws {
        let vocab = ["Ġ": 0, "a": 1, "Ġa": 2, "Ã": 3, "©": 4, "Ã©": 5, "Ċ": 6]
        let json = try tokenizerJSON(model: bpeModel(vocab: vocab, merges: ["Ġ a", "Ã ©"]),
                                     preTokenizer: ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
                                     decoder: ["type": "ByteLevel"])
        let t = try Tokenizer(files: ["tokenizer.json": json])
        #expect(try t.encode(" a\né") == [2, 6, 5])
        #expect(t.decode([2, 6, 5]) == " a\né")
        // C3 alone is not UTF-8.
        #expect(t.decode([3, 1]) == "\u{FFFD}a")
    }

    /// Added tokens are cut out before the model runs, longest first; `addSpecialTokens` controls only
    /// the post-processor.
    @Test func addedTokensAndTemplate() throws {
        let vocab = ["a": 0, "b": 1, "<x>": 2]
        let added: [[String: Any]] = [
            ["id": 3, "content": "<s>", "special": true, "normalized": false],
            ["id": 4, "content": "<s>x", "special": false, "normalized": false],
        ]
        let post: [String: Any] = [
            "type": "TemplateProcessing",
            "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
            "special_tokens": ["<s>": ["id": "<s>", "ids": [3], "tokens": ["<s>"]]],
        ]
        let json = try tokenizerJSON(model: bpeModel(vocab: vocab, merges: []), postProcessor: post, addedTokens: added)
        let t = try Tokenizer(files: ["tokenizer.json": json])
        #expect(try t.encode("a<s>b") == [3, 0, 3, 1])
        #expect(try t.encode("a<s>b", addSpecialTokens: false) == [0, 3, 1])
        #expect(try t.encode("<s>xb", addSpecialTokens: false) == [4, 1])
        #expect(t.specialTokenIDs == [3])
        #expect(t.vocabularySize == 5)
        #expect(t.decode([3, 0, 4], skipSpecialTokens: true) == "a <s>x")
    }
}
