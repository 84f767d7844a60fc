#!/usr/bin/env python3
"""Greedy ids of `rsr generate` on every fixture's prompts, on the CUDA and the CPU backend, against the
ids transformers recorded in refs.json.

    Scripts/check_fixture_ids.py RSR FIXTURES_DIR       (FIXTURES_DIR: Tests/Fixtures)

Fails when the two backends disagree, or when the CPU matches transformers and CUDA does not. (Past the
sure steps of refs.json a greedy continuation may leave transformers' on either backend; see
Tests/Fixtures/README.md.)
"""
import json
import os
import subprocess
import sys


FLOAT_PROJECTIONS = "keeps float projections"  # what the CUDA backend says of a model it does not run


def generate(rsr, model, prompt, n, backend):
    out = subprocess.run([rsr, "generate", model, "-p", prompt, "-n", str(n), "--ignore-eos", "--json", "--backend", backend],
                         capture_output=True, text=True)
    if out.returncode != 0:
        if FLOAT_PROJECTIONS in out.stderr:
            return None
        sys.exit(f"rsr generate --backend {backend} failed on {model}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    rsr, fixtures = sys.argv[1], sys.argv[2]
    failures = 0
    for name in sorted(os.listdir(fixtures)):
        refs = os.path.join(fixtures, name, "refs.json")
        if not os.path.exists(refs):
            continue
        body = json.load(open(refs))
        if "ternarised_reference" in body:
            continue  # a float model: `rsr generate` runs it only after `rsr convert --quantize ternary`
        for ref in body["transformers_reference"]:
            n = len(ref["greedy_ids"])
            cuda = generate(rsr, os.path.join(fixtures, name), ref["prompt"], n, "cuda")
            if cuda is None:
                print(f"skip {name}: float projections run on the CPU only")
                break
            cpu = generate(rsr, os.path.join(fixtures, name), ref["prompt"], n, "cpu")
            same = cuda["generated_ids"] == cpu["generated_ids"]
            cpu_ref = cpu["generated_ids"] == ref["greedy_ids"]
            cuda_ref = cuda["generated_ids"] == ref["greedy_ids"]
            ok = same and (cuda_ref or not cpu_ref)
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name} {ref['prompt']!r}: cuda {'=' if same else '!='} cpu, "
                  f"cuda {'=' if cuda_ref else '!='} transformers, cpu {'=' if cpu_ref else '!='} transformers ({cuda['backend']})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
