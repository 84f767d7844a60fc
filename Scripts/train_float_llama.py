#!/usr/bin/env python3
"""Train a small float Llama on the default model's text and tokenizer, the f32 reference of a quality table.

Recipe
  * Data, split and tokens as Scripts/train_tiny_bitnet.py (whose functions this script imports): the King
    James Bible from Debian's bible-kjv-text (apt-get install bible-kjv-text), one document per chapter,
    every 100th chapter held out. The tokenizer is models/bitnet-kjv-5m's, used as it is, so this model
    and the default ternary one score the same tokens.
  * Model: a plain float transformers LlamaForCausalLM, no quantization-aware training: 6 layers, hidden
    256, intermediate 768, 4 heads / 2 KV heads of 64, SiLU GLU, RoPE theta 1e4, untied embeddings,
    context 256. Every matrix row length (256, 768) and the vocabulary (4096) are multiples of 256, so
    llama.cpp can convert it and quantize it to K-quants and TQ2_0.
  * Training: train_tiny_bitnet.py's loop (AdamW beta 0.9/0.95, weight decay 0.1 on matrices, warmup +
    cosine to 10%, clipping at 1.0, batches of 16 x 256, bf16 autocast, seed 0), peak learning rate 1e-3.
  * Export (Hugging Face layout): model.safetensors in bf16, config.json, generation_config.json,
    tokenizer.json and tokenizer_config.json (copied), loss.csv, eval.txt (the held-out chapters joined by
    a blank line: the text a perplexity run reads) and train.json (arguments, steps, seconds, validation
    loss, eval_perplexity). The directory is reloaded with AutoModelForCausalLM in f32, compared with the
    trained model, its validation loss and a greedy continuation printed, and transformers' sliding-window
    perplexity of eval.txt (window 256, stride 128, f32) computed and recorded.

Run (capped at 30 minutes; the cosine schedule follows whichever of --steps and --minutes comes first):
  apt-get install -y bible-kjv-text
  python3 Scripts/train_float_llama.py --out kjv-llama-float --threads 1 --minutes 30
Quick smoke test:
  python3 Scripts/train_float_llama.py --out /tmp/float-smoke --steps 20 --threads 1 --eval-every 10
Perplexity of an exported directory only (recorded in its train.json when there is one):
  python3 Scripts/train_float_llama.py --perplexity-only kjv-llama-float
"""
import argparse, copy, csv, json, math, os, shutil, sys, time

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_tiny_bitnet as bitnet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TOKENIZER = os.path.join(ROOT, "models", "bitnet-kjv-5m")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", help="output directory (Hugging Face layout)")
    p.add_argument("--perplexity-only", metavar="DIR",
                   help="only compute eval.txt's sliding-window perplexity of an exported DIR (and record it in its train.json)")
    p.add_argument("--text", default="/usr/lib/bible.data", help="bible-kjv-text data file or a UTF-8 text file")
    p.add_argument("--tokenizer", default=DEFAULT_TOKENIZER,
                   help="directory with tokenizer.json and tokenizer_config.json, used as is (default: models/bitnet-kjv-5m)")
    p.add_argument("--steps", type=int, default=2500)
    p.add_argument("--minutes", type=float, default=None, help="stop after this many minutes, if sooner")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--intermediate", type=int, default=768)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--rope-theta", type=float, default=10000.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--loss-csv", default=None, help="defaults to OUT/loss.csv")
    p.add_argument("--prompt", default="In the beginning")
    p.add_argument("--window", type=int, default=256, help="perplexity window")
    p.add_argument("--stride", type=int, default=128, help="perplexity stride")
    args = p.parse_args()
    if not args.out and not args.perplexity_only:
        p.error("give --out (train) or --perplexity-only DIR")
    return args


def build_model(args, vocab_size, bos, eos):
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=args.hidden, intermediate_size=args.intermediate,
                         num_hidden_layers=args.layers, num_attention_heads=args.heads,
                         num_key_value_heads=args.kv_heads, head_dim=args.hidden // args.heads,
                         max_position_embeddings=args.seq_len, rms_norm_eps=1e-5, hidden_act="silu",
                         rope_parameters={"rope_type": "default", "rope_theta": args.rope_theta},
                         tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                         bos_token_id=bos, eos_token_id=eos)
    odd = {k: v for k, v in (("hidden", args.hidden), ("intermediate", args.intermediate), ("vocab", vocab_size))
           if v % 256}
    if odd:
        print(f"warning: {odd} not multiples of 256; llama.cpp's K-quants and TQ2_0 will not quantize those matrices")
    return LlamaForCausalLM(config)


def export(model, out, eot_id):
    """bf16 safetensors (lm_head included: embeddings are untied) and a LlamaForCausalLM config."""
    tensors = {name: t.detach().to(torch.bfloat16).contiguous() for name, t in model.state_dict().items()}
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    model.config.save_pretrained(out)
    config = json.load(open(os.path.join(out, "config.json")))
    config.update(architectures=["LlamaForCausalLM"], dtype="bfloat16", torch_dtype="bfloat16")
    bitnet.write_json(os.path.join(out, "config.json"), config)
    bitnet.write_json(os.path.join(out, "generation_config.json"),
                      {"bos_token_id": config["bos_token_id"], "eos_token_id": [config["eos_token_id"], eot_id],
                       "do_sample": False})


@torch.no_grad()
def verify(model, out, val_ids, args):
    """Reload in f32, compare with the trained model rounded to bf16 as the file stores it; validation loss, greedy text."""
    reference = copy.deepcopy(model).float().eval()
    for p in reference.parameters():
        p.copy_(p.to(torch.bfloat16).float())
    loaded = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    bos = loaded.config.bos_token_id
    sample = torch.cat([torch.tensor([bos]), val_ids[:args.seq_len - 1]])[None]
    want, got = reference(input_ids=sample).logits, loaded(input_ids=sample).logits
    diff = (want - got).abs().max().item()
    print(f"reload check: max |logit diff| {diff:.2e} against the trained model rounded to bf16 "
          f"(logit std {want.std().item():.2f})")
    assert diff < 1e-3 * max(1.0, want.std().item()), "transformers' reload does not reproduce the trained model"
    val = bitnet.validation_loss(loaded, val_ids, args.seq_len, bos, args.batch)
    print(f"reloaded (f32): validation loss {val:.4f} (perplexity {math.exp(val):.2f})")
    tok = AutoTokenizer.from_pretrained(out)
    enc = tok(args.prompt, return_tensors="pt")
    ids = loaded.generate(**enc, do_sample=False, max_new_tokens=48, pad_token_id=tok.eos_token_id)
    print(f"greedy, transformers f32: {tok.decode(ids[0], skip_special_tokens=True)!r}")
    return val


@torch.no_grad()
def perplexity(model, tok, text, window, stride):
    """transformers' sliding-window perplexity recipe ("Perplexity of fixed-length models"), f32 logits."""
    ids = tok(text, return_tensors="pt")["input_ids"]
    assert ids[0, 0].item() == tok.bos_token_id, "the tokenizer should add <|begin_of_text|>"
    n = ids.shape[1]
    nll_sum, scored, prev_end = 0.0, 0, 0
    for begin in range(0, n, stride):
        end = min(begin + window, n)
        x = ids[:, begin:end]
        targets = x.clone()
        targets[:, :-(end - prev_end)] = -100  # only the tokens after the previous window's end
        logits = model(input_ids=x).logits.float()
        nll_sum += F.cross_entropy(logits[0, :-1], targets[0, 1:], ignore_index=-100, reduction="sum").item()
        scored += (targets[0, 1:] != -100).sum().item()
        prev_end = end
        if end == n:
            break
    return {"file": "eval.txt", "window": window, "stride": stride, "tokens": n, "scored_tokens": scored,
            "tokenization": "tokenizer(eval.txt) once with its defaults: <|begin_of_text|> + the whole file",
            "scoring": "windows start at 0, stride, 2*stride, ... up to the one that reaches the last token; each scores "
                       "only the tokens after the previous window's end (the first: tokens 1..); "
                       "ppl = exp(nll_sum / scored_tokens), float32",
            "nll_sum": round(nll_sum, 5), "mean_nll": round(nll_sum / scored, 6), "ppl": round(math.exp(nll_sum / scored), 6)}


def eval_perplexity(directory, window, stride):
    """Perplexity of DIR/eval.txt under the exported DIR loaded in f32; recorded in DIR/train.json if present."""
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(directory)
    text = open(os.path.join(directory, "eval.txt"), encoding="utf-8").read()
    ppl = perplexity(model, tok, text, window, stride)
    print(f"eval.txt: {ppl['tokens']} tokens, {ppl['scored_tokens']} scored (window {window}, stride {stride}): "
          f"perplexity {ppl['ppl']:.4f}")
    record = os.path.join(directory, "train.json")
    if os.path.exists(record):
        info = json.load(open(record))
        info["eval_perplexity"] = ppl
        bitnet.write_json(record, info)
    return ppl


def last_row(csv_path):
    """train_tiny_bitnet.train's final row: step, elapsed seconds, final validation loss."""
    rows = list(csv.DictReader(open(csv_path)))
    return int(rows[-1]["step"]), float(rows[-1]["elapsed_s"]), float(rows[-1]["val_loss"])


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if args.perplexity_only:
        eval_perplexity(args.perplexity_only, args.window, args.stride)
        return
    os.makedirs(args.out, exist_ok=True)
    docs = bitnet.read_documents(args.text)
    train_docs = [d for i, d in enumerate(docs) if i % 100 != 99]  # the split of train_tiny_bitnet.py
    val_docs = [d for i, d in enumerate(docs) if i % 100 == 99]
    tok = Tokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.abspath(os.path.join(args.tokenizer, name)) != os.path.abspath(os.path.join(args.out, name)):
            shutil.copyfile(os.path.join(args.tokenizer, name), os.path.join(args.out, name))
    with open(os.path.join(args.out, "eval.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(val_docs))
    train_ids, val_ids = bitnet.token_stream(tok, train_docs), bitnet.token_stream(tok, val_docs)
    bos, eos = tok.token_to_id(bitnet.BOS), tok.token_to_id(bitnet.EOS)
    print(f"{args.text}: {len(docs)} documents, {len(train_ids)} training / {len(val_ids)} validation tokens, "
          f"vocab {tok.get_vocab_size()}")
    model = build_model(args, tok.get_vocab_size(), bos, eos)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params / 1e6:.2f} M parameters")
    # No cast cache: one autocast context spans all steps, and cached bf16 copies would go stale.
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16", cache_enabled=False):
        bitnet.train(args, model, train_ids, val_ids, bos)
    steps, seconds, val = last_row(args.loss_csv or os.path.join(args.out, "loss.csv"))
    export(model, args.out, tok.token_to_id(bitnet.EOT))
    reloaded_val = verify(model, args.out, val_ids, args)
    bitnet.write_json(os.path.join(args.out, "train.json"), {
        "args": vars(args), "parameters": n_params, "train_tokens": len(train_ids), "validation_tokens": len(val_ids),
        "steps": steps, "seconds": round(seconds, 1), "tokens_seen": steps * args.batch * args.seq_len,
        "final_validation_loss": val, "reloaded_f32_validation_loss": round(reloaded_val, 4),
        "validation": "mean next-token loss of the held-out chapters' token stream (<|end_of_text|> after each) in "
                      "non-overlapping seq-len windows, <|begin_of_text|> prefixed; final_validation_loss under "
                      "training's bf16 autocast, reloaded_f32_validation_loss from the exported bf16 file in f32"})
    eval_perplexity(args.out, args.window, args.stride)


if __name__ == "__main__":
    main()
