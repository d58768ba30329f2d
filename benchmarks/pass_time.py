"""Compile time per pass for a GPT forward, with the default executors and with the reference
fusion executor (which adds claiming work and fusion partitioning), for growing depth.

    .venv/bin/python benchmarks/pass_time.py [--layers 2,8,32]

Prints milliseconds per pass (the best of a few compiles) and the execution trace's size. Run it on
a quiet machine: it measures wall time.
"""

import argparse
import os
import sys

import torch

import thunder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
from nanogpt import GPT, GPTConfig  # noqa: E402


def compile_once(model, idx, executors):
    tm = thunder.jit(model, executors=executors)
    tm(idx)
    stats = thunder.compile_stats(tm).last_compile
    trace = thunder.last_traces(tm)[-1]
    regions = sum(thunder._C.is_fusion_region(b) for b in trace.bound_symbols)
    return stats, len(trace.bound_symbols), regions


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", default="2,8,32")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"device: cpu, torch {torch.__version__}, {os.cpu_count()} cpus")
    for n_layer in [int(n) for n in args.layers.split(",")]:
        torch.manual_seed(0)
        model = GPT(GPTConfig(n_layer=n_layer)).eval()
        idx = torch.randint(0, 128, (2, 16))
        for executors in (None, ["reference_fusion"]):
            runs = [compile_once(model, idx, executors) for _ in range(args.repeats)]
            best = {}
            for stats, _, _ in runs:
                for name, sec in stats["passes"].items():
                    key = name.removesuffix(" (unchanged)")
                    best[key] = min(best.get(key, sec), sec)
            _, lines, regions = runs[0]
            label = "default" if executors is None else executors[0]
            passes = ", ".join(f"{k} {v * 1e3:.2f}" for k, v in best.items())
            print(f"layers {n_layer:3d} {label:17s} lines {lines:5d} regions {regions:4d} | ms: {passes}")


if __name__ == "__main__":
    main()
