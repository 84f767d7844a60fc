#!/usr/bin/env python3
"""Writes the seed inputs under Fuzz/Corpus/<target>/ from the repository's own files (the default model
models/bitnet-kjv-5m, the chat templates of the tests) and tiny files made with the `safetensors` and
`sentencepiece` packages. FuzzModelFile's seeds are written by rsr's own writer:
`swift run FuzzModelFile --write-seeds Fuzz/Corpus/FuzzModelFile`. Seeds are small on purpose (KBs)."""
import io, json, os, re, struct, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
corpus = os.path.join(root, "Fuzz", "Corpus")
model = os.path.join(root, "models", "bitnet-kjv-5m")


def write(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- safetensors ----------------------------------------------------------------------------------------
import numpy as np
from safetensors.numpy import save

write("FuzzSafeTensors", "f32-bf16-u8", save({
    "model.embed_tokens.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
    "model.norm.weight": np.ones(4, dtype=np.float16),
    "model.layers.0.mlp.down_proj.weight": np.array([[1, 2], [3, 4]], dtype=np.uint8),
    "model.layers.0.self_attn.q_proj.weight_scale": np.array([0.5], dtype=np.float64),
}, metadata={"format": "pt"}))
write("FuzzSafeTensors", "empty-table", struct.pack("<Q", 2) + b"{}")
write("FuzzSafeTensors", "scalar-and-empty", save({"a": np.array(3.5, dtype=np.float32), "b": np.zeros((0, 3), dtype=np.int32),
                                                    "c": np.array([True, False])}))
# bf16 has no numpy dtype: written by hand, as safetensors lays it out.
header = json.dumps({"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
                     "__metadata__": {"format": "pt"}}).encode()
header += b" " * (-len(header) % 8)
write("FuzzSafeTensors", "bf16", struct.pack("<Q", len(header)) + header + bytes([0x80, 0x3f, 0, 0x40, 0x40, 0x40, 0x80, 0xbf]))
# The first tensors of the default model, truncated to a few KB.
with open(os.path.join(model, "model.safetensors"), "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    entries = json.loads(f.read(n))
    meta = entries.pop("__metadata__", None)
    small = sorted(((k, v) for k, v in entries.items() if v["data_offsets"][1] - v["data_offsets"][0] <= 2048),
                   key=lambda kv: kv[1]["data_offsets"][0])[:4]
    start = n + 8
    out, blobs, offset = {}, b"", 0
    for name, v in small:
        f.seek(start + v["data_offsets"][0])
        blob = f.read(v["data_offsets"][1] - v["data_offsets"][0])
        out[name] = dict(v, data_offsets=[offset, offset + len(blob)])
        blobs += blob
        offset += len(blob)
    if meta:
        out["__metadata__"] = meta
    header = json.dumps(out).encode()
    write("FuzzSafeTensors", "bitnet-kjv-5m-first-tensors", struct.pack("<Q", len(header)) + header + blobs)

# ---- config.json ----------------------------------------------------------------------------------------
config = open(os.path.join(model, "config.json"), "rb").read()
generation = open(os.path.join(model, "generation_config.json"), "rb").read()
sep = b"\n#generation_config.json\n"
write("FuzzModelConfig", "bitnet-kjv-5m", b"\0" + config)
write("FuzzModelConfig", "bitnet-kjv-5m-with-generation", b"\0" + config + sep + generation)
llama = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128, "hidden_size": 64,
         "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
         "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "hidden_act": "silu", "bos_token_id": 1,
         "eos_token_id": [2, 3], "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 128}}
write("FuzzModelConfig", "llama-float-llama3-rope", b"\1" + json.dumps(llama).encode())
falcon = dict(llama, quantization_config={"quant_method": "bitnet", "linear_class": "bitlinear", "use_rms_norm": True,
                                          "rms_norm_eps": 1e-5, "modules_to_not_convert": ["lm_head"]},
              rope_scaling={"type": "linear", "factor": 2.0}, head_dim=16, tie_word_embeddings=False, pad_token_id=None)
write("FuzzModelConfig", "llama-bitnet-linear-rope", b"\0" + json.dumps(falcon).encode())
onebit = {"architectures": ["BitnetForCausalLM"], "vocab_size": 64, "hidden_size": 32, "intermediate_size": 64,
          "num_hidden_layers": 1, "num_attention_heads": 2, "rope_theta": 10000.0, "mistral": None}
write("FuzzModelConfig", "bitnet-1bitllm", b"\0" + json.dumps(onebit).encode() + sep + b'{"bos_token_id": 1, "eos_token_id": null}')

# ---- tokenizers -----------------------------------------------------------------------------------------
tok = json.load(open(os.path.join(model, "tokenizer.json")))
text_sep = b"\n#text\n"
sample = "In the beginning God created the heaven and the earth. <|begin_of_text|>It's 3,000 years ünïcödé!\n\n  end"


def shrink(tok, keep):
    """The default model's tokenizer with its vocabulary cut to `keep` byte-level tokens and the merges among them."""
    t = json.loads(json.dumps(tok))
    vocab = {k: v for k, v in t["model"]["vocab"].items() if v < keep}
    t["model"]["vocab"] = vocab
    merges = []
    for m in t["model"]["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(m)
    t["model"]["merges"] = merges
    return t


small = shrink(tok, 300)
write("FuzzTokenizer", "bitnet-kjv-5m-small-json", b"\0" + json.dumps(small, ensure_ascii=False).encode() + text_sep + sample.encode())
write("FuzzTokenizer", "bitnet-kjv-5m-small-json-config", b"\2" + json.dumps(shrink(tok, 270), ensure_ascii=False).encode())
# Other pipeline stages the tokenizer supports: a SentencePiece-style BPE tokenizer.json (Llama 2, Mistral).
spjson = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": 0, "content": "<unk>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
                     {"id": 1, "content": "<s>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
                     {"id": 2, "content": "</s>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
    "pre_tokenizer": None,
    "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                       "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                       "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
                                                  {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None, "end_of_word_suffix": None,
              "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
              "vocab": dict({"<unk>": 0, "<s>": 1, "</s>": 2}, **{f"<0x{i:02X}>": 3 + i for i in range(256)},
                            **{"▁": 259, "t": 260, "h": 261, "e": 262, "th": 263, "▁th": 264, "▁the": 265, "a": 266, "n": 267, "an": 268, "d": 269, "and": 270}),
              "merges": ["t h", "▁ th", "▁th e", "a n", "an d"]},
}
write("FuzzTokenizer", "sentencepiece-bpe-json", b"\0" + json.dumps(spjson, ensure_ascii=False).encode() + text_sep + b"the band and then <s> \xf0\x9f\x98\x80")
wordpiece = dict(spjson, normalizer={"type": "NFKC"}, pre_tokenizer={"type": "Whitespace"}, decoder={"type": "ByteLevel"},
                 post_processor=None)
write("FuzzTokenizer", "nfkc-whitespace-json", b"\0" + json.dumps(wordpiece, ensure_ascii=False).encode() + text_sep + "ﬁne Ａ ½ the".encode())
try:
    import sentencepiece as spm
    text = ("In the beginning God created the heaven and the earth. And the earth was without form, and void; "
            "and darkness was upon the face of the deep. And God said, Let there be light: and there was light.\n") * 4
    for kind, size in (("bpe", 320), ("unigram", 300)):
        model_file = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(text.split("\n")), model_writer=model_file, vocab_size=size,
                                       model_type=kind, byte_fallback=True, character_coverage=1.0, minloglevel=2,
                                       normalization_rule_name="identity")
        write("FuzzTokenizer", f"sentencepiece-{kind}-model", b"\1" + model_file.getvalue() + text_sep + b"And God said: light \xe2\x82\xac")
        if kind == "bpe":  # Unigram models are refused as a whole: one seed for that path is enough.
            write("FuzzTokenizer", f"sentencepiece-{kind}-model-config", b"\3" + model_file.getvalue())
except ImportError:
    print("sentencepiece is not installed: no tokenizer.model seeds", file=sys.stderr)

for name, text in (("kjv", "In the beginning God created the heaven and the earth.\n"), ("special", "<|begin_of_text|>Hi<|eot_id|>  <|end_of_text|>"),
                   ("unicode", "Grüße, 世界! 🙂 \u0301e\u200b 12345678 'll 've"), ("spaces", " \t\r\n  x  \n\n\n y   ")):
    write("FuzzTokenizerText", name, text)

# ---- chat templates -------------------------------------------------------------------------------------
source = open(os.path.join(root, "Tests", "ChatTemplateTests", "ModelTemplates.swift")).read()
for name, body in re.findall(r'static let (\w+) = #"""\n(.*?)\n\s*"""#', source, re.S):
    lines = body.split("\n")
    indent = min((len(l) - len(l.lstrip(" ")) for l in lines if l.strip()), default=0)
    write("FuzzChatTemplate", name, "\n".join(l[indent:] for l in lines))
write("FuzzChatTemplate", "bitnet-kjv-5m", json.load(open(os.path.join(model, "tokenizer_config.json")))["chat_template"])

# ---- Hub model info -------------------------------------------------------------------------------------
sha = "0123456789abcdef0123456789abcdef01234567"
write("FuzzHubInfo", "model-info", json.dumps({"_id": "x", "id": "owner/model", "sha": sha, "private": False, "tags": ["bitnet"],
                                               "siblings": [{"rfilename": n} for n in (".gitattributes", "README.md", "config.json",
                                                            "model.safetensors", "tokenizer.json", "original/params.json",
                                                            "sub/dir/tokenizer.model")]}))
write("FuzzHubInfo", "unsafe-path", json.dumps({"sha": sha, "siblings": [{"rfilename": "../escape.json"}, {"rfilename": "a//b.json"}]}))
write("FuzzHubInfo", "etag", '"' + "ab" * 32 + '"')

for name, text in (("rows", '{"text": "In the beginning God created the heaven and the earth."}\n{"text": "And the earth was without form", "id": 2}\n'),
                   ("blank-and-crlf", '\n{"text": "a\\n\\nb \\u00e9 \\ud83d\\ude42"}\r\n\n{"text": ""}\n'),
                   ("not-an-object", '[1, 2]\n{"text": "x"}\n'), ("missing-field", '{"body": "x"}\n')):
    write("FuzzEvalText", name, text)
