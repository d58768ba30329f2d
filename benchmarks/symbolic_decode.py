"""A KV-cache decode loop with the position as a Python int: compiles and time per step.

A toy attention layer keeps K/V caches as buffers; each step writes the new token's K/V at
`cache[:, :, pos]` and attends over the whole cache with a mask built from `pos`. Under
cache="constant values" every position compiles a new specialization; under "symbolic values"
the position is an input of the trace and the loop compiles once. Reports compilations and
milliseconds per step (the first step, which compiles, excluded), against eager.

    python benchmarks/symbolic_decode.py [--steps N] [--dim D] [--len L]
"""

import argparse
import platform
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder


class Decoder(nn.Module):
    def __init__(self, dim, max_len):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.register_buffer("k", torch.zeros(1, 1, max_len, dim))
        self.register_buffer("v", torch.zeros(1, 1, max_len, dim))
        self.register_buffer("positions", torch.arange(max_len))

    def forward(self, x, pos):
        q, k, v = self.qkv(x).chunk(3, dim=-1)  # x: (1, 1, 1, dim)
        self.k[:, :, pos] = k[:, :, 0]
        self.v[:, :, pos] = v[:, :, 0]
        mask = (self.positions <= pos)[None, :]  # attend to positions up to pos
        y = F.scaled_dot_product_attention(q, self.k, self.v, attn_mask=mask)
        return self.proj(y)


def run(step_fn, model, steps, dim):
    torch.manual_seed(0)
    xs = [torch.randn(1, 1, 1, dim) for _ in range(steps)]
    model.k.zero_()
    model.v.zero_()
    step_fn(xs[0], 0)
    start = time.perf_counter()
    for pos in range(1, steps):
        out = step_fn(xs[pos], pos)
    return (time.perf_counter() - start) / (steps - 1) * 1e3, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--len", type=int, default=128)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = Decoder(a.dim, a.len).eval()
    print(f"{platform.node()} torch {torch.__version__}, {a.steps} steps, dim {a.dim}, cache length {a.len}")
    with torch.no_grad():
        eager_ms, eager_out = run(model, model, a.steps, a.dim)
        print(f"eager: {eager_ms:.3f} ms/step")
        for mode in ("symbolic values", "constant values"):
            jm = thunder.jit(model, cache=mode)
            ms, out = run(jm, model, a.steps, a.dim)
            torch.testing.assert_close(out, eager_out)
            print(f"thunder {mode!r}: {ms:.3f} ms/step, {thunder.cache_misses(jm)} compilations")


if __name__ == "__main__":
    main()
