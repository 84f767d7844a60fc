#!/usr/bin/env python3
"""The GPU baselines for docs/BENCHMARKS.md: PyTorch bf16 products (cuBLAS) on BitNet-2B-4T and Llama-3-8B
shapes, and HF transformers' bf16 decode speed on a model shaped like BitNet b1.58 2B4T (random weights;
speed does not depend on them).

    python3 Scripts/bench_torch_gpu.py [--device cuda] [--tiny] [--prompt 128] [--tokens 64]

--tiny runs a small model and two small shapes, to check the script where there is no GPU.
"""
import argparse
import statistics
import time

import torch


def time_cuda(fn, runs):
    if not torch.cuda.is_available():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times)
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3)
    return statistics.median(times)


def products(device, shapes, batches, runs):
    print("| kernel | shape | batch | median us | GB/s |")
    print("|---|---|---:|---:|---:|")
    for rows, cols in shapes:
        w = torch.randn(rows, cols, dtype=torch.bfloat16, device=device)
        for batch in batches:
            x = torch.randn(batch, cols, dtype=torch.bfloat16, device=device)
            seconds = time_cuda(lambda: torch.nn.functional.linear(x, w), runs)
            print(f"| torch-bf16 | {rows}x{cols} | {batch} | {seconds * 1e6:.1f} | {rows * cols * 2 / seconds / 1e9:.0f} |")


def decode(device, tiny, prompt, tokens):
    from transformers import BitNetConfig, BitNetForCausalLM

    config = BitNetConfig() if not tiny else BitNetConfig(hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                                                          num_attention_heads=4, num_key_value_heads=2, vocab_size=1000,
                                                          bos_token_id=1, eos_token_id=2)
    model = BitNetForCausalLM(config).to(device=device, dtype=torch.bfloat16).eval()
    ids = torch.randint(0, config.vocab_size, (1, prompt), device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    with torch.no_grad():
        model.generate(ids, max_new_tokens=4, min_new_tokens=4, do_sample=False)  # warm-up
        sync()
        start = time.perf_counter()
        model(ids)
        sync()
        prefill = time.perf_counter() - start
        start = time.perf_counter()
        model.generate(ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
        sync()
        total = time.perf_counter() - start
    rate = (tokens - 1) / (total - prefill)
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    shape = "a tiny model" if tiny else "BitNet-2B-4T shape"
    print(f"\nHF transformers bf16, {shape} ({weights / 1e9:.2f} GB of weights), {prompt}-token prompt: "
          f"prefill {prompt / prefill:.0f} tok/s, decode {rate:.1f} tok/s ({weights * rate / 1e9:.0f} GB/s of weights)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--prompt", type=int, default=128)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    if args.device == "cuda":
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    shapes = [(2560, 2560), (640, 2560), (6912, 2560), (2560, 6912), (4096, 4096), (1024, 4096), (14336, 4096), (4096, 14336)]
    products(args.device, shapes[:2] if args.tiny else shapes, [1, 128], 5 if args.tiny else args.runs)
    decode(args.device, args.tiny, 16 if args.tiny else args.prompt, 4 if args.tiny else args.tokens)


if __name__ == "__main__":
    main()
