"""Training-mode batch norm: one forward+backward step of Conv2d -> BatchNorm2d -> ReLU on CPU.

Compares eager, thunder.jit with the default CPU executors (cpu_fusion: the normalization, its
affine and the ReLU are one generated kernel, forward and backward; the running stats one call of
torch.batch_norm_update_stats) and thunder.jit on ATen alone (batch norm as one call of torch's
kernel, prims.batch_norm_update). Reports milliseconds per step, best of several repeats.

    python benchmarks/batch_norm_train.py [--batch N] [--channels C] [--size HW] [--iters N]
"""

import argparse
import platform
import time

import torch
import torch.nn as nn

import thunder


def step_ms(model, x, iters, repeats=5):
    def step():
        model(x).sum().backward()

    for _ in range(3):
        step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            step()
        best = min(best, (time.perf_counter() - start) / iters)
    return best * 1e3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--iters", type=int, default=20)
    args = p.parse_args()
    torch.manual_seed(0)
    c = args.channels
    model = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()).train()
    x = torch.randn(args.batch, c, args.size, args.size)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"input {list(x.shape)}, conv {c}->{c} 3x3")
    for name, fn in [
        ("eager", model),
        ("thunder (cpu_fusion, aten)", thunder.jit(model)),
        ("thunder (aten only)", thunder.jit(model, executors=["aten"])),
    ]:
        print(f"{name:30s} {step_ms(fn, x, args.iters):8.2f} ms/step")


if __name__ == "__main__":
    main()
