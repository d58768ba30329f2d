"""A small GPT's training step on the CPU: eager, thunder.jit and torch.compile in one run.

One step is forward, cross-entropy loss, backward and an AdamW step on the same model (each mode
gets its own copy of the same initial weights and its own optimizer). The modes take turns: each
round runs --steps steps of every mode (after --warmup steps in the first round), so a machine
whose speed drifts during the run slows every mode alike. Reports each mode's median step time
over all rounds and the ratios to eager.

    python benchmarks/gpt_train_step.py [--preset nanogpt-cpu] [--layers L] [--embd C] [--batch B]
                                        [--seq T] [--threads N] [--rounds R]

--preset nanogpt-cpu is nanoGPT's README configuration for training on a CPU (4 layers, 4 heads,
n_embd 128, 64 positions, batch 12, a 65-character vocabulary); the defaults are a wider model
(n_embd 256, 128 positions, a 2048-token vocabulary).
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


class Mode:
    """One way of running the model, with its own copy, optimizer, step times and losses."""

    def __init__(self, model, run):
        self.run = run
        self.opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        self.times, self.losses = [], []

    def steps(self, idx, targets, n, record=True):
        for _ in range(n):
            start = time.perf_counter()
            _, loss = self.run(idx, targets)
            loss.backward()
            self.opt.step()
            self.opt.zero_grad(set_to_none=True)
            if record:
                self.times.append(time.perf_counter() - start)
            self.losses.append(loss.item())


def model_arguments(steps):
    """The command line both GPT step benchmarks take: the model's and batch's shape, steps, threads."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=["nanogpt-cpu"], help="a named configuration (overrides the sizes)")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--embd", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--no-torch-compile", action="store_true")
    return parser


def apply_preset(opts):
    """Fills in the sizes of a named configuration (--preset)."""
    if opts.preset == "nanogpt-cpu":
        opts.layers, opts.heads, opts.embd, opts.seq, opts.batch, opts.vocab = 4, 4, 128, 64, 12, 65
    return opts


def model_and_batch(opts):
    """Sets the thread count and seed, then builds the GPT and a batch of (idx, targets)."""
    apply_preset(opts)
    torch.set_num_threads(opts.threads)
    torch.manual_seed(0)
    config = GPTConfig(block_size=opts.seq, vocab_size=opts.vocab, n_layer=opts.layers, n_head=opts.heads,
                       n_embd=opts.embd)
    model = GPT(config)
    idx = torch.randint(0, opts.vocab, (opts.batch, opts.seq))
    targets = torch.randint(0, opts.vocab, (opts.batch, opts.seq))
    return model, idx, targets


def main():
    parser = model_arguments(steps=5)
    parser.set_defaults(rounds=4)
    opts = parser.parse_args()
    base, idx, targets = model_and_batch(opts)
    print(f"GPT training step (fwd + loss + bwd + AdamW), {opts.layers} layers, {opts.heads} heads, n_embd {opts.embd}, "
          f"vocab {opts.vocab}, batch {opts.batch} x {opts.seq}; {platform.machine()} cpu, {opts.threads} threads, "
          f"torch {torch.__version__}; {opts.rounds} rounds of {opts.steps} steps per mode")

    modes = {}
    for name in ["eager", "thunder"] + ([] if opts.no_torch_compile else ["torch.compile"]):
        model = copy.deepcopy(base)
        run = model if name == "eager" else thunder.jit(model) if name == "thunder" else torch.compile(model)
        modes[name] = Mode(model, run)
    for r in range(opts.rounds):
        for mode in modes.values():
            if r == 0:
                mode.steps(idx, targets, opts.warmup, record=False)
            mode.steps(idx, targets, opts.steps)
    eager = modes["eager"]
    eager_t = statistics.median(eager.times)
    print(f"{'mode':<15}{'step ms':>10}{'vs eager':>10}{'max |loss - eager|':>20}")
    for name, mode in modes.items():
        t = statistics.median(mode.times)
        diff = max(abs(a - b) for a, b in zip(mode.losses, eager.losses))
        print(f"{name:<15}{t * 1e3:>10.2f}{eager_t / t:>9.2f}x{diff:>20.2e}")


if __name__ == "__main__":
    main()
