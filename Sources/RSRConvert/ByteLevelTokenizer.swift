import Foundation

/// A minimal byte-level BPE tokenizer.json (GPT-2's byte-to-character map, no merges) for synthetic
/// models: every text encodes, one token per byte, and decodes back.
enum ByteLevelTokenizer {
    /// GPT-2's map from bytes to printable characters.
    static let byteCharacters: [Character] = {
        let printable = Set(Array(33...126) + Array(161...172) + Array(174...255))
        var next = 256
        return (0..<256).map { b in
            defer { if !printable.contains(b) { next += 1 } }
            return Character(Unicode.Scalar(UInt32(printable.contains(b) ? b : next))!)
        }
    }()

    static func json(bos: Int, eos: Int) -> [String: Any] {
        let vocab = Dictionary(uniqueKeysWithValues: byteCharacters.enumerated().map { (String($0.element), $0.offset) })
        let special = { (id: Int, content: String) -> [String: Any] in
            ["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true]
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": [special(bos, "<s>"), special(eos, "</s>")],
            "normalizer": NSNull(), "pre_tokenizer": byteLevel, "post_processor": byteLevel, "decoder": byteLevel,
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocab, "merges": [String]()] as [String: Any],
        ]
    }

    static func config(bos: Int, eos: Int) -> [String: Any] {
        ["bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true, "model_max_length": 4096,
         "tokenizer_class": "PreTrainedTokenizerFast"]
    }
}
