"""Causal self-attention on the CPU, forward and backward: eager (torch's flash kernel), thunder.jit
(its own attention kernel up to 512 keys, torch's flash kernel beyond) and torch.compile, in one run.

Each case times q, k, v -> F.scaled_dot_product_attention(is_causal=True) -> backward of a fixed
cotangent, the modes taking turns, and reports medians and ratios.

    python benchmarks/cpu_attention.py [--batch B] [--heads H] [--head-size E] [--seq T ...] [--threads N]
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import thunder


def attention(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--head-size", type=int, default=64)
    parser.add_argument("--seq", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--no-torch-compile", action="store_true")
    opts = parser.parse_args()
    torch.set_num_threads(opts.threads)
    print(f"causal attention fwd + bwd, batch {opts.batch}, {opts.heads} heads of {opts.head_size}, float32; "
          f"{opts.threads} threads, torch {torch.__version__}")
    modes = {"eager": attention, "thunder": thunder.jit(attention)}
    if not opts.no_torch_compile:
        modes["torch.compile"] = torch.compile(attention)
    print(f"{'T':>6}" + "".join(f"{name + ' ms':>18}" for name in modes) + f"{'eager/thunder':>16}"
          + ("" if opts.no_torch_compile else f"{'compile/thunder':>17}"))
    for T in opts.seq:
        torch.manual_seed(0)
        q, k, v = (torch.randn(opts.batch, opts.heads, T, opts.head_size, requires_grad=True) for _ in range(3))
        g = torch.randn(opts.batch, opts.heads, T, opts.head_size)
        times = {name: [] for name in modes}

        def step(fn):
            start = time.perf_counter()
            fn(q, k, v).backward(g)
            return time.perf_counter() - start

        for fn in modes.values():
            for _ in range(3):
                step(fn)
        for _ in range(opts.reps):
            for name, fn in modes.items():
                times[name].append(step(fn))
        med = {name: statistics.median(t) * 1e3 for name, t in times.items()}
        line = f"{T:>6}" + "".join(f"{med[name]:>18.3f}" for name in modes) + f"{med['eager'] / med['thunder']:>16.2f}"
        if "torch.compile" in med:
            line += f"{med['torch.compile'] / med['thunder']:>17.2f}"
        print(line)


if __name__ == "__main__":
    main()
