"""thunder's main demo: compile a small GPT (nanoGPT-style nn.Module), print its traces, check it
against eager PyTorch, and time both."""

import os
import sys
import time

import torch

import thunder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
from nanogpt import GPT, GPTConfig  # noqa: E402


def bench(fn, args, iters=50):
    for _ in range(5):
        fn(*args)
    start = time.perf_counter()
    for _ in range(iters):
        fn(*args)
    return (time.perf_counter() - start) / iters


def show(trace, max_lines):
    lines = str(trace).splitlines()
    print("\n".join(lines[:max_lines]))
    if len(lines) > max_lines:
        print(f"  ... ({len(lines) - max_lines} more lines)")


def main():
    torch.manual_seed(0)
    config = GPTConfig(block_size=128, vocab_size=512, n_layer=4, n_head=4, n_embd=128)
    model = GPT(config).eval()
    tmodel = thunder.jit(model)  # shares model's parameters; nothing is traced until the first call
    idx = torch.randint(0, config.vocab_size, (4, 128))
    targets = torch.randint(0, config.vocab_size, (4, 128))

    with torch.no_grad():
        t0 = time.perf_counter()
        logits, loss = tmodel(idx, targets)
        first_call = time.perf_counter() - t0
        ref_logits, ref_loss = model(idx, targets)

    traces = thunder.last_traces(tmodel)
    print("=== computation trace (as recorded; each op's prims as comments) ===")
    show(traces[0], 45)
    print("\n=== execution trace (what runs) ===")
    show(traces[-1], 60)

    err = (logits - ref_logits).abs().max().item()
    ok = torch.allclose(logits, ref_logits, rtol=1e-5, atol=1e-5) and torch.allclose(loss, ref_loss)
    print(f"\nGPT ({config.n_layer} layers, n_embd {config.n_embd}): logits match eager: {ok} "
          f"(max abs difference {err:.2e}); loss {loss.item():.4f} vs eager {ref_loss.item():.4f}")

    with torch.no_grad():
        t_eager = bench(model, (idx, targets))
        t_thunder = bench(tmodel, (idx, targets))
    stats = thunder.compile_stats(tmodel)
    print(f"first call: {first_call * 1e3:.0f} ms (trace {stats.last_compile['trace'] * 1e3:.0f} ms, "
          f"passes {stats.last_compile['transform'] * 1e3:.1f} ms, codegen {stats.last_compile['codegen'] * 1e3:.1f} ms)")
    print(f"eager:   {t_eager * 1e3:.2f} ms/iter")
    print(f"thunder: {t_thunder * 1e3:.2f} ms/iter  (speedup {t_eager / t_thunder:.2f}x over eager; "
          f"{torch.get_num_threads()} threads, cpu; executors: {', '.join(e.name for e in thunder.extend.get_default_executors('cpu'))})")
    print(f"cache: {stats.hits} hits, {stats.misses} miss")
    if not ok:
        raise SystemExit("demo: thunder's result differs from eager")


if __name__ == "__main__":
    main()
