"""Fused CPU kernels against eager and torch.compile (Inductor), in one run, with ratios.

    .venv/bin/python benchmarks/cpu_fusion.py            # all cases
    .venv/bin/python benchmarks/cpu_fusion.py --quick    # smaller shapes, fewer repeats (a smoke run)

Timings are medians of calls that alternate between eager, thunder and Inductor; run on a quiet
machine (`uptime` load well under the core count). Large fused outputs reuse pooled memory
(docs/design.md, "CPU fusion"); THUNDER_CPU_POOL_MB=0 times them on fresh torch.empty memory. "thunder" is thunder.jit(fn) with its default CPU
executors (cpu_fusion, then ATen); THUNDER_BENCH_JIT=0 times the whole traced function compiled
as one region (cpu_fusion.fuse) instead.
The last section times thunder.jit's first call in fresh processes, with a cold and then a warm
disk cache: the whole first call (tracing, passes, kernel compile or load, run) and, of it, the
codegen part (generate + compile or load) that the disk cache saves.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

import thunder
from thunder.runtime import cpu_fusion as cf


def chain(x, y):
    # 8 elementwise ops
    a = x * y + 1.0
    b = torch.relu(a) - 0.5 * y
    c = torch.maximum(b, x) * 2.0
    return torch.abs(c - y) + x


def chain_tanh(x, y):
    # 7 ops including a transcendental (libm's vector tanh where available)
    a = x * 0.5 + y
    return torch.tanh(a) * x - y * 0.25 + 1.0


def layer_norm_gelu(x, w, b):
    return F.gelu(F.layer_norm(x, (x.shape[-1],), w, b))


def softmax(x):
    return torch.softmax(x, -1)


def rms_norm(x, w):
    return F.rms_norm(x, (x.shape[-1],), w, eps=1e-6)


def logsumexp(x):
    return torch.logsumexp(x, -1)


def cross_entropy(logits, target):
    return F.cross_entropy(logits, target)


def thunder_fn(fn, *args):
    if os.environ.get("THUNDER_BENCH_JIT", "1") == "1":
        return thunder.jit(fn)
    if fn is cross_entropy:
        # the gather of the targets is not fusible: the fused kernel computes logsumexp, torch the rest
        lse = cf.fuse(logsumexp, args[0])
        return lambda logits, target: (lse(logits) - logits.gather(1, target[:, None])[:, 0]).mean()
    return cf.fuse(fn, *args)


def bench(f, args, repeat):
    return bench_interleaved([f], args, repeat)[0]


def bench_interleaved(fns, args, repeat):
    """Median times of fns, timed in turn within each repetition: on a shared machine a burst of
    load then slows all of them rather than whichever ran during it."""
    for f in fns:
        for _ in range(3):
            f(*args)
    times = [[] for _ in fns]
    for _ in range(repeat):
        for f, ts in zip(fns, times):
            t = time.perf_counter()
            f(*args)
            ts.append(time.perf_counter() - t)
    return [statistics.median(ts) for ts in times]


def device():
    model = platform.processor()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cpus, torch {torch.__version__} ({torch.get_num_threads()} threads)"


FIRST_CALL = """
import sys, time, torch
import thunder
sys.path.insert(0, {bench_dir!r})
from cpu_fusion import {name}
args = {args}
t0 = time.perf_counter()
cfn = thunder.jit({name})
cfn(*args)
t1 = time.perf_counter()
print(t1 - t0, thunder.compile_stats(cfn).last_compile["codegen"])
"""


def first_call(name, args_src):
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, THUNDER_CACHE_DIR=cache)
        code = FIRST_CALL.format(bench_dir=os.path.dirname(os.path.abspath(__file__)), name=name, args=args_src)
        out = []
        for _ in range(2):  # cold, then warm
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            out.append([float(v) for v in r.stdout.strip().splitlines()[-1].split()])
        return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-inductor", action="store_true")
    opts = p.parse_args()
    n, rows = (1 << 20, 512) if opts.quick else (1 << 24, 4096)
    repeat = 5 if opts.quick else 20
    cols = 1024
    x, y = torch.randn(n), torch.randn(n)
    m = torch.randn(rows, cols)
    w, b = torch.randn(cols), torch.randn(cols)
    logits, target = torch.randn(rows, 1000), torch.randint(0, 1000, (rows,))
    cases = [
        (f"elementwise chain (8 ops) f32[{n}]", chain, (x, y)),
        (f"chain with tanh (7 ops) f32[{n}]", chain_tanh, (x, y)),
        (f"layer_norm + gelu f32[{rows}, {cols}]", layer_norm_gelu, (m, w, b)),
        (f"softmax f32[{rows}, {cols}]", softmax, (m,)),
        (f"rms_norm f32[{rows}, {cols}]", rms_norm, (m, w)),
        (f"cross_entropy f32[{rows}, 1000]", cross_entropy, (logits, target)),
    ]
    print(f"device: {device()}; fused kernels use {cf._C.cpu_fusion_threads()} threads")
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    print(f"{'case':44} {'eager ms':>9} {'thunder ms':>11} {'inductor ms':>12} {'eager/thunder':>14} {'inductor/thunder':>17}")
    for name, fn, args in cases:
        fns = [fn, thunder_fn(fn, *args)]
        if not opts.no_inductor:
            try:
                compiled = torch.compile(fn)
                compiled(*args)
                fns.append(compiled)
            except Exception as e:  # Inductor needs a working C++ toolchain
                print(f"  torch.compile failed: {type(e).__name__}: {e}")
        te, tt, *rest = bench_interleaved(fns, args, repeat)
        ti = rest[0] if rest else float("nan")
        print(f"{name:44} {te * 1e3:9.3f} {tt * 1e3:11.3f} {ti * 1e3:12.3f} {te / tt:14.2f} {ti / tt:17.2f}")

    print("\nthunder.jit first call (trace + passes + kernels + run), fresh process:")
    for name, args_src in [("chain", "(torch.randn(1 << 20), torch.randn(1 << 20))"),
                           ("layer_norm_gelu", "(torch.randn(64, 1024), torch.randn(1024), torch.randn(1024))")]:
        (cold, cold_k), (warm, warm_k) = first_call(name, args_src)
        print(f"  {name:16} first call: cold cache {cold * 1e3:7.1f} ms, warm {warm * 1e3:7.1f} ms ({warm / cold:.2f});"
              f" of it codegen (compile or load): cold {cold_k * 1e3:7.1f} ms, warm {warm_k * 1e3:6.2f} ms"
              f" ({warm_k / cold_k:.3f})")

    # per-call overhead: a tiny kernel against eager's tiny op
    s = torch.randn(8)
    k = cf.fuse(lambda a: a * 2, s)
    to = bench(k, (s,), 2000)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"\nper-call overhead: fused kernel on f32[8] {to * 1e6:.1f} us, eager a * 2 {bench(lambda a: a * 2, (s,), 2000) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
