"""thunder's main demo: compile a small transformer MLP block, print its traces, check it against
eager PyTorch, and time both."""

import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder


class MLPBlock(nn.Module):
    """The feed-forward half of a GPT-2 block: x + W2 gelu(W1 x + b1) + b2."""

    def __init__(self, dim=256, hidden=1024):
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.proj = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.proj(F.gelu(self.fc(x), approximate="tanh"))


def mlp_block(x, fc_w, fc_b, proj_w, proj_b):
    """The same block as a function of its parameters."""
    return x + F.linear(F.gelu(F.linear(x, fc_w, fc_b), approximate="tanh"), proj_w, proj_b)


def bench(fn, args, iters=200):
    for _ in range(10):
        fn(*args)
    start = time.perf_counter()
    for _ in range(iters):
        fn(*args)
    return (time.perf_counter() - start) / iters


def main():
    torch.manual_seed(0)
    model = MLPBlock().eval()
    params = (model.fc.weight, model.fc.bias, model.proj.weight, model.proj.bias)
    x = torch.randn(8, 64, 256)

    cfn = thunder.jit(mlp_block)
    with torch.no_grad():
        t0 = time.perf_counter()
        out = cfn(x, *params)
        first_call = time.perf_counter() - t0
        expected = model(x)

    traces = thunder.last_traces(cfn)
    print("=== computation trace (as recorded) ===")
    print(traces[0])
    print("=== execution trace (what runs) ===")
    print(traces[-1])

    err = (out - expected).abs().max().item()
    ok = torch.allclose(out, expected, rtol=1e-5, atol=1e-5)
    print(f"result matches eager: {ok} (max abs difference {err:.2e})")

    with torch.no_grad():
        t_eager = bench(model, (x,))
        t_thunder = bench(cfn, (x, *params))
    print(f"first call (trace + transform + codegen): {first_call * 1e3:.1f} ms")
    print(f"eager:   {t_eager * 1e3:.3f} ms/iter")
    print(f"thunder: {t_thunder * 1e3:.3f} ms/iter  (speedup {t_eager / t_thunder:.2f}x over eager, "
          f"{torch.get_num_threads()} threads, {x.device})")
    print(f"cache: {thunder.cache_hits(cfn)} hits, {thunder.cache_misses(cfn)} miss")
    if not ok:
        raise SystemExit("demo: thunder's result differs from eager")


if __name__ == "__main__":
    main()
