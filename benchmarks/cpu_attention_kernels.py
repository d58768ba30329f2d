"""Thunder's CPU attention kernels alone (runtime/cpu_attention.py: forward, backward), causal,
float32, on a GPT's shapes: q, k, v are strided views of one [B, T, 3 * H * E] projection, as in a
model. Reports the best of 5 timing loops per kernel.

    python benchmarks/cpu_attention_kernels.py [--threads N] [--shape B H T E ...]
"""

import argparse
import time

import torch

from thunder.runtime import cpu_attention


def best_ms(f, n):
    for _ in range(3):
        f()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            f()
        times.append((time.perf_counter() - t) / n * 1e3)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--shape", type=int, nargs=4, action="append", metavar=("B", "H", "T", "E"))
    opts = parser.parse_args()
    shapes = opts.shape or [(12, 4, 64, 32), (4, 4, 128, 64), (4, 4, 256, 64), (2, 4, 512, 64), (2, 2, 128, 256)]
    torch.set_num_threads(opts.threads)
    print(f"thunder CPU attention kernels, causal, float32, {opts.threads} threads, torch {torch.__version__}")
    for B, H, T, E in shapes:
        qkv = torch.randn(B, T, 3 * H * E)
        q, k, v = [t.view(B, T, H, E).transpose(1, 2) for t in qkv.split(H * E, dim=2)]
        out, lse = cpu_attention.forward(q, k, v, True, None)
        grad = torch.randn_like(out)
        n = max(3, int(2e7 / (B * H * T * T * E)))
        fwd = best_ms(lambda: cpu_attention.forward(q, k, v, True, None), n)
        bwd = best_ms(lambda: cpu_attention.backward(grad, q, k, v, out, lse, True, None), n)
        print(f"[{B}, {H}, {T}, {E}]: forward {fwd:.3f} ms, backward {bwd:.3f} ms")


if __name__ == "__main__":
    main()
