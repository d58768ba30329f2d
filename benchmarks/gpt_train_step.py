"""A small GPT's training step on the CPU: eager, thunder.jit and torch.compile in one run.

One step is forward, cross-entropy loss, backward and an AdamW step on the same model (each mode
gets its own copy of the same initial weights). Reports the median step time over --steps steps
after --warmup steps, and the ratios to eager.

    python benchmarks/gpt_train_step.py [--layers L] [--embd C] [--batch B] [--seq T] [--threads N]
"""

import argparse
import copy
import os
import platform
import statistics
import sys
import time

import torch

import thunder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
from nanogpt import GPT, GPTConfig  # noqa: E402


def step_times(model, run, idx, targets, warmup, steps):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times, losses = [], []
    for i in range(warmup + steps):
        start = time.perf_counter()
        _, loss = run(idx, targets)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= warmup:
            times.append(time.perf_counter() - start)
        losses.append(loss.item())
    return statistics.median(times), losses


def model_arguments(steps):
    """The command line both GPT step benchmarks take: the model's and batch's shape, steps, threads."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--embd", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--no-torch-compile", action="store_true")
    return parser


def model_and_batch(opts):
    """Sets the thread count and seed, then builds the GPT and a batch of (idx, targets)."""
    torch.set_num_threads(opts.threads)
    torch.manual_seed(0)
    config = GPTConfig(block_size=opts.seq, vocab_size=opts.vocab, n_layer=opts.layers, n_head=opts.heads,
                       n_embd=opts.embd)
    model = GPT(config)
    idx = torch.randint(0, opts.vocab, (opts.batch, opts.seq))
    targets = torch.randint(0, opts.vocab, (opts.batch, opts.seq))
    return model, idx, targets


def main():
    opts = model_arguments(steps=10).parse_args()
    base, idx, targets = model_and_batch(opts)
    print(f"GPT training step (fwd + loss + bwd + AdamW), {opts.layers} layers, n_embd {opts.embd}, vocab {opts.vocab}, "
          f"batch {opts.batch} x {opts.seq}; {platform.machine()} cpu, {opts.threads} threads, torch {torch.__version__}")

    results = {}
    eager_model = copy.deepcopy(base)
    results["eager"] = step_times(eager_model, eager_model, idx, targets, opts.warmup, opts.steps)
    th_model = copy.deepcopy(base)
    results["thunder"] = step_times(th_model, thunder.jit(th_model), idx, targets, opts.warmup, opts.steps)
    if not opts.no_torch_compile:
        tc_model = copy.deepcopy(base)
        results["torch.compile"] = step_times(tc_model, torch.compile(tc_model), idx, targets, opts.warmup,
                                              opts.steps)
    eager_t, eager_losses = results["eager"]
    print(f"{'mode':<15}{'step ms':>10}{'vs eager':>10}{'max |loss - eager|':>20}")
    for name, (t, losses) in results.items():
        diff = max(abs(a - b) for a, b in zip(losses, eager_losses))
        print(f"{name:<15}{t * 1e3:>10.2f}{eager_t / t:>9.2f}x{diff:>20.2e}")


if __name__ == "__main__":
    main()
