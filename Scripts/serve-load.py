#!/usr/bin/env python3
"""Load an OpenAI-compatible server (rsr serve, llama-server, vLLM) with N concurrent streamed completions.

Each level of --streams sends that many /v1/completions requests at once: the same fixed-seed prompt of random
words (so every server sees the same text), temperature 0, --max-tokens tokens with end-of-sequence ignored.
Per level it prints the output tokens of all requests over the wall time (the output throughput of vLLM's
serving benchmark) and the requests' end-to-end latency. Token counts come from the answers' usage. Times to
first token and between tokens are left to `rsr bench serve`: servers hold back incomplete UTF-8, so a
streamed chunk may carry many tokens (with random weights, often all of them).

    python3 Scripts/serve-load.py --url http://127.0.0.1:8080/v1 --streams 1,8 --max-tokens 128
"""
import argparse
import math
import random
import threading
import time

from openai import OpenAI


def percentile(values, p):
    ordered = sorted(values)  # nearest rank, as rsr bench serve
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


def one_stream(client, model, prompt, max_tokens, out, index):
    usage = None
    stream = client.completions.create(model=model, prompt=prompt, max_tokens=max_tokens, temperature=0, stream=True,
                                       stream_options={"include_usage": True}, extra_body={"ignore_eos": True})
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
    out[index] = (time.perf_counter(), usage)


def level(client, model, prompt, max_tokens, streams):
    out = [None] * streams
    threads = [threading.Thread(target=one_stream, args=(client, model, prompt, max_tokens, out, i)) for i in range(streams)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if any(usage is None or usage.completion_tokens != max_tokens for _, usage in out):
        raise SystemExit(f"serve-load.py: a stream returned no usage or not {max_tokens} tokens")
    latency = [end - start for end, _ in out]
    return {
        "streams": streams, "prompt_tokens": out[0][1].prompt_tokens,
        "output": streams * max_tokens / max(latency),
        "latency_p50": percentile(latency, 0.5), "latency_p99": percentile(latency, 0.99),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--model", default="default")
    parser.add_argument("--api-key", default="none")
    parser.add_argument("--streams", default="1,2,4,8")
    parser.add_argument("--prompt-words", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--label", default="server")
    args = parser.parse_args()
    words = "time year people way day man thing woman life child world school state family student group country " \
            "problem hand part place case week company system program question work government number night point home " \
            "water room mother area money story fact month lot right study book eye job word business issue side kind".split()
    rng = random.Random(7)
    prompt = " ".join(rng.choice(words) for _ in range(args.prompt_words))
    client = OpenAI(base_url=args.url, api_key=args.api_key, timeout=3600)
    print("| server | streams | prompt tokens | output tok/s (all requests / wall) | latency p50 s | latency p99 s |")
    print("|---|---|---|---|---|---|")
    for n in [int(v) for v in args.streams.split(",")]:
        r = level(client, args.model, prompt, args.max_tokens, n)
        print(f"| {args.label} | {n} | {r['prompt_tokens']} | {r['output']:.1f} | {r['latency_p50']:.2f} | {r['latency_p99']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
