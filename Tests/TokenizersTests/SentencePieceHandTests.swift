import Testing
import Tokenizers

/// SentencePiece BPE on a hand-written tokenizer.model whose merges can be followed by hand.
@Suite struct SentencePieceHandTests {
    // Types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    static func pieces(bcType: Int = 1) -> [(String, Float, Int)] {
        [
            ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3),
            ("\u{2581}", -1, 1), ("a", -2, 1), ("b", -3, 1), ("c", -4, 1),
            ("ab", -0.5, 1), ("bc", -0.2, bcType), ("\u{2581}a", -0.1, 1), ("abc", -0.3, 1),
            ("<0x78>", 0, 6), ("<0xC3>", 0, 6), ("<0xA9>", 0, 6), ("<u>", 0, 4), ("aa", -0.3, 1),
        ]
    }

    func tokenizer(bcType: Int = 1, byteFallback: Bool = true, addDummyPrefix: Bool = true,
                   removeExtraWhitespaces: Bool = false, config: String? = nil) throws -> Tokenizer {
        var files = ["tokenizer.model": ProtobufWriter.sentencePieceModel(pieces: Self.pieces(bcType: bcType), byteFallback: byteFallback,
                                                                         addDummyPrefix: addDummyPrefix, removeExtraWhitespaces: removeExtraWhitespaces)]
        if let config { files["tokenizer_config.json"] = Array(config.utf8) }
        return try Tokenizer(files: files)
    }

    @Test func highestScoreMergesFirst() throws {
        let t = try tokenizer()
        // "▁abc": ▁a (-0.1) first, then bc (-0.2); ▁abc is no piece.
        #expect(try t.encode("abc", addSpecialTokens: false) == [9, 8])
        // "▁xabc": x is in no piece; bc (-0.2), then a+bc = abc (-0.3); x falls back to its byte.
        #expect(try t.encode("xabc", addSpecialTokens: false) == [3, 11, 10])
        // BOS is added by default, as Llama 2 does.
        #expect(try t.encode("abc") == [1, 9, 8])
        #expect(try t.encode("") == [1])
        #expect(t.bosTokenID == 1 && t.eosTokenID == 2 && t.bosToken == "<s>")
        #expect(t.decode([1, 9, 8], skipSpecialTokens: true) == "abc")
        #expect(t.decode([3, 11, 10]) == "xabc")
    }

    @Test func equalScoresMergeLeftmostFirst() throws {
        let t = try tokenizer(addDummyPrefix: false)
        #expect(try t.encode("aaa", addSpecialTokens: false) == [15, 4])
    }

    @Test func byteFallbackAndUnknown() throws {
        let t = try tokenizer()
        // é is C3 A9.
        #expect(try t.encode("é", addSpecialTokens: false) == [3, 12, 13])
        #expect(t.decode([3, 12, 13]) == "é")
        // 日 is E6 97 A5: no byte pieces, so unknown.
        #expect(try t.encode("日", addSpecialTokens: false) == [3, 0])
        // Without byte fallback, consecutive unknown characters are one unknown piece.
        let u = try tokenizer(byteFallback: false)
        #expect(try u.encode("x日c", addSpecialTokens: false) == [3, 0, 6])
    }

    @Test func userDefinedPiecesAreFrozen() throws {
        let t = try tokenizer()
        #expect(try t.encode("a<u>b", addSpecialTokens: false) == [9, 14, 5])
    }

    @Test func unusedPiecesAreSplitAgain() throws {
        // bc is UNUSED: it still merges (and so blocks abc here), then is split back into b and c.
        let t = try tokenizer(bcType: 5)
        #expect(try t.encode("abc", addSpecialTokens: false) == [9, 5, 6])
    }

    @Test func whitespaceOptions() throws {
        let keep = try tokenizer()
        // "▁▁a▁▁": the dummy prefix and every space kept.
        #expect(try keep.encode("  a  ", addSpecialTokens: false) == [3, 3, 9, 3, 3])
        let collapse = try tokenizer(removeExtraWhitespaces: true)
        #expect(try collapse.encode("  a  b ", addSpecialTokens: false) == [9, 3, 5])
        #expect(try collapse.encode("   ", addSpecialTokens: false) == [])
    }

    @Test func configControlsBOSAndEOS() throws {
        let t = try tokenizer(config: #"{"add_bos_token": false, "add_eos_token": true, "bos_token": {"content": "<s>"}}"#)
        #expect(try t.encode("abc") == [9, 8, 2])
        #expect(t.bosToken == "<s>")
    }

    @Test func controlTokensInText() throws {
        let t = try tokenizer()
        #expect(try t.encode("a</s>a", addSpecialTokens: false) == [9, 2, 9])
        #expect(t.specialTokenIDs == [0, 1, 2])
    }
}
