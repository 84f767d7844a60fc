#!/usr/bin/env python3
"""Make the test fixtures in Tests/Fixtures: tiny checkpoints in the Hugging Face layouts rsr converts, and
what HF transformers computes on them (refs.json).

Every directory is a complete Hub-style model repo (config.json, generation_config.json,
model.safetensors, tokenizer files) plus refs.json, and tokenizer-cases.json where the tokenizer is a
tokenizer.json. Tokenizers are trained here on the King James Bible (Debian's bible-kjv-text, read through
its `bible` program); weights are random (seeded), except `llama-float-kjv`, which is trained briefly on
the same text so that its predictions and its perplexity mean something.

  bitnet-2b4t-packed      BitNetForCausalLM, packed U8 + weight_scale (autobitlinear, offline): the layout of
                          microsoft/bitnet-b1.58-2B-4T, with a small Llama-3-style tokenizer and chat template
  bitnet-bf16-online      BitNetForCausalLM, BF16 full weights, quantization_mode online (the -bf16 repo)
  llama-bitlinear-packed  LlamaForCausalLM, packed U8 + weight_scale, linear_class bitlinear (HF1BitLLM)
  llama-bitlinear-rmsnorm the same with use_rms_norm (an RMSNorm inside each BitLinear, as tiiuae/Falcon3-*-1.58bit)
  bitnet-1bitllm-fp16     1bitLLM's BitnetForCausalLM: fp16 latent weights, absmean ternary weights and per-token
                          int8 activations at run time, inner_attn_ln / ffn_layernorm; tokenizer.model only
  llama-float-kjv         a float LlamaForCausalLM (bf16) trained on the KJV, for `rsr convert --quantize ternary`,
                          with a held-out eval.txt and its sliding-window perplexity

refs.json is computed by transformers the way a user runs it: the directory loaded back with
`from_pretrained` (1bitLLM's class is not in transformers: its reference is LlamaForCausalLM whose
projections are 1bitLLM's BitLinear, see `OneBitLinear`), in float32 on the CPU. For each prompt:
input_ids (BOS included), greedy_ids / greedy_text from generate(ids, attention_mask=ones,
do_sample=False, max_new_tokens=24) with eos disabled, top10_ids / top10_logits after the prompt,
step_gaps (top-1 minus top-2 logit at each greedy step), min_greedy_gap and sure_steps (steps before the
first gap under 0.5).

Run (10 to 20 minutes on 2 cores, most of it training llama-float-kjv):

    apt-get install -y bible-kjv-text
    python3 Scripts/make_fixtures.py                 # writes Tests/Fixtures
    python3 Scripts/make_fixtures.py --only bitnet-2b4t-packed,llama-float-kjv --out /tmp/fx

It needs torch, transformers, tokenizers, safetensors, sentencepiece, protobuf and accelerate
(transformers asks for it to load BitNet-quantized checkpoints). Where one is missing it
makes a virtual environment with --system-site-packages in .build/fixtures-venv, installs what is missing
there and runs itself again with it. The output is deterministic for a given torch build and thread count
(--threads, default 2: float sums in training depend on it); the versions used are recorded in refs.json.
"""
import argparse, importlib.util, json, math, os, random, re, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEEDED = {"torch": "torch", "transformers": "transformers", "tokenizers": "tokenizers", "safetensors": "safetensors",
          "sentencepiece": "sentencepiece", "google.protobuf": "protobuf",
          "accelerate": "accelerate"}


def ensure_packages():
    """Runs this script again in .build/fixtures-venv (--system-site-packages) with what is missing installed."""
    missing = [pip for mod, pip in NEEDED.items() if importlib.util.find_spec(mod.split(".")[0]) is None
               or (mod == "google.protobuf" and importlib.util.find_spec(mod) is None)]
    if not missing:
        return
    venv = os.path.join(ROOT, ".build", "fixtures-venv")
    python = os.path.join(venv, "bin", "python3")
    if os.path.abspath(sys.prefix) != os.path.abspath(venv):
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
        os.execv(python, [python, *sys.argv])
    if os.environ.get("MAKE_FIXTURES_INSTALLED"):
        sys.exit(f"still missing in {venv}: {', '.join(missing)}")
    subprocess.run([python, "-m", "pip", "install", *missing], check=True)
    os.environ["MAKE_FIXTURES_INSTALLED"] = "1"
    os.execv(python, [python, *sys.argv])


ensure_packages()

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import sentencepiece as spm  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402
from transformers import (AutoModelForCausalLM, AutoTokenizer, BitNetConfig, BitNetForCausalLM, LlamaConfig,  # noqa: E402
                          LlamaForCausalLM)
from transformers.integrations.bitnet import pack_weights  # noqa: E402
from transformers.models.llama.modeling_llama import LlamaRMSNorm  # noqa: E402

LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
# Llama 3.1's 256 special tokens, in its order (<|reserved_special_token_N|> fill the rest).
LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                   "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
                   "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"] + [f"<|reserved_special_token_{i}|>" for i in range(3, 248)]
# microsoft/bitnet-b1.58-2B-4T's chat template.
CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}{{ message['role'] | capitalize }}: "
                 "{{ message['content'] }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}Assistant: {% endif %}")
HEADING = re.compile(r"(?:[1-3] )?[A-Z][A-Za-z ]+ \d+")
VERSE_NUMBER = re.compile(r"^\d+\s+")
MAX_NEW = 24
SURE_GAP = 0.5

# Strings that reach the corners of the pre-tokenizers and byte-level BPE; random ones are added.
TOKENIZER_TEXTS = [
    "", " ", "Hello world!", "It's, we'll, they'RE, I'd", "  leading and trailing  ", "a\n\nb\r\nc\t\td",
    "12345678901234567890", "3.14159 + 2.71828 = 5.85987", "naïve café résumé", "日本語のテキスト", "한국어 텍스트",
    "emoji 🎉🚀 and flags 🇺🇸", "<|begin_of_text|>inline special<|eot_id|>", "x<|eot_id|>y", "<s>inline</s> special",
    "👨\u200d👩\u200d👧 family", "def f(x):\n    return x**2  # comment", "ÀÉÎÕÜ àéîõü", "\xa0nbsp\u2009thin\u3000ideographic",
    "mixed123abc456", "''''\"\"\"", "a" * 300, "The quick brown fox jumps over the lazy dog. " * 5,
    "And God said, Let there be light: and there was light.", "THE LORD IS MY SHEPHERD; I SHALL NOT WANT.",
    "▁already▁marked ĠG", "tab\tend\t", "\u0000nul and \u007fdel", "ﬁ ligature and ẞ", "Ελληνικά και Русский",
]
RANDOM_ALPHABET = list("abcdefghijklmnopqrstuvwxyzABC0123456789 \t\n.,;:!?'\"()[]{}<>|-_éü日本🎉")


def random_texts(count, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(1, 80))) for _ in range(count)]


# ----------------------------------------------------------------------------------------------- text

def read_chapters():
    """The KJV as one document per chapter, verse numbers dropped, one verse per line."""
    text = subprocess.run(["bible", "-l100000", "gen1:1-rev22:21"], check=True, capture_output=True, text=True).stdout
    docs, lines = [], []
    for line in text.splitlines():
        line = line.strip()
        if HEADING.fullmatch(line):
            if lines:
                docs.append("\n".join(lines)); lines = []
        elif line:
            lines.append(VERSE_NUMBER.sub("", line))
    if lines:
        docs.append("\n".join(lines))
    return docs


def split_chapters(docs):
    """Every 10th chapter held out; eval.txt is every 10th held-out chapter until it passes 20 KB."""
    train = [d for i, d in enumerate(docs) if i % 10 != 5]
    held = [d for i, d in enumerate(docs) if i % 10 == 5]
    eval_docs, size = [], 0
    for d in held[::10]:
        if size >= 20_000:
            break
        eval_docs.append(d); size += len(d.encode()) + 1
    return train, held, "\n".join(eval_docs) + "\n"


# ----------------------------------------------------------------------------------------- tokenizers

def write_json(path, obj, sort=True):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=sort, ensure_ascii=False)
        f.write("\n")


def llama3_style_tokenizer(docs, regular):
    """Byte-level BPE as Llama 3 builds it (split regex, ByteLevel without its own regex, ignore_merges), with
    `regular` tokens and Llama 3.1's 256 special tokens after them."""
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(docs, trainers.BpeTrainer(vocab_size=regular, min_frequency=2, show_progress=False,
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    assert tok.get_vocab_size() == regular, tok.get_vocab_size()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in LLAMA3_SPECIALS])
    bos = LLAMA3_SPECIALS[0]
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B:1",
                                      special_tokens=[(bos, tok.token_to_id(bos))])])
    return tok


def gpt2_style_tokenizer(docs, size):
    """Byte-level BPE with GPT-2's regex (ByteLevel use_regex), <s> = 0 and </s> = 1, <s> put in front."""
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(docs, trainers.BpeTrainer(vocab_size=size, min_frequency=2, show_progress=False,
                                                      special_tokens=["<s>", "</s>"],
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    assert tok.get_vocab_size() == size and tok.token_to_id("<s>") == 0 and tok.token_to_id("</s>") == 1
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B:1", special_tokens=[("<s>", 0)])
    return tok


def save_tokenizer_json(tok, out, bos, eos):
    tok.save(os.path.join(out, "tokenizer.json"))
    write_json(os.path.join(out, "tokenizer_config.json"),
               {"backend": "tokenizers", "bos_token": bos, "eos_token": eos, "clean_up_tokenization_spaces": False,
                "model_max_length": 1000000000000000019884624838656, "tokenizer_class": "TokenizersBackend"})


def sentencepiece_tokenizer(docs, out, size, work):
    """A Llama-2-style SentencePiece BPE (byte fallback, split digits, identity normalizer, dummy prefix) as
    1bitLLM's repos ship it: tokenizer.model and tokenizer_config.json, no tokenizer.json."""
    corpus = os.path.join(work, "spm-corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(docs) + "\n")
    prefix = os.path.join(work, "spm")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=size, character_coverage=1.0,
        byte_fallback=True, split_digits=True, normalization_rule_name="identity", add_dummy_prefix=True,
        remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        input_sentence_size=0, shuffle_input_sentence=False, num_threads=1, seed_sentencepiece_size=200000,
        max_sentence_length=1 << 16, minloglevel=2)
    with open(prefix + ".model", "rb") as f, open(os.path.join(out, "tokenizer.model"), "wb") as g:
        g.write(f.read())
    write_json(os.path.join(out, "tokenizer_config.json"),
               {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
                "unk_token": "<unk>", "clean_up_tokenization_spaces": False, "legacy": False,
                "model_max_length": 2048, "pad_token": None, "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer"})
    write_json(os.path.join(out, "special_tokens_map.json"), {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def tokenizer_cases(out, seed, tok=None, texts=None):
    """ids (special tokens added) and the decode of the text's own ids, as transformers' tokenizer gives them
    (or `tok`, something called and decoded the same way)."""
    tok = tok or AutoTokenizer.from_pretrained(out)
    cases = []
    for text in texts if texts is not None else TOKENIZER_TEXTS + random_texts(40, seed):
        ids = tok(text)["input_ids"]
        plain = tok(text, add_special_tokens=False)["input_ids"]
        cases.append({"text": text, "ids": list(ids), "decoded": tok.decode(plain)})
    write_json(os.path.join(out, "tokenizer-cases.json"), cases, sort=False)
    return cases


class SentencePieceTokenizer:
    """Encoding by sentencepiece itself (<s> + encode(text), as add_bos_token says), decoding by transformers'
    tokenizer, behind the calls `references` and `tokenizer_cases` make. transformers 5 encodes texts that
    begin with a space with one space fewer than sentencepiece (and than 1bitLLM's LlamaTokenizer of
    transformers 4.39); its decoding is the one rsr matches (byte pieces that do not make UTF-8 as a run all
    become U+FFFD, control pieces are written out)."""

    def __init__(self, sp, hf):
        self.sp, self.hf = sp, hf

    def __call__(self, text, return_tensors=None, add_special_tokens=True):
        ids = ([self.sp.bos_id()] if add_special_tokens else []) + self.sp.encode(text)
        return {"input_ids": torch.tensor([ids]) if return_tensors == "pt" else ids}

    def decode(self, ids):
        return self.hf.decode(list(ids))


# ------------------------------------------------------------------------------------------- weights

def gen(seed):
    return torch.Generator().manual_seed(seed)


def normal(shape, std, g, mean=0.0):
    return torch.randn(*shape, generator=g) * std + mean


def absmean_ternary(w):
    """1bitLLM / BitNet b1.58 weight quantization: ternary values and the mean |w| they are scaled by."""
    scale = w.abs().mean().clamp(min=1e-5)
    return (w / scale).round().clamp(-1, 1), scale


def llama_tensors(c, g, extra_norms=(), out_gain=1.0):
    """Random tensors of a Llama-family model: embeddings N(0,1) (logits spread well apart), norms near 1,
    projections N(0, 1/in), o_proj and down_proj times `out_gain` (with tied embeddings and gain 1 the
    residual stream stays close to the last token's embedding, and greedy decoding repeats that token)."""
    h, i, hd = c["hidden_size"], c["intermediate_size"], c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    t = {"model.embed_tokens.weight": normal((c["vocab_size"], h), 1.0, g),
         "model.norm.weight": normal((h,), 0.1, g, 1.0)}
    if not c.get("tie_word_embeddings"):
        t["lm_head.weight"] = normal((c["vocab_size"], h), 1.0, g)
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        t[p + "input_layernorm.weight"] = normal((h,), 0.1, g, 1.0)
        t[p + "post_attention_layernorm.weight"] = normal((h,), 0.1, g, 1.0)
        for name, rows, cols in [("self_attn.q_proj", q, h), ("self_attn.k_proj", kv, h), ("self_attn.v_proj", kv, h),
                                 ("self_attn.o_proj", h, q), ("mlp.gate_proj", i, h), ("mlp.up_proj", i, h),
                                 ("mlp.down_proj", h, i)]:
            gain = out_gain if name in ("self_attn.o_proj", "mlp.down_proj") else 1.0
            t[p + name + ".weight"] = normal((rows, cols), gain * cols ** -0.5, g)
        for name, size in extra_norms:
            t[p + name] = normal((h if size == "h" else size,), 0.1, g, 1.0)
    return t


PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def is_projection(name):
    return name.endswith(".weight") and name.split(".")[-2] in PROJECTIONS and ".layers." in name


def pack_projections(t, multiply):
    """Packed U8 (4 ternary values a byte, transformers' pack_weights) + a bf16 weight_scale of shape [1]:
    AutoBitLinear multiplies its output by the scale, BitLinear divides by it."""
    out = {}
    for name, w in t.items():
        if is_projection(name):
            ternary, scale = absmean_ternary(w)
            scale = scale.to(torch.bfloat16)
            out[name] = pack_weights(ternary.to(torch.int8).clone())
            out[name[:-len("weight")] + "weight_scale"] = (scale if multiply else 1 / scale.float()).to(torch.bfloat16).reshape(1)
        else:
            out[name] = w.to(torch.bfloat16).contiguous()
    return out


def save_model(out, tensors, config, generation):
    save_file({k: v.contiguous() for k, v in sorted(tensors.items())}, os.path.join(out, "model.safetensors"),
              metadata={"format": "pt"})
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "generation_config.json"), generation)


# --------------------------------------------------------------------------------- 1bitLLM's BitLinear

def activation_quant(x, num_bits=8):
    """1bitLLM modeling_bitnet.activation_quant: per-token absmax to int8, back to float."""
    dtype = x.dtype
    x = x.float()
    qn, qp = -2 ** (num_bits - 1), 2 ** (num_bits - 1) - 1
    s = qp / x.abs().max(dim=-1, keepdim=True).values.clamp(min=1e-5)
    return ((x * s).round().clamp(qn, qp) / s).type(dtype)


def weight_quant(w):
    """1bitLLM modeling_bitnet.weight_quant: absmean ternary, divided by 1/mean."""
    dtype = w.dtype
    w = w.float()
    s = 1 / w.abs().mean().clamp(min=1e-5)
    return ((w * s).round().clamp(-1, 1) / s).type(dtype)


class OneBitLinear(nn.Linear):
    """1bitLLM modeling_bitnet.BitLinear (weight_bits 1, input_bits 8), with the RMSNorm that its attention
    (inner_attn_ln, before o_proj) and MLP (ffn_layernorm, before down_proj) apply to this projection's input."""

    def __init__(self, cols, rows, norm_eps=None):
        super().__init__(cols, rows, bias=False)
        self.norm = LlamaRMSNorm(cols, eps=norm_eps) if norm_eps is not None else None

    def forward(self, x):
        if self.norm is not None:
            x = self.norm(x)
        x = x + (activation_quant(x) - x).detach()
        w = self.weight + (weight_quant(self.weight) - self.weight).detach()
        return F.linear(x, w)


def ternarised_llama(model, eps, sub_norms=None):
    """Replaces the decoder projections of a LlamaForCausalLM by OneBitLinear; `sub_norms` maps a layer's
    (o_proj | down_proj) to the weight of the RMSNorm in front of it."""
    for l, layer in enumerate(model.model.layers):
        for parent, name in [(layer.self_attn, n) for n in PROJECTIONS[:4]] + [(layer.mlp, n) for n in PROJECTIONS[4:]]:
            old = getattr(parent, name)
            norm = sub_norms(l, name) if sub_norms else None
            new = OneBitLinear(old.in_features, old.out_features, eps if norm is not None else None)
            new.weight.data.copy_(old.weight.data)
            if norm is not None:
                new.norm.weight.data.copy_(norm)
            setattr(parent, name, new)
    return model


# -------------------------------------------------------------------------------------------- references

@torch.no_grad()
def references(model, tok, prompts):
    model.eval()
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = None
    model.generation_config.bos_token_id = None
    refs = []
    for prompt in prompts:
        ids = tok(prompt, return_tensors="pt")["input_ids"]
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0, -1].float()
        top = torch.topk(logits, 10)
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=MAX_NEW,
                             min_new_tokens=MAX_NEW, eos_token_id=None, pad_token_id=None,
                             output_logits=True, return_dict_in_generate=True)
        greedy = out.sequences[0, ids.shape[1]:].tolist()
        gaps = []
        for step in out.logits:
            two = torch.topk(step[0].float(), 2).values
            gaps.append(round((two[0] - two[1]).item(), 4))
        sure = next((i for i, gap in enumerate(gaps) if gap < SURE_GAP), len(gaps))
        refs.append({"prompt": prompt, "input_ids": ids[0].tolist(), "greedy_ids": greedy,
                     "greedy_text": tok.decode(greedy), "top10_ids": top.indices.tolist(),
                     "top10_logits": [round(v, 5) for v in top.values.tolist()], "logit_std": logits.std().item(),
                     "min_greedy_gap": min(gaps), "step_gaps": gaps, "sure_steps": sure})
    return refs


def versions():
    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "sentencepiece": spm.__version__}


def load_f32(out):
    # transformers leaves unquantized tensors in bf16 even with dtype=float32; widening them is exact.
    return AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).to(torch.float32)


def write_refs(out, name, refs, how, **extra):
    body = {"model": name, "reference": how, "versions": versions(), "transformers_reference": refs,
            "reference_note": ("greedy_ids from generate(ids, attention_mask=ones, do_sample=False, max_new_tokens=24) "
                               "with eos disabled; top10 after the prompt; step_gaps = top-1 minus top-2 logit per greedy "
                               "step; sure_steps = steps before the first gap < 0.5")}
    body.update(extra)
    write_json(os.path.join(out, "refs.json"), body, sort=False)
    for r in refs:
        print(f"  {r['prompt']!r}: sure {r['sure_steps']}/{MAX_NEW}, min gap {r['min_greedy_gap']}, "
              f"-> {r['greedy_text'][:50]!r}")


FROM_PRETRAINED = "HF transformers on CPU, float32 compute; AutoModelForCausalLM.from_pretrained(dir, dtype=torch.float32)"
ENGLISH = ["In the beginning God created", "And it came to pass, when", "The LORD is my shepherd;", "Hello",
           "Ternary weights are {-1, 0, +1}.", "日本語のテキストも少し。"]


def base_config(**kw):
    c = {"attention_bias": False, "attention_dropout": 0.0, "initializer_range": 0.02, "rms_norm_eps": 1e-5,
         "use_cache": True, "transformers_version": transformers.__version__}
    c.update(kw)
    return c


# ------------------------------------------------------------------------------------------- fixtures

def make_bitnet_2b4t(out, ctx):
    tok = llama3_style_tokenizer(ctx.train, 1024)
    save_tokenizer_json(tok, out, "<|begin_of_text|>", "<|end_of_text|>")
    with open(os.path.join(out, "chat_template.jinja"), "w") as f:
        f.write(CHAT_TEMPLATE)
    bos, eos, eot = (tok.token_to_id(t) for t in ("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"))
    c = base_config(architectures=["BitNetForCausalLM"], model_type="bitnet", vocab_size=tok.get_vocab_size(),
                    hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=2,
                    num_key_value_heads=1, hidden_act="relu2", max_position_embeddings=512, tie_word_embeddings=True,
                    rope_parameters={"rope_theta": 500000.0, "rope_type": "default"}, bos_token_id=bos, eos_token_id=eos,
                    pad_token_id=None, dtype="bfloat16",
                    quantization_config={"quant_method": "bitnet", "linear_class": "autobitlinear",
                                         "quantization_mode": "offline"})
    t = llama_tensors(c, gen(1), extra_norms=[("self_attn.attn_sub_norm.weight", "h"),
                                              ("mlp.ffn_sub_norm.weight", c["intermediate_size"])], out_gain=4.0)
    save_model(out, pack_projections(t, multiply=True), c,
               {"bos_token_id": bos, "eos_token_id": [eos, eot], "do_sample": False,
                "transformers_version": transformers.__version__})
    tok_hf = AutoTokenizer.from_pretrained(out)
    write_refs(out, "bitnet-2b4t-packed", references(load_f32(out), tok_hf,
                                                     ENGLISH + ["The quick brown fox", "2 + 2 ="]), FROM_PRETRAINED)
    tokenizer_cases(out, 11)


def make_bitnet_online(out, ctx):
    tok = gpt2_style_tokenizer(ctx.train, 1024)
    save_tokenizer_json(tok, out, "<s>", "</s>")
    c = base_config(architectures=["BitNetForCausalLM"], model_type="bitnet", vocab_size=1024, hidden_size=128,
                    intermediate_size=352, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=4,
                    hidden_act="relu2", max_position_embeddings=512, tie_word_embeddings=True,
                    rope_parameters={"rope_theta": 500000.0, "rope_type": "default"}, bos_token_id=0, eos_token_id=1,
                    pad_token_id=None, dtype="bfloat16",
                    quantization_config={"quant_method": "bitnet", "linear_class": "autobitlinear",
                                         "quantization_mode": "online"})
    t = llama_tensors(c, gen(2), extra_norms=[("self_attn.attn_sub_norm.weight", "h"),
                                              ("mlp.ffn_sub_norm.weight", c["intermediate_size"])], out_gain=4.0)
    save_model(out, {k: v.to(torch.bfloat16) for k, v in t.items()}, c,
               {"bos_token_id": 0, "eos_token_id": 1, "do_sample": False, "transformers_version": transformers.__version__})
    write_refs(out, "bitnet-bf16-online", references(load_f32(out), AutoTokenizer.from_pretrained(out),
                                                     ENGLISH + ["def fibonacci(n):"]), FROM_PRETRAINED)
    tokenizer_cases(out, 12)


def make_llama_bitlinear(out, ctx, rms_norm):
    tok = gpt2_style_tokenizer(ctx.train, 1024)
    save_tokenizer_json(tok, out, "<s>", "</s>")
    q = {"quant_method": "bitnet", "linear_class": "bitlinear", "quantization_mode": "offline"}
    if rms_norm:
        q.update(use_rms_norm=True, rms_norm_eps=1e-6)
        dims = dict(hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                    head_dim=16)
    else:
        dims = dict(hidden_size=128, intermediate_size=352, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                    head_dim=32)
    c = base_config(architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=1024, hidden_act="silu",
                    max_position_embeddings=512, tie_word_embeddings=False, mlp_bias=False, pretraining_tp=1,
                    rope_parameters={"rope_theta": 500000.0, "rope_type": "default"}, bos_token_id=0, eos_token_id=1,
                    pad_token_id=None, dtype="bfloat16", quantization_config=q, **dims)
    g = gen(4 if rms_norm else 3)
    t = llama_tensors(c, g)
    if rms_norm:  # BitLinear's own RMSNorm, one per projection over its input
        for name in [n for n in t if is_projection(n)]:
            t[name[:-len("weight")] + "rms_norm.weight"] = normal((t[name].shape[1],), 0.1, g, 1.0)
    save_model(out, pack_projections(t, multiply=False), c,
               {"bos_token_id": 0, "eos_token_id": 1, "do_sample": False, "transformers_version": transformers.__version__})
    name = os.path.basename(out)
    write_refs(out, name, references(load_f32(out), AutoTokenizer.from_pretrained(out),
                                     ENGLISH + ["\n\n  spaces   and\ttabs"]), FROM_PRETRAINED)
    tokenizer_cases(out, 13 + rms_norm)


def make_1bitllm(out, ctx):
    sp = sentencepiece_tokenizer(ctx.train, out, 1024, ctx.work)
    c = {"architectures": ["BitnetForCausalLM"], "model_type": "llama", "vocab_size": sp.get_piece_size(),
         "hidden_size": 128, "intermediate_size": 352, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 4, "hidden_act": "silu", "max_position_embeddings": 512, "rms_norm_eps": 1e-5,
         "rope_theta": 10000.0, "rope_scaling": None, "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
         "pad_token_id": None, "attention_bias": False, "initializer_range": 0.02, "pretraining_tp": 1,
         "torch_dtype": "float16", "use_cache": True, "weight_bits": 1, "input_bits": 8, "transformers_version": "4.39.3"}
    t = llama_tensors(c, gen(5), extra_norms=[("self_attn.inner_attn_ln.weight", "h"),
                                              ("mlp.ffn_layernorm.weight", c["intermediate_size"])])
    t = {k: v.to(torch.float16) for k, v in t.items()}
    save_model(out, t, c, {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": None, "transformers_version": "4.39.3"})
    # The reference: LlamaForCausalLM (what 1bitLLM's class extends) in float32 with the fp16 weights widened,
    # each projection 1bitLLM's BitLinear, inner_attn_ln before o_proj and ffn_layernorm before down_proj.
    config = LlamaConfig(vocab_size=c["vocab_size"], hidden_size=128, intermediate_size=352, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, hidden_act="silu", max_position_embeddings=512,
                         rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                         tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    model = LlamaForCausalLM(config).to(torch.float32)
    state = {k: v.float() for k, v in t.items()}
    subs = {k: state.pop(k) for k in [k for k in state if "inner_attn_ln" in k or "ffn_layernorm" in k]}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and not [m for m in missing if "rotary" not in m], (missing, unexpected)

    def sub_norm(layer, proj):
        key = {"o_proj": "self_attn.inner_attn_ln", "down_proj": "mlp.ffn_layernorm"}.get(proj)
        return subs[f"model.layers.{layer}.{key}.weight"] if key else None

    model = ternarised_llama(model, 1e-5, sub_norm)
    hf = AutoTokenizer.from_pretrained(out)
    tok = SentencePieceTokenizer(sp, hf)
    texts = [t for t in TOKENIZER_TEXTS + random_texts(40, 15) if "<s>" not in t and "</s>" not in t]
    differ = check_sentencepiece(hf, sp, texts)
    write_refs(out, "bitnet-1bitllm-fp16", references(model, tok, ENGLISH + ["Numbers 1234 and  two spaces"]),
               "HF transformers on CPU, float32: LlamaForCausalLM with 1bitLLM modeling_bitnet's BitLinear (absmean "
               "ternary weights, per-token int8 absmax activations) for every decoder projection, inner_attn_ln before "
               "o_proj and ffn_layernorm before down_proj, fp16 weights widened",
               tokenizer_reference=(
                   "ids: sentencepiece " + spm.__version__ + " on tokenizer.model, <s> + encode(text), as 1bitLLM's "
                   "LlamaTokenizer (add_bos_token) gives them; text: transformers' AutoTokenizer decode. transformers "
                   + transformers.__version__ + " converts tokenizer.model to a Metaspace (prepend_scheme first) "
                   "pipeline that encodes a text beginning with a space with one space fewer than sentencepiece "
                   "(transformers_tokenizer_differs_on); no prompt here begins with a space"),
               transformers_tokenizer_differs_on=differ)
    tokenizer_cases(out, 15, tok, texts)


def check_sentencepiece(tok, sp, texts):
    """transformers' tokenizer (converted from tokenizer.model) against sentencepiece itself, for the record."""
    differ = [text for text in texts if tok(text)["input_ids"] != [1] + sp.encode(text)]
    print(f"  transformers vs sentencepiece: {len(differ)} texts tokenize differently {differ[:3]!r}")
    return differ


def make_float_llama(out, ctx, steps, threads):
    tok = gpt2_style_tokenizer(ctx.train, 1024)
    save_tokenizer_json(tok, out, "<s>", "</s>")
    c = base_config(architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=1024, hidden_size=128,
                    intermediate_size=352, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2, head_dim=32,
                    hidden_act="silu", max_position_embeddings=256, tie_word_embeddings=False, mlp_bias=False,
                    pretraining_tp=1, rope_parameters={"rope_theta": 10000.0, "rope_type": "default"}, bos_token_id=0,
                    eos_token_id=1, pad_token_id=None, dtype="bfloat16")
    torch.manual_seed(6)
    model = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in c.items() if k not in ("architectures", "transformers_version",
                                                                                 "model_type", "dtype")}))
    ids = lambda docs: torch.tensor([i for e in tok.encode_batch(docs, add_special_tokens=False) for i in e.ids + [1]])
    train_ids, held_ids = ids(ctx.train), ids(ctx.held)
    seq, batch, lr = 128, 16, 3e-3
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    g, start = gen(7), time.time()
    model.train()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * min(1, (step + 1) / 50) * (0.1 + 0.45 * (1 + math.cos(math.pi * step / steps)))
        offsets = torch.randint(0, len(train_ids) - seq, (batch,), generator=g)
        x = torch.stack([train_ids[o:o + seq] for o in offsets])
        x = torch.cat([torch.zeros(batch, 1, dtype=torch.long), x], 1)  # <s> first, as at inference
        loss = F.cross_entropy(model(input_ids=x[:, :-1]).logits.reshape(-1, 1024), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % 50 == 0:
            print(f"  step {step + 1}/{steps} loss {loss.item():.3f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        w = held_ids[: len(held_ids) // 256 * 256].view(-1, 256)[:64]
        x = torch.cat([torch.zeros(len(w), 1, dtype=torch.long), w[:, :-1]], 1)
        held_loss = F.cross_entropy(model(input_ids=x).logits.reshape(-1, 1024), w.reshape(-1)).item()
    tensors = {k: v.to(torch.bfloat16) for k, v in model.state_dict().items() if "rotary" not in k}
    save_model(out, tensors, c, {"bos_token_id": 0, "eos_token_id": 1, "do_sample": False,
                                 "transformers_version": transformers.__version__})
    with open(os.path.join(out, "eval.txt"), "w", encoding="utf-8") as f:
        f.write(ctx.eval_text)
    loaded = load_f32(out)
    tok_hf = AutoTokenizer.from_pretrained(out)
    prompts = ["The LORD is my shepherd;", "In the beginning God created", "And he said unto them,", "Hello, world!",
               "For God so loved the world,"]
    refs = references(loaded, tok_hf, prompts)
    ppl = perplexity(loaded, tok_hf, ctx.eval_text, window=256, stride=128)
    print(f"  held-out loss {held_loss:.3f}; eval.txt perplexity {ppl['ppl']:.3f} over {ppl['scored_tokens']} tokens")
    # What the same model computes ternarised as `rsr convert --quantize ternary` does it: absmean ternary
    # weights and per-token int8 activations in every decoder projection (1bitLLM's BitLinear).
    ternary = ternarised_llama(load_f32(out), c["rms_norm_eps"])
    ternary_refs = references(ternary, tok_hf, prompts)
    write_refs(out, "llama-float-kjv", refs, FROM_PRETRAINED, eval_perplexity=ppl,
               ternarised_reference={
                   "what": "the same model loaded the same way, each decoder projection replaced by 1bitLLM's BitLinear "
                           "(absmean ternary weights, scale = mean |w| of the whole matrix; per-token int8 absmax "
                           "activations); embeddings, norms and lm_head float",
                   "eval_perplexity": perplexity(ternary, tok_hf, ctx.eval_text, window=256, stride=128),
                   "transformers_reference": ternary_refs},
               training={"corpus": "King James Bible (Debian bible-kjv-text via `bible`), verse numbers dropped, one "
                                   "chapter a document; chapter i held out when i % 10 == 5; eval.txt = every 10th held-out "
                                   "chapter until 20 KB",
                         "steps": steps, "batch": batch, "seq_len": seq, "optimizer": "AdamW lr 3e-3, 50 warmup steps, "
                         "cosine to 10%, wd 0.1, clip 1.0", "threads": threads, "train_tokens": len(train_ids),
                         "heldout_loss": round(held_loss, 4),
                         "heldout_note": "mean next-token NLL over the first 64 non-overlapping 256-token windows of the "
                                         "held-out chapters (<s> + 255 tokens each), float32 weights before the bf16 save"})
    tokenizer_cases(out, 16)


@torch.no_grad()
def perplexity(model, tok, text, window, stride):
    """transformers' sliding-window perplexity recipe (docs: perplexity of fixed-length models)."""
    ids = tok(text, return_tensors="pt")["input_ids"]
    n = ids.shape[1]
    nll_sum, scored, prev_end = 0.0, 0, 0
    for begin in range(0, n, stride):
        end = min(begin + window, n)
        target_len = end - prev_end
        x = ids[:, begin:end]
        targets = x.clone()
        targets[:, :-target_len] = -100
        logits = model(input_ids=x).logits.float()
        loss = F.cross_entropy(logits[0, :-1], targets[0, 1:], ignore_index=-100, reduction="sum")
        nll_sum += loss.item()
        scored += (targets[0, 1:] != -100).sum().item()
        prev_end = end
        if end == n:
            break
    return {"file": "eval.txt", "tokens": n, "tokenization": "tokenizer(eval.txt) once: <s> + the whole file, no truncation",
            "window": window, "stride": stride,
            "scoring": "HF sliding window: windows start at 0, stride, 2*stride, ... (the last one ends at the last token); "
                       "window [b, min(b+window, N)) is one forward pass (no <s> added) and scores only the tokens after "
                       "the previous window's end (the first window: tokens 1..), so tokens 1..N-1 are each scored once; "
                       "ppl = exp(nll_sum / scored_tokens), natural log, float32 logits",
            "ppl": round(math.exp(nll_sum / scored), 6), "mean_nll": round(nll_sum / scored, 6),
            "nll_sum": round(nll_sum, 5), "scored_tokens": scored}


FIXTURES = ["bitnet-2b4t-packed", "bitnet-bf16-online", "llama-bitlinear-packed", "llama-bitlinear-rmsnorm",
            "bitnet-1bitllm-fp16", "llama-float-kjv"]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(ROOT, "Tests", "Fixtures"), help="default: Tests/Fixtures")
    p.add_argument("--only", default=",".join(FIXTURES), help="comma-separated fixture names")
    p.add_argument("--threads", type=int, default=2, help="torch threads (training sums depend on it)")
    p.add_argument("--train-steps", type=int, default=400, help="training steps of llama-float-kjv")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)

    class Context:
        pass
    ctx = Context()
    docs = read_chapters()
    ctx.train, ctx.held, ctx.eval_text = split_chapters(docs)
    ctx.work = os.path.join(ROOT, ".build", "fixtures-work")
    os.makedirs(ctx.work, exist_ok=True)
    print(f"KJV: {len(docs)} chapters, {len(ctx.train)} for training, eval.txt {len(ctx.eval_text.encode())} bytes")
    makers = {"bitnet-2b4t-packed": lambda o: make_bitnet_2b4t(o, ctx),
              "bitnet-bf16-online": lambda o: make_bitnet_online(o, ctx),
              "llama-bitlinear-packed": lambda o: make_llama_bitlinear(o, ctx, False),
              "llama-bitlinear-rmsnorm": lambda o: make_llama_bitlinear(o, ctx, True),
              "bitnet-1bitllm-fp16": lambda o: make_1bitllm(o, ctx),
              "llama-float-kjv": lambda o: make_float_llama(o, ctx, args.train_steps, args.threads)}
    for name in args.only.split(","):
        out = os.path.join(args.out, name)
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(out):
            os.remove(os.path.join(out, f))
        print(f"{name}:", flush=True)
        torch.manual_seed(0)
        makers[name](out)


if __name__ == "__main__":
    main()
