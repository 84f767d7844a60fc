import FileIO
import Foundation
import TestSupport
import Testing
import Tokenizers

/// Hugging Face `tokenizers` (the Python package) as the reference, where it is installed: the fixture
/// tokenizers on hundreds of random strings and random id sequences, and small tokenizers that Python
/// builds and trains here to exercise the stages and options the fixtures do not use.
@Suite(.enabled(if: pythonHas("tokenizers"), "needs the Python tokenizers package"))
struct PythonReferenceTests {
    struct Reference {
        let ids: [Int]
        let plain: [Int]
        let decoded: String
        let skipped: String

        init?(_ entry: Any) {
            guard let e = entry as? [String: Any], let ids = e["ids"] as? [Int], let plain = e["plain"] as? [Int],
                  let decoded = e["decoded"] as? String, let skipped = e["skipped"] as? String else { return nil }
            (self.ids, self.plain, self.decoded, self.skipped) = (ids, plain, decoded, skipped)
        }
    }

    /// Encodes `strings` and decodes id lists with the tokenizer.json at `path`.
    static let referenceScript = """
    import json, os
    from tokenizers import Tokenizer
    inp = json.load(open(os.environ['IN']))
    t = Tokenizer.from_file(inp['path'])
    def ref(s):
        ids = t.encode(s).ids
        return {'ids': ids, 'plain': t.encode(s, add_special_tokens=False).ids,
                'decoded': t.decode(ids, skip_special_tokens=False), 'skipped': t.decode(ids, skip_special_tokens=True)}
    out = {'encoded': [ref(s) for s in inp['strings']],
           'decoded': [[t.decode(ids, skip_special_tokens=False), t.decode(ids, skip_special_tokens=True)] for ids in inp['idLists']]}
    json.dump(out, open(os.environ['OUT'], 'w'))
    """

    static func compare(_ tokenizer: Tokenizer, path: String, strings: [String], idLists: [[Int]] = [], label: String) throws {
        let work = TemporaryDirectory()
        let output = try runPythonJSON(referenceScript, input: ["path": path, "strings": strings, "idLists": idLists], workDirectory: work)
        let root = try #require(output as? [String: Any])
        let encoded = try #require(root["encoded"] as? [Any]).compactMap(Reference.init)
        try #require(encoded.count == strings.count)
        var failures = 0
        for (text, reference) in zip(strings, encoded) {
            let ids = try tokenizer.encode(text)
            let ok = try ids == reference.ids && tokenizer.encode(text, addSpecialTokens: false) == reference.plain
                && tokenizer.decode(ids) == reference.decoded && tokenizer.decode(ids, skipSpecialTokens: true) == reference.skipped
            if !ok {
                failures += 1
                if failures <= 5 {
                    Issue.record("""
                        \(label): \(text.debugDescription)
                          expected \(reference.ids) \(reference.decoded.debugDescription) \(reference.skipped.debugDescription)
                          got      \(ids) \(tokenizer.decode(ids).debugDescription) \(tokenizer.decode(ids, skipSpecialTokens: true).debugDescription)
                        """)
                }
            }
        }
        let decoded = try #require(root["decoded"] as? [[String]])
        for (ids, reference) in zip(idLists, decoded) {
            #expect(tokenizer.decode(ids) == reference[0], "\(label): decode \(ids)")
            #expect(tokenizer.decode(ids, skipSpecialTokens: true) == reference[1], "\(label): decode skipping special tokens \(ids)")
        }
        #expect(failures == 0, "\(label): \(failures) of \(strings.count) strings differ")
    }

    @Test(arguments: Fixtures.tokenizerJSONNames)
    func fixtureTokenizer(_ name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name)
        var rng = SeededGenerator(state: 99)
        // Random ids decode to arbitrary byte sequences, most of them not UTF-8.
        let idLists = (0..<200).map { _ in
            (0..<Int.random(in: 1...10, using: &rng)).map { _ in Int.random(in: 0..<tokenizer.vocabularySize, using: &rng) }
        }
        try Self.compare(tokenizer, path: Path.join(Fixtures.directory(name), "tokenizer.json"),
                         strings: RandomText.strings(count: 400, seed: 1), idLists: idLists, label: name)
    }

    /// Builds and trains small tokenizers covering the other stages and options.
    static let builderScript = #"""
    import json, os
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, decoders, processors, trainers, AddedToken, Regex
    inp = json.load(open(os.environ['IN']))
    corpus, work = inp['corpus'], os.environ['WORK']
    def save(name, t):
        t.save(os.path.join(work, name + '.json'))

    # Byte-level BPE behind NFKC and lowercasing, with added tokens using every option.
    t = Tokenizer(models.BPE())
    t.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    t.decoder = decoders.ByteLevel()
    t.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=420, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                      special_tokens=['<s>', '</s>']))
    t.add_tokens([AddedToken('<mask>', lstrip=True, rstrip=True, single_word=True, normalized=False),
                  AddedToken('Hello', normalized=True), AddedToken('[x]', normalized=False),
                  AddedToken('ab', single_word=True, normalized=False), AddedToken(' sp', rstrip=True, normalized=False)])
    t.add_special_tokens([AddedToken('<|sep|>', lstrip=True, normalized=False)])
    t.post_processor = processors.TemplateProcessing(single='<s> $A </s>',
        special_tokens=[('<s>', t.token_to_id('<s>')), ('</s>', t.token_to_id('</s>'))])
    save('bytelevel_added', t)

    # SentencePiece-like BPE: digits split, Metaspace with prepend_scheme first, byte fallback, fused unk.
    t = Tokenizer(models.BPE(unk_token='<unk>'))
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                               pre_tokenizers.Metaspace(replacement='\u2581', prepend_scheme='first', split=True)])
    t.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=['<unk>', '<s>', '</s>']))
    m = json.loads(t.to_str())['model']
    vocab = m['vocab']
    merges = [tuple(x) if isinstance(x, list) else tuple(x.split(' ')) for x in m['merges']]
    for i in range(0, 256, 3):
        vocab.setdefault('<0x%02X>' % i, len(vocab))
    t.model = models.BPE(vocab, merges, unk_token='<unk>', byte_fallback=True, fuse_unk=True)
    t.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement='\u2581', prepend_scheme='first')])
    t.post_processor = processors.TemplateProcessing(single='<s> $A', special_tokens=[('<s>', t.token_to_id('<s>'))])
    save('metaspace_bytefallback', t)

    # Regex splits that need the general regex engine, every split behaviour, and no decoder.
    t = Tokenizer(models.BPE(unk_token='[UNK]'))
    t.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Replace(Regex(r'[0-9]{4,}'), '#'), normalizers.Strip()])
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Split(Regex(r'[.,!?]+'), behavior='isolated'),
        pre_tokenizers.Split(Regex(r'[aeiou]'), behavior='merged_with_previous'),
        pre_tokenizers.Split(Regex(r'[xyz]'), behavior='merged_with_next', invert=True),
        pre_tokenizers.Split('-', behavior='removed'),
        pre_tokenizers.Punctuation(behavior='contiguous')])
    t.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=['[UNK]']))
    save('regex_splits', t)

    # Word-boundary markers: continuing_subword_prefix and end_of_word_suffix, the Whitespace split.
    t = Tokenizer(models.BPE(unk_token='[UNK]', continuing_subword_prefix='##', end_of_word_suffix='</w>'))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    t.decoder = decoders.BPEDecoder(suffix='</w>')
    t.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=['[UNK]'],
                                                      continuing_subword_prefix='##', end_of_word_suffix='</w>'))
    save('subword_markers', t)

    # The Llama 3 layout with a regex the scanners do not know (so NSRegularExpression runs it), and the
    # GPT-2 regex written out as a Split (so the scanner runs it), with ignore_merges.
    for name, pattern in [('custom_regex', r"\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+|\s+"),
                          ('gpt2_split', r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]:
        t = Tokenizer(models.BPE(ignore_merges=True))
        t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(pattern), behavior='isolated'),
                                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        t.decoder = decoders.ByteLevel()
        t.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
        save(name, t)
    json.dump({}, open(os.environ['OUT'], 'w'))
    """#

    static let configurations = ["bytelevel_added", "metaspace_bytefallback", "regex_splits", "subword_markers", "custom_regex", "gpt2_split"]

    @Test func builtTokenizers() throws {
        let work = TemporaryDirectory()
        let corpus = RandomText.strings(count: 300, seed: 5) + [
            "The quick brown fox jumps over the lazy dog.", "Hello world, hello tokenizer!", "ternary weights 1.58 bits",
            "it's a <mask> test", "x-ray yak zebra 12345 67890", "naïve café résumé",
        ]
        _ = try runPythonJSON(Self.builderScript, input: ["corpus": corpus], workDirectory: work)
        var strings = RandomText.strings(count: 300, seed: 11)
        strings += ["Hello <mask> there\t<mask>\t<mask>\u{2000}", "a<mask> <mask>b <mask>", "ab abc cab ab", "[x][x] sp  sp sp",
                    "x<|sep|>  <|sep|>y", "HELLO hello HeLLo", "naïve ﬁ ² ½ 12345678", "a-b-c x.y,z!!", "ssss-xyz aeiou"]
        for name in Self.configurations {
            let path = work.file(name + ".json")
            let bytes = try #require(Path.read(path), "\(name).json was not written")
            let tokenizer = try Tokenizer(files: ["tokenizer.json": bytes])
            try Self.compare(tokenizer, path: path, strings: strings, label: name)
        }
    }
}
