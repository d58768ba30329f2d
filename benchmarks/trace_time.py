"""Trace + transform time of a 48-layer GPT (gpt2-xl shape) on the meta device (no compute).

    python benchmarks/trace_time.py [--layers N]

Reports the first call's time split into tracing (review, tracing, recording in C++), the passes,
and codegen, from thunder.compile_stats, plus the number of bound symbols.
"""

import argparse
import os
import platform
import sys
import time

import torch

import thunder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
from nanogpt import GPT, GPT2_XL  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=GPT2_XL.n_layer)
    parser.add_argument("--seq", type=int, default=GPT2_XL.block_size)
    opts = parser.parse_args()
    config = GPT2_XL
    config.n_layer = opts.layers
    with torch.device("meta"):
        model = GPT(config)
    tm = thunder.jit(model)
    idx = torch.zeros(1, opts.seq, dtype=torch.long, device="meta")
    start = time.perf_counter()
    tm(idx)
    first_call = time.perf_counter() - start
    stats = thunder.compile_stats(tm)
    trace = thunder.last_traces(tm)[0]
    n_top = len(trace.bound_symbols)
    n_all = n_top + sum(len(b.subsymbols) for b in trace.bound_symbols)
    print(f"forward trace of a {config.n_layer}-layer GPT (n_embd {config.n_embd}, {config.n_head} heads, "
          f"vocab {config.vocab_size}) on meta tensors; {platform.machine()}, torch {torch.__version__}")
    print(f"bound symbols: {n_top} top level, {n_all} with their decompositions")
    print(f"first call: {first_call:.3f} s")
    print(stats)


if __name__ == "__main__":
    main()
