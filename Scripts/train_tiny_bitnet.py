#!/usr/bin/env python3
"""Train a tiny ternary (BitNet b1.58) language model and save it in the
microsoft/bitnet-b1.58-2B-4T Hugging Face layout.

Recipe
  * Data: the King James Bible from Debian's bible-kjv-text package
    (apt-get install bible-kjv-text). Its /usr/lib/bible.data is compressed,
    so it is read through the package's `bible` program; any UTF-8 text file
    works too (--text). Headings and verse numbers are stripped, one document
    per chapter (per paragraph for other text), every 100th held out (~1%).
  * Tokenizer: byte-level BPE (Llama 3 split regex + ByteLevel) trained on the
    corpus, with Llama 3's <|begin_of_text|>, <|end_of_text|>, <|eot_id|>.
  * Model: transformers' BitNetForCausalLM (relu2 GLU, attn/ffn sub-norms,
    RoPE theta 5e5, tied embeddings) whose projections are quantization-aware:
    weights ternarized by absmean, activations int8 absmax per token, both with
    the straight-through estimator. AdamW, warmup + cosine learning rate,
    bf16 autocast.
  * Export: 2-bit packed U8 weights plus a bf16 weight_scale per projection,
    bf16 embeddings and norms, quantization_mode "offline". The directory is
    reloaded with AutoModelForCausalLM and its logits compared with the model
    that was trained, then a greedy continuation is printed.

Run (2500 steps of 16 x 256 tokens, capped at 45 minutes; the cosine schedule
follows whichever limit comes first):
  apt-get install -y bible-kjv-text
  python3 Scripts/train_tiny_bitnet.py --out tiny-bitnet --threads 2 --minutes 45
Quick smoke test:
  python3 Scripts/train_tiny_bitnet.py --out /tmp/tiny-test --steps 40 --threads 1 --eval-every 20
"""
import argparse, copy, csv, json, math, os, re, subprocess, time

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer, BitNetConfig, BitNetForCausalLM
from transformers.integrations.bitnet import pack_weights

BOS, EOS, EOT = "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}{{ message['role'] | capitalize }}: "
                 "{{ message['content'] }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}Assistant: {% endif %}")
HEADING = re.compile(r"(?:[1-3] )?[A-Z][A-Za-z ]+ \d+")   # "Genesis 1", "1 Kings 3", "Song of Solomon 2"
VERSE_NUMBER = re.compile(r"^\d+\s+")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--text", default="/usr/lib/bible.data", help="bible-kjv-text data file or a UTF-8 text file")
    p.add_argument("--out", required=True, help="output directory (Hugging Face layout)")
    p.add_argument("--steps", type=int, default=2500)
    p.add_argument("--minutes", type=float, default=None, help="stop after this many minutes, if sooner")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--intermediate", type=int, default=688)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["bf16", "fp32"], default="bf16",
                   help="bf16 autocast trains ~1.7x faster on CPUs with bf16 instructions")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--loss-csv", default=None, help="defaults to OUT/loss.csv")
    p.add_argument("--prompt", default="In the beginning")
    return p.parse_args()


def read_documents(path):
    """Plain-English documents: chapters for the Bible, blank-line paragraphs otherwise."""
    with open(path, "rb") as f:
        is_bible_data = b"\0" in f.read(4096)
    if is_bible_data:  # compressed bible-kjv-text data: let its reader print every verse on one line
        text = subprocess.run(["bible", "-p", os.path.dirname(os.path.abspath(path)), "-d", os.path.basename(path),
                               "-l100000", "gen1:1-rev22:21"], check=True, capture_output=True, text=True).stdout
    else:
        text = open(path, encoding="utf-8", errors="replace").read()
    docs, lines = [], []
    for line in text.splitlines():
        line = line.strip()
        boundary = bool(HEADING.fullmatch(line)) if is_bible_data else not line
        if boundary and lines:
            docs.append("\n".join(lines)); lines = []
        elif line and not boundary:
            lines.append(VERSE_NUMBER.sub("", line) if is_bible_data else line)
    return docs + (["\n".join(lines)] if lines else [])


def train_tokenizer(docs, vocab_size):
    """Byte-level BPE like Llama 3: regex split, bytes mapped to printable chars, specials after the merges."""
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - 3, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(docs, trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in (BOS, EOS, EOT)])
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B:1",
                                      special_tokens=[(BOS, tok.token_to_id(BOS))])])
    return tok


def save_tokenizer(tok, out, max_length):
    tok.save(os.path.join(out, "tokenizer.json"))
    config = {"bos_token": BOS, "eos_token": EOS, "model_max_length": max_length, "chat_template": CHAT_TEMPLATE,
              "clean_up_tokenization_spaces": False, "model_input_names": ["input_ids", "attention_mask"],
              "tokenizer_class": "PreTrainedTokenizerFast"}
    write_json(os.path.join(out, "tokenizer_config.json"), config)


def token_stream(tok, docs):
    """All documents as one id stream, each ending in <|end_of_text|>."""
    eos = tok.token_to_id(EOS)
    ids = [i for enc in tok.encode_batch(docs, add_special_tokens=False) for i in enc.ids + [eos]]
    return torch.tensor(ids, dtype=torch.long)


def ternarize(w):
    """Absmean ternary weights and their scale. The scale is rounded to bf16 because that is what the
    checkpoint stores, so training sees exactly the weights transformers rebuilds from it."""
    scale = w.detach().abs().mean().clamp(min=1e-5).to(torch.bfloat16).float()
    return (w / scale).round().clamp(-1, 1), scale


def quantize_activations(x):
    """int8 absmax per token, as transformers' ActQuant."""
    s = 127 / x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
    return (x * s).round().clamp(-128, 127) / s


class TernaryLinear(nn.Linear):
    """Quantization-aware linear: the forward is the quantized one, gradients pass straight through."""

    def forward(self, x):
        ternary, scale = ternarize(self.weight)
        w = self.weight + (ternary * scale - self.weight).detach()
        x = x + (quantize_activations(x) - x).detach()
        return F.linear(x, w)


def build_model(args, vocab_size, bos, eos):
    config = BitNetConfig(vocab_size=vocab_size, hidden_size=args.hidden, intermediate_size=args.intermediate,
                          num_hidden_layers=args.layers, num_attention_heads=args.heads,
                          num_key_value_heads=args.kv_heads, max_position_embeddings=args.seq_len,
                          rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 500000.0},
                          tie_word_embeddings=True, bos_token_id=bos, eos_token_id=eos)
    model = BitNetForCausalLM(config)
    # Every projection inside the decoder is ternary; the tied lm_head stays a plain bf16 embedding.
    for name, module in list(model.model.layers.named_modules()):
        if isinstance(module, nn.Linear):
            ternary = TernaryLinear(module.in_features, module.out_features, bias=False)
            ternary.weight.data.copy_(module.weight.data)
            model.model.layers.set_submodule(name, ternary)
    return model


def windows_loss(model, windows, bos):
    """Mean next-token loss of (B, T) windows, each prefixed with BOS as the tokenizer does at inference."""
    inputs = torch.cat([torch.full((windows.shape[0], 1), bos), windows[:, :-1]], dim=1)
    logits = model(input_ids=inputs).logits
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), windows.reshape(-1))


@torch.no_grad()
def validation_loss(model, stream, seq_len, bos, batch):
    model.eval()
    windows = stream[: len(stream) // seq_len * seq_len].view(-1, seq_len)
    total = sum(windows_loss(model, w, bos).item() * len(w) for w in windows.split(batch))
    model.train()
    return total / len(windows)


def learning_rate(args, step, progress):
    """Linear warmup, then cosine to 10% of the peak over `progress` (steps or time, whichever is further)."""
    warmup = min(args.warmup, args.steps // 10)  # short smoke tests still reach the peak
    if step < warmup:
        return args.lr * (step + 1) / warmup
    return args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * min(progress, 1.0))))


def train(args, model, train_ids, val_ids, bos):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(args.seed)
    budget = args.minutes * 60 if args.minutes else float("inf")
    csv_path = args.loss_csv or os.path.join(args.out, "loss.csv")
    with open(csv_path, "w", newline="") as f:
        log = csv.writer(f)
        log.writerow(["step", "elapsed_s", "lr", "train_loss", "val_loss"])
        start, step, recent = time.time(), 0, []
        while step < args.steps and time.time() - start < budget:
            progress = max(step / args.steps, (time.time() - start) / budget)
            lr = learning_rate(args, step, progress)
            for group in opt.param_groups:
                group["lr"] = lr
            offsets = torch.randint(0, len(train_ids) - args.seq_len, (args.batch,), generator=gen)
            loss = windows_loss(model, torch.stack([train_ids[o:o + args.seq_len] for o in offsets]), bos)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            recent.append(loss.item())
            val = validation_loss(model, val_ids, args.seq_len, bos, args.batch) if step % args.eval_every == 0 else None
            log.writerow([step, f"{time.time() - start:.1f}", f"{lr:.6g}", f"{loss.item():.4f}",
                          "" if val is None else f"{val:.4f}"])
            if step % args.log_every == 0 or val is not None:
                elapsed = time.time() - start
                print(f"step {step:5d}  loss {sum(recent) / len(recent):.4f}  lr {lr:.2e}  "
                      f"{elapsed / step:.2f} s/step" + ("" if val is None else f"  val {val:.4f}"), flush=True)
                recent = []
        val = validation_loss(model, val_ids, args.seq_len, bos, args.batch)
        log.writerow([step, f"{time.time() - start:.1f}", "", "", f"{val:.4f}"])
    print(f"trained {step} steps in {time.time() - start:.0f} s; validation loss {val:.4f} "
          f"(perplexity {math.exp(val):.1f}); loss curve in {csv_path}")


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def export(model, out, eot_id):
    """The 2B-4T layout: packed U8 ternary weights (4 per byte) + bf16 weight_scale, bf16 everything else."""
    tensors = {}
    ternary_weights = {n + ".weight" for n, m in model.named_modules() if isinstance(m, TernaryLinear)}
    for name, tensor in model.state_dict().items():
        if name == "lm_head.weight":
            continue  # tied to model.embed_tokens.weight
        if name in ternary_weights:
            ternary, scale = ternarize(tensor)
            tensors[name] = pack_weights(ternary.to(torch.int8).clone())
            tensors[name.removesuffix("weight") + "weight_scale"] = scale.reshape(1).to(torch.bfloat16)
        else:
            tensors[name] = tensor.to(torch.bfloat16).contiguous()
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    model.config.save_pretrained(out)  # transformers' own config.json, then the 2B-4T quantization entries
    config = json.load(open(os.path.join(out, "config.json")))
    config.update(architectures=["BitNetForCausalLM"], dtype="bfloat16", torch_dtype="bfloat16",
                  quantization_config={"quant_method": "bitnet", "linear_class": "autobitlinear",
                                       "quantization_mode": "offline"})
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "generation_config.json"),
               {"bos_token_id": config["bos_token_id"], "eos_token_id": [config["eos_token_id"], eot_id],
                "do_sample": False})


@torch.no_grad()
def verify(model, out, val_ids, prompt):
    """Reload with transformers and compare with the trained model whose bf16 tensors are rounded like the file."""
    reference = copy.deepcopy(model).eval()
    for name, p in reference.named_parameters():
        if not isinstance(reference.get_submodule(name.rsplit(".", 1)[0]), TernaryLinear):
            p.copy_(p.to(torch.bfloat16).float())
    # transformers leaves the unquantized tensors in bf16 even with dtype=float32; widening them is exact.
    loaded = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).to(torch.float32).eval()
    sample = torch.cat([torch.tensor([model.config.bos_token_id]), val_ids[:model.config.max_position_embeddings - 1]])
    want, got = reference(input_ids=sample[None]).logits, loaded(input_ids=sample[None]).logits
    drift = (model.eval()(input_ids=sample[None]).logits - want).abs().max().item()
    diff = (want - got).abs().max().item()
    agree = (want.argmax(-1) == got.argmax(-1)).float().mean().item()
    print(f"reload check: max |logit diff| {diff:.2e} (logit std {want.std().item():.2f}), top-1 agreement "
          f"{agree:.2%}; bf16 rounding of embeddings/norms moves logits by up to {drift:.2e}")
    # int8 activation rounding turns float-order differences of 1 ulp into whole quantization steps now and
    # then, so logits agree to a fraction of their spread and the argmax agrees everywhere
    assert diff < 0.1 * want.std().item() and agree > 0.99, "transformers' reload does not reproduce the trained model"
    tok = AutoTokenizer.from_pretrained(out)
    enc = tok(prompt, return_tensors="pt")
    for label, lm in (("transformers (bf16 load)", AutoModelForCausalLM.from_pretrained(out)), ("trained model", reference)):
        ids = lm.eval().generate(**enc, do_sample=False, max_new_tokens=32, pad_token_id=tok.eos_token_id)
        print(f"greedy, {label}: {tok.decode(ids[0], skip_special_tokens=True)!r}")


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    docs = read_documents(args.text)
    train_docs = [d for i, d in enumerate(docs) if i % 100 != 99]  # ~1% of documents held out
    val_docs = [d for i, d in enumerate(docs) if i % 100 == 99]
    tok = train_tokenizer(train_docs, args.vocab)
    save_tokenizer(tok, args.out, args.seq_len)
    train_ids, val_ids = token_stream(tok, train_docs), token_stream(tok, val_docs)
    bos, eos = tok.token_to_id(BOS), tok.token_to_id(EOS)
    print(f"{args.text}: {len(docs)} documents, {len(train_ids)} training / {len(val_ids)} validation tokens, "
          f"vocab {tok.get_vocab_size()}")
    model = build_model(args, tok.get_vocab_size(), bos, eos)
    print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters "
          f"({sum(m.weight.numel() for m in model.modules() if isinstance(m, TernaryLinear)) / 1e6:.2f} M ternary)")
    # Ternary weights times a bf16 scale are exact in bf16, so autocast mostly rounds the activations.
    # No cast cache: it would keep the bf16 copy of the tied embedding from the first step.
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16", cache_enabled=False):
        train(args, model, train_ids, val_ids, bos)
    export(model, args.out, tok.token_to_id(EOT))
    verify(model, args.out, val_ids, args.prompt)


if __name__ == "__main__":
    main()
