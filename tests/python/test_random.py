"""Random ops draw from torch's default generator in the program's order: under one seed a compiled
function gives exactly eager's numbers, and leaves the generator where eager would."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder


def mixed(x, w):
    noise = torch.randn(x.shape[0], w.shape[1])
    h = torch.tanh(x @ w + noise)
    keep = torch.rand_like(h) > 0.3
    idx = torch.randint(0, h.shape[0], (4,))
    perm = torch.randperm(h.shape[1])
    h = F.dropout(h * keep, p=0.25)
    return h[idx][:, perm].sum(1), torch.bernoulli(torch.sigmoid(h)), torch.normal(h, 0.5)


def run_seeded(fn, *args, seed=1234):
    torch.manual_seed(seed)
    return fn(*args)


def test_random_ops_mixed_with_other_ops_match_eager():
    x, w = torch.randn(6, 5), torch.randn(5, 7)
    # bit for bit against eager: ATen runs the ops around the draws (fused kernels may round a
    # sum differently; test_random_draws_are_never_merged_or_fused covers regions)
    cfn = thunder.jit(mixed, executors=["aten"])
    for seed in (0, 1234):  # the second call hits the cache and draws again
        expected = run_seeded(mixed, x, w, seed=seed)
        got = run_seeded(cfn, x, w, seed=seed)
        for e, g in zip(expected, got):
            assert torch.equal(e, g)
    assert thunder.cache_misses(cfn) == 1


def test_consecutive_calls_advance_the_generator_like_eager():
    f = lambda x: x + torch.rand(3)  # noqa: E731
    cfn = thunder.jit(f)
    x = torch.zeros(3)
    torch.manual_seed(7)
    expected = [f(x) for _ in range(3)]
    torch.manual_seed(7)
    got = [cfn(x) for _ in range(3)]
    for e, g in zip(expected, got):
        assert torch.equal(e, g)
    assert not torch.equal(got[0], got[1])  # two draws are never the same value


def test_an_unused_random_op_still_advances_the_generator():
    def f(x):
        torch.randn(100)  # result unused: dead code elimination must keep it
        x.uniform_()  # updates the input
        return x * 2

    cfn = thunder.jit(f)
    torch.manual_seed(3)
    xe = torch.empty(4)
    expected = f(xe)
    after_eager = torch.rand(5)
    torch.manual_seed(3)
    xc = torch.empty(4)
    got = cfn(xc)
    after_compiled = torch.rand(5)
    assert torch.equal(got, expected) and torch.equal(xc, xe)
    assert torch.equal(after_compiled, after_eager)
    assert "torch.randn((100,))" in str(thunder.last_traces(cfn)[-1])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 32)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(x))))


def test_dropout_in_training_matches_eager_with_gradients():
    torch.manual_seed(0)
    model = Net().train()
    tm = thunder.jit(model, executors=["aten"])  # exact forward, and the mask's own lines
    x = torch.randn(16, 8)

    torch.manual_seed(11)
    expected = model(x)
    expected.square().sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()

    torch.manual_seed(11)
    got = tm(x)
    got.square().sum().backward()
    assert torch.equal(got, expected)
    # the gradients come from thunder's rules (their sums may round differently from torch's
    # kernels); backward multiplies by the forward's own mask, so they match
    for p, g in zip(model.parameters(), grads):
        torch.testing.assert_close(p.grad, g)
    # training dropout is torch's CPU algorithm step by step: the mask is a tensor of the forward
    # trace, saved for backward
    forward = str(thunder.last_traces(tm)[-1])
    mask = next(line.split(" = ")[0].strip() for line in forward.splitlines() if ".bernoulli_(0.5)" in line)
    signature = next(line for line in str(thunder.last_backward_traces(tm)[-1]).splitlines() if line.startswith("def "))
    uses = [line for line in forward.splitlines() if f"({mask}, 0.5)" in line]  # the scaled mask
    assert uses and uses[0].split(" = ")[0].strip() in signature

    # eval mode recompiles (the training flag is guarded) and dropout is the identity
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(tm(x), model(x), atol=0, rtol=0)


def test_dropout_while_not_training_is_no_barrier_to_fusion():
    # the identity has no side effect: the add before it and the layer norm after it fuse into one
    # kernel, as in a model's eval mode; in training the draw stays a barrier in its place
    def f(x, y, training):
        return F.layer_norm(F.dropout(x + y, 0.3, training=training), (32,))

    x, y = torch.randn(64, 32), torch.randn(64, 32)
    jf = thunder.jit(f)
    torch.testing.assert_close(jf(x, y, False), f(x, y, False))
    trace = str(thunder.last_traces(jf)[-1])
    calls = [line for line in trace.splitlines() if line.startswith("  t") or line.startswith("  [")]
    assert "dropout" not in trace and len(calls) == 1 and "cpu_fusion" in calls[0], trace
    torch.manual_seed(3)
    got = jf(x, y, True)
    torch.manual_seed(3)
    torch.testing.assert_close(got, f(x, y, True))
    assert "bernoulli_(" in str(thunder.last_traces(jf)[-1])


def test_dropout_of_an_input_requiring_grad_matches_eager():
    f = lambda x: F.dropout(x, 0.3).exp().sum()  # noqa: E731
    cfn = thunder.jit(f, executors=["aten"])  # bit for bit: ATen's exp and sum
    xe = torch.randn(5, 5, requires_grad=True)
    xc = xe.detach().clone().requires_grad_()
    run_seeded(f, xe).backward()
    run_seeded(cfn, xc).backward()
    assert torch.equal(xc.grad, xe.grad)


def test_a_user_generator_is_rejected_clearly():
    g = torch.Generator().manual_seed(0)
    cfn = thunder.jit(lambda x: x + torch.rand(3, generator=g))
    with pytest.raises(NotImplementedError, match="rand: generator= is not supported yet"):
        cfn(torch.zeros(3))
    cfn = thunder.jit(lambda x: x.normal_(generator=g))
    with pytest.raises(NotImplementedError, match="normal_functional: generator= is not supported yet"):
        cfn(torch.zeros(3))


def test_errors_are_raised_at_trace_time_with_torchs_wording():
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=2"):
        thunder.jit(lambda x: x + torch.randint(5, 2, (3,)))(torch.zeros(3))
    with pytest.raises(NotImplementedError, match="\"rand\" not implemented for 'Long'"):
        thunder.jit(lambda x: torch.rand(3, dtype=torch.int64) + x)(torch.zeros(3))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        thunder.jit(lambda x: F.dropout(x, 1.5))(torch.zeros(3))
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found lambda=-1"):
        thunder.jit(lambda x: x.exponential_(-1))(torch.zeros(3))
