"""Dropout in a pointwise chain, `F.dropout(x, p) * y + z`: thunder's philox mode (one fused CPU
kernel that draws its own mask) against thunder's eager-stream mode, eager torch and
torch.compile (Inductor), forward only and forward + backward.

    .venv/bin/python benchmarks/rng_dropout.py            # 4M elements
    .venv/bin/python benchmarks/rng_dropout.py --quick    # smaller, fewer repeats (a smoke run)

Timings are medians; run on a quiet machine (numbers taken while others build are only rough).
"""

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F

import thunder


def chain(x, y, z):
    return F.dropout(x, 0.1) * y + z


def chain_loss(x, y, z):
    return chain(x, y, z).sum()


def median_time(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def variants():
    out = {"eager": (chain, chain_loss)}
    out["thunder rng=eager"] = (thunder.jit(chain), thunder.jit(chain_loss))
    out["thunder rng=philox"] = (thunder.jit(chain, rng="philox"), thunder.jit(chain_loss, rng="philox"))
    try:
        out["torch.compile"] = (torch.compile(chain), torch.compile(chain_loss))
    except Exception as e:  # noqa: BLE001 - Inductor may be unavailable (no compiler)
        print(f"torch.compile unavailable: {e}")
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    n, repeats = (1 << 16, 5) if opts.quick else (1 << 22, 21)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{n} float32 elements")
    x, y, z = (torch.randn(n) for _ in range(3))
    xg = x.clone().requires_grad_()
    base = {}
    for name, (fwd, loss) in variants().items():
        t_fwd = median_time(lambda: fwd(x, y, z), repeats)

        def step():
            xg.grad = None
            loss(xg, y, z).backward()

        t_bwd = median_time(step, repeats)
        base.setdefault("fwd", t_fwd)
        base.setdefault("bwd", t_bwd)
        print(f"{name:20s} forward {t_fwd * 1e3:8.3f} ms ({base['fwd'] / t_fwd:4.2f}x eager)   "
              f"forward+backward {t_bwd * 1e3:8.3f} ms ({base['bwd'] / t_bwd:4.2f}x eager)")


if __name__ == "__main__":
    main()
