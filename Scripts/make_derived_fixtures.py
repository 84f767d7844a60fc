#!/usr/bin/env python3
"""Make the fixtures in Tests/Fixtures that derive from llama-float-kjv: its projections quantized by round to
nearest and stored the way llm-compressor and GPTQ store them, and the same model as a Qwen2, with what
transformers computes on them (refs.json).

  qwen2-kjv-float              Qwen2ForCausalLM: llama-float-kjv's weights plus seeded random biases on q, k and v
                               (Qwen2 has them, and none on o), bf16
  llama-kjv-ct-w4g32-asym      compressed-tensors pack-quantized: 4 bits, groups of 32, asymmetric (packed int
                               zero points down the output dimension), bf16 scales
  llama-kjv-ct-w8-channel      compressed-tensors pack-quantized: 8 bits, one scale per row (strategy channel),
                               symmetric (no zero points stored), bf16 scales
  llama-kjv-gptq-w3g32-act     GPTQ v1 (checkpoint_format gptq): 3 bits (values cross int32 words), groups of
                               32 in act order (g_idx from a fixed permutation), asymmetric, fp16 scales

Quantization follows the round-to-nearest formulas of ../shared/fixtures/README-lowbit.md (llm-compressor's
minmax observer); the packing follows the same document: a little-endian bit stream of b-bit values in
int32 words, stream bit k being bit k % 32 of word k / 32. refs.json is what transformers computes in float32
with every projection replaced by its exact f32 dequantization, w = scale * (q - zero), the same recipe and
fields as the other fixtures (greedy ids, top-10 logits, step gaps, the eval.txt perplexity).

Run after make_fixtures.py has made llama-float-kjv (a minute on 2 cores):

    python3 Scripts/make_derived_fixtures.py        # writes Tests/Fixtures/llama-kjv-*, qwen2-kjv-float
"""
import json, os, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (installs what is missing, as make_fixtures.py does)

torch = mf.torch
FIXTURES = os.path.join(mf.ROOT, "Tests", "Fixtures")
FLOAT = os.path.join(FIXTURES, "llama-float-kjv")
PROJECTIONS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
               "mlp.down_proj"]
PROMPTS = ["The LORD is my shepherd;", "In the beginning God created", "And he said unto them,", "Hello, world!",
           "For God so loved the world,"]


def pack_rows(values, bits):
    """Each row of unsigned b-bit values as a little-endian bit stream in int32 words."""
    rows, n = values.shape
    stream = ((values.to(torch.int64)[..., None] >> torch.arange(bits)) & 1).reshape(rows, n * bits)
    words = (n * bits + 31) // 32
    stream = torch.cat([stream, torch.zeros(rows, words * 32 - n * bits, dtype=torch.int64)], 1).reshape(rows, words, 32)
    packed = (stream << torch.arange(32)).sum(-1)
    return torch.where(packed >= 2**31, packed - 2**32, packed).to(torch.int32)


def minmax_asymmetric(w, bits, group, scale_dtype):
    """llm-compressor's asymmetric minmax RTN per group of `group` columns (in the given column order):
    unsigned codes q in [0, 2^b - 1], zero points z, and w' = (q - z) * scale."""
    out, cols = w.shape
    wg = w.float().reshape(out, cols // group, group)
    lo, hi = wg.amin(-1).clamp(max=0), wg.amax(-1).clamp(min=0)
    scale = ((hi - lo) / (2**bits - 1)).to(scale_dtype)
    s = torch.where(scale.float() == 0, torch.ones_like(lo), scale.float())
    zero = torch.clamp(torch.round(-lo / s), 0, 2**bits - 1)
    q = torch.clamp(torch.round(wg / s[..., None]) + zero[..., None], 0, 2**bits - 1)
    return q.reshape(out, cols).to(torch.int64), scale, zero.to(torch.int64)


def absmax_symmetric(w, bits, scale_dtype):
    """llm-compressor's symmetric minmax RTN per row: signed codes q in [-2^(b-1), 2^(b-1) - 1],
    scale = absmax / (2^(b-1) - 0.5), w' = q * scale."""
    scale = (w.float().abs().amax(-1, keepdim=True) / (2 ** (bits - 1) - 0.5)).to(scale_dtype)
    s = torch.where(scale.float() == 0, torch.ones_like(scale.float()), scale.float())
    q = torch.clamp(torch.round(w.float() / s), -2 ** (bits - 1), 2 ** (bits - 1) - 1)
    return q.to(torch.int64), scale


def dequantize(q, scale, zero, group_of):
    """w[o, i] = scale[o, g(i)] * (q[o, i] - zero[o, g(i)]) in float32, exactly."""
    return scale.float()[:, group_of] * (q - zero[:, group_of]).float()


def ct_config(config, bits, group, symmetric):
    """config.json with the quantization_config llm-compressor writes for pack-quantized weights (group None:
    strategy channel)."""
    weights = {"actorder": "static" if group else None, "block_structure": None, "dynamic": False, "group_size": group,
               "num_bits": bits, "observer": "memoryless_minmax", "observer_kwargs": {}, "scale_dtype": None,
               "strategy": "group" if group else "channel", "symmetric": symmetric, "type": "int",
               "zp_dtype": None if symmetric else "torch.int8"}
    return dict(config, quantization_config={
        "config_groups": {"group_0": {"format": "pack-quantized", "input_activations": None, "output_activations": None,
                                      "targets": ["Linear"], "weights": weights}},
        "format": "pack-quantized", "global_compression_ratio": None, "ignore": ["lm_head"], "kv_cache_scheme": None,
        "quant_method": "compressed-tensors", "quantization_status": "compressed", "sparsity_config": {},
        "transform_config": {}, "version": "0.19.0"})


def quantize_projections(tensors, quantize):
    """The checkpoint with each projection replaced by the tensors quantize(prefix, w) stores, and each projection's
    exact dequantization; the other tensors pass through."""
    new, dequant = {}, {}
    for name, w in tensors.items():
        prefix = name[: -len(".weight")]
        if not any(prefix.endswith(p) for p in PROJECTIONS):
            new[name] = w
            continue
        stored, dequant[name] = quantize(prefix, w)
        new.update(stored)
    return new, dequant


def make_ct(out, tensors, config):
    bits, group = 4, 32

    def quantize(prefix, w):
        q, scale, zero = minmax_asymmetric(w, bits, group, torch.bfloat16)
        half = 2 ** (bits - 1)
        return {
            prefix + ".weight_packed": pack_rows(q, bits),          # stored = signed code + 2^(b-1) = q
            prefix + ".weight_scale": scale,
            prefix + ".weight_zero_point": pack_rows(zero.T.contiguous(), bits).T.contiguous(),  # down the output dim
            prefix + ".weight_shape": torch.tensor(list(w.shape), dtype=torch.int64),
        }, dequantize(q - half, scale, zero - half, torch.arange(w.shape[1]) // group)

    new, dequant = quantize_projections(tensors, quantize)
    return new, ct_config(config, bits, group, symmetric=False), dequant


def make_ct_channel(out, tensors, config):
    bits = 8

    def quantize(prefix, w):
        q, scale = absmax_symmetric(w, bits, torch.bfloat16)
        return {
            prefix + ".weight_packed": pack_rows(q + 2 ** (bits - 1), bits),  # stored = signed code + 2^(b-1)
            prefix + ".weight_scale": scale,
            prefix + ".weight_shape": torch.tensor(list(w.shape), dtype=torch.int64),
        }, scale.float() * q.float()

    new, dequant = quantize_projections(tensors, quantize)
    return new, ct_config(config, bits, None, symmetric=True), dequant


def make_gptq(out, tensors, config):
    bits, group = 3, 32
    g = torch.Generator().manual_seed(3)

    def quantize(prefix, w):
        cols = w.shape[1]
        order = torch.randperm(cols, generator=g)                      # act order: columns in this order form the groups
        g_idx = torch.empty(cols, dtype=torch.int64)
        g_idx[order] = torch.arange(cols) // group
        q_ordered, scale, zero = minmax_asymmetric(w[:, order], bits, group, torch.float16)
        q = torch.empty_like(q_ordered)
        q[:, order] = q_ordered                                        # back to input order
        return {
            prefix + ".qweight": pack_rows(q, bits).T.contiguous(),  # one stream per output column, along the input
            prefix + ".qzeros": pack_rows((zero.T - 1) & (2**bits - 1), bits),  # v1: zero - 1, one stream per group
            prefix + ".scales": scale.T.contiguous(),
            prefix + ".g_idx": g_idx.to(torch.int32),
        }, dequantize(q, scale, zero, g_idx)

    new, dequant = quantize_projections(tensors, quantize)
    config = dict(config, quantization_config={
        "bits": bits, "checkpoint_format": "gptq", "desc_act": True, "format": "gptq", "group_size": group,
        "lm_head": False, "method": "gptq", "pack_dtype": "int32", "quant_method": "gptq", "sym": False})
    return new, config, dequant


def make_qwen2(out, tensors, config):
    g = torch.Generator().manual_seed(5)
    new = dict(tensors)
    for name, w in tensors.items():
        if any(name.endswith(p + ".weight") for p in PROJECTIONS[:3]):
            new[name[: -len("weight")] + "bias"] = (torch.randn(w.shape[0], generator=g) * 0.05).to(torch.bfloat16)
    config = {k: v for k, v in config.items() if k not in ("attention_bias", "mlp_bias", "pretraining_tp", "head_dim")}
    config.update(architectures=["Qwen2ForCausalLM"], model_type="qwen2", use_sliding_window=False, sliding_window=None,
                  max_window_layers=config["num_hidden_layers"])
    return new, config


def main():
    torch.set_num_threads(2)
    from safetensors.torch import load_file
    tensors = load_file(os.path.join(FLOAT, "model.safetensors"))
    with open(os.path.join(FLOAT, "config.json")) as f:
        config = json.load(f)
    out = os.path.join(FIXTURES, "qwen2-kjv-float")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for f in ["generation_config.json", "tokenizer.json", "tokenizer_config.json", "eval.txt"]:
        shutil.copy(os.path.join(FLOAT, f), out)
    new, cfg = make_qwen2(out, tensors, config)
    mf.save_model(out, new, cfg, json.load(open(os.path.join(FLOAT, "generation_config.json"))))
    model, tok = mf.load_f32(out), mf.AutoTokenizer.from_pretrained(out)
    assert type(model).__name__ == "Qwen2ForCausalLM" and model.model.layers[0].self_attn.o_proj.bias is None
    print("qwen2-kjv-float:")
    ppl = mf.perplexity(model, tok, open(os.path.join(out, "eval.txt"), encoding="utf-8").read(), window=256, stride=128)
    print(f"  eval.txt perplexity {ppl['ppl']:.4f}")
    mf.write_refs(out, "qwen2-kjv-float", mf.references(model, tok, PROMPTS), mf.FROM_PRETRAINED, eval_perplexity=ppl)

    for name, make, how in [("llama-kjv-ct-w4g32-asym", make_ct, "compressed-tensors pack-quantized W4 group 32 asymmetric"),
                            ("llama-kjv-ct-w8-channel", make_ct_channel, "compressed-tensors pack-quantized W8 per channel symmetric"),
                            ("llama-kjv-gptq-w3g32-act", make_gptq, "GPTQ v1 W3 group 32 asymmetric, act order")]:
        out = os.path.join(FIXTURES, name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        for f in ["generation_config.json", "tokenizer.json", "tokenizer_config.json", "eval.txt"]:
            shutil.copy(os.path.join(FLOAT, f), out)
        new, cfg, dequant = make(out, tensors, config)
        mf.save_model(out, new, cfg, json.load(open(os.path.join(FLOAT, "generation_config.json"))))
        model = mf.load_f32(FLOAT)
        state = model.state_dict()
        for k, w in dequant.items():
            state[k].copy_(w)
        tok = mf.AutoTokenizer.from_pretrained(out)
        print(f"{name}:")
        refs = mf.references(model, tok, PROMPTS)
        text = open(os.path.join(out, "eval.txt"), encoding="utf-8").read()
        ppl = mf.perplexity(model, tok, text, window=256, stride=128)
        print(f"  eval.txt perplexity {ppl['ppl']:.4f}")
        mf.write_refs(out, name, refs, "HF transformers on CPU, float32: llama-float-kjv loaded with from_pretrained, each "
                      f"decoder projection replaced by the exact f32 dequantization of this checkpoint ({how}): "
                      "w = scale * (q - zero)", eval_perplexity=ppl)


if __name__ == "__main__":
    main()
