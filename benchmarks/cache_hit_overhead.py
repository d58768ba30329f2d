"""Cache-hit overhead: how much a compiled call costs above eager when nothing needs compiling.

Cases: `a + b` on 2x2 CPU tensors, a 10-input function (a chain of adds), and an nn.Linear(4, 4)
module (its parameters are extra inputs read on every call). Measured in one run:
eager, thunder.jit, and torch.compile (Inductor). Reports microseconds per call and the overhead
above eager.

    python benchmarks/cache_hit_overhead.py [--iters N] [--no-torch-compile]
"""

import argparse
import platform
import time

import torch

import thunder


def add2(a, b):
    return a + b


def add10(a, b, c, d, e, f, g, h, i, j):
    return a + b + c + d + e + f + g + h + i + j


def per_call_us(fn, args, iters, repeats=5):
    for _ in range(200):
        fn(*args)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            fn(*args)
        best = min(best, (time.perf_counter() - start) / iters)
    return best * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=20000)
    parser.add_argument("--no-torch-compile", action="store_true")
    opts = parser.parse_args()

    torch.set_num_threads(1)
    print(f"cache-hit overhead; {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"thunder {thunder.__name__}, 1 thread, best of 5 x {opts.iters} calls")
    print(f"{'case':<12}{'eager us':>10}{'thunder us':>12}{'+over eager':>13}{'compile us':>12}{'+over eager':>13}")
    linear = torch.nn.Linear(4, 4).requires_grad_(False)
    cases = (("a + b", add2, [torch.randn(2, 2) for _ in range(2)]),
             ("10 inputs", add10, [torch.randn(2, 2) for _ in range(10)]),
             ("nn.Linear", linear, [torch.randn(1, 4)]))
    for name, fn, args in cases:
        eager = per_call_us(fn, args, opts.iters)
        tfn = thunder.jit(fn)
        tfn(*args)
        th = per_call_us(tfn, args, opts.iters)
        assert thunder.cache_misses(tfn) == 1
        row = f"{name:<12}{eager:>10.2f}{th:>12.2f}{th - eager:>+13.2f}"
        if not opts.no_torch_compile:
            cfn = torch.compile(fn)
            cfn(*args)
            tc = per_call_us(cfn, args, opts.iters)
            row += f"{tc:>12.2f}{tc - eager:>+13.2f}"
        print(row)


if __name__ == "__main__":
    main()
