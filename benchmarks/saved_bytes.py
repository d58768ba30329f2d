"""Bytes saved for backward by one GPT block: eager autograd against thunder's forward.

Both are measured the same way, with torch.autograd.graph.saved_tensors_hooks around the forward:
every tensor autograd keeps for backward passes through the pack hook. A tensor saved by several
nodes (or the same storage under several views) is counted once, by its storage, and the module's
parameters and the block's input are left out (they are alive anyway, whoever saves them).

    python benchmarks/saved_bytes.py [--batch B] [--seq T] [--embd C] [--heads H]
"""

import argparse
import os
import platform
import sys

import torch

import thunder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
from nanogpt import Block, GPTConfig  # noqa: E402


def saved_bytes(fn, x, params):
    """Unique storage bytes packed for backward while fn(x) runs, leaving out params and x."""
    skip = {p.untyped_storage().data_ptr() for p in params} | {x.untyped_storage().data_ptr()}
    seen = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(x)
    out.sum().backward()
    return sum(seen.values()), len(seen)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--embd", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    opts = parser.parse_args()
    torch.manual_seed(0)
    config = GPTConfig(block_size=opts.seq, n_embd=opts.embd, n_head=opts.heads)
    block = Block(config)
    params = list(block.parameters())
    x = torch.randn(opts.batch, opts.seq, opts.embd, requires_grad=True)

    eager, n_eager = saved_bytes(block, x, params)
    tblock = thunder.jit(block)
    tblock(x)  # compile outside the measured call
    th, n_th = saved_bytes(tblock, x, params)
    print(f"one GPT block (batch {opts.batch}, seq {opts.seq}, n_embd {opts.embd}, {opts.heads} heads), float32; "
          f"{platform.machine()}, torch {torch.__version__}")
    print(f"{'':<10}{'saved MiB':>12}{'tensors':>10}")
    print(f"{'eager':<10}{eager / 2**20:>12.3f}{n_eager:>10}")
    print(f"{'thunder':<10}{th / 2**20:>12.3f}{n_th:>10}")
    print(f"thunder saves {100 * (1 - th / eager):.1f}% fewer bytes than eager")


if __name__ == "__main__":
    main()
