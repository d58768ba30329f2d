"""Peak memory of a small GPT's training step on the CPU: eager, thunder.jit and torch.compile.

Each mode runs in a fresh process: after warm-up steps (compilation included) it resets the
kernel's peak-RSS mark (`echo 5 > /proc/self/clear_refs`), runs --steps training steps (forward,
loss, backward, AdamW) and reports how far the resident set rose above where it stood before them.
That counts every allocation, torch's and the fused kernels' own, which CPU torch has no allocator
statistics for. thunder keeps freed large outputs in a pool for reuse; what the pool holds when the
steps start is resident already and reported beside the rise, and thunder runs a second time with
the pool off (THUNDER_CPU_POOL_MB=0), where the rise is its live tensors alone. The processes run with MALLOC_MMAP_THRESHOLD_=65536, so glibc maps every block of
64 KiB or more on its own and unmaps it when freed: the resident set then follows the live tensors
instead of the heap's high-water mark. Linux only.

    python benchmarks/cpu_peak_memory.py [--layers L] [--embd C] [--batch B] [--seq T]
"""

import argparse
import json
import os
import subprocess
import sys

from gpt_train_step import apply_preset, model_and_batch, model_arguments


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(mode, opts):
    import torch

    import thunder

    model, idx, targets = model_and_batch(opts)
    run = {"eager": model, "thunder": thunder.jit(model), "torch.compile": torch.compile(model)}[mode.split()[0]]
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        _, loss = run(idx, targets)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(opts.warmup):
        step()
    before = status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    for _ in range(opts.steps):
        step()
    held = 0
    if mode.startswith("thunder"):
        from thunder.runtime import cpu_fusion

        held = cpu_fusion.pool_stats()["held_bytes"]
    return {"mode": mode, "peak_rise_mib": (status_kib("VmHWM") - before) / 1024, "rss_mib": before / 1024,
            "pool_mib": held / 2**20}


def main():
    parser = model_arguments(steps=3)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    opts = apply_preset(parser.parse_args())
    if opts.mode:
        print(json.dumps(measure(opts.mode, opts)))
        return
    # thunder keeps freed large outputs in a pool for the next step (like torch's CUDA caching
    # allocator): that memory is resident at the step's start and not counted in its rise, so
    # thunder also runs with the pool off, where the rise is all its live tensors
    modes = ["eager", "thunder", "thunder pool off"] + ([] if opts.no_torch_compile else ["torch.compile"])
    print(f"GPT training step peak memory, {opts.layers} layers, n_embd {opts.embd}, vocab {opts.vocab}, "
          f"batch {opts.batch} x {opts.seq} (resident set rise above the step's start)")
    rows = []
    for mode in modes:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
        if mode == "thunder pool off":
            env["THUNDER_CPU_POOL_MB"] = "0"
        out = subprocess.run([sys.executable, __file__, "--mode", mode, *sys.argv[1:]], capture_output=True, text=True,
                             check=True, env=env)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    eager = rows[0]["peak_rise_mib"]
    print(f"{'mode':<18}{'peak rise MiB':>15}{'vs eager':>10}{'RSS at start MiB':>18}{'pooled at start MiB':>21}")
    for r in rows:
        print(f"{r['mode']:<18}{r['peak_rise_mib']:>15.1f}{r['peak_rise_mib'] / eager:>9.2f}x{r['rss_mib']:>18.1f}"
              f"{r['pool_mib']:>21.1f}")


if __name__ == "__main__":
    main()
