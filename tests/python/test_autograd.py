"""The grad transform and its autograd glue: jitted code inside ordinary PyTorch training code."""

import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder


def grads_of(fn, *inputs):
    """fn's output summed against fixed random cotangents, and the inputs' grads afterwards."""
    for x in inputs:
        x.grad = None
    outs = fn(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    torch.manual_seed(1)
    loss = sum((o * torch.randn_like(o)).sum() for o in outs if isinstance(o, torch.Tensor) and o.requires_grad)
    loss.backward()
    return [None if x.grad is None else x.grad.clone() for x in inputs]


def leaves(*shapes, dtype=torch.float64):
    torch.manual_seed(0)
    return [torch.randn(*s, dtype=dtype, requires_grad=True) for s in shapes]


def assert_same_grads(fn, *inputs):
    expected = grads_of(fn, *inputs)
    got = grads_of(thunder.jit(fn), *inputs)
    for g, e in zip(got, expected):
        if e is None:
            assert g is None
        else:
            torch.testing.assert_close(g, e)


def test_outputs_used_several_times_and_returned_inputs():
    def f(x, y):
        a = x * y
        return a, a.sin() + a, x  # a used twice and returned; x returned as it is

    assert_same_grads(f, *leaves((3, 4), (4,)))


def test_integer_and_non_differentiable_outputs():
    def f(x):
        return x.argmax(1), x.exp(), x > 0

    x, = leaves((3, 4))
    out = thunder.jit(f)(x)
    assert [o.requires_grad for o in out] == [o.requires_grad for o in f(x)] == [False, True, False]
    assert_same_grads(f, x)


def test_no_grad_regions_and_detach_stop_gradients_as_in_eager():
    def f(x, w):
        with torch.no_grad():
            scale = (x * w).sum()
        y = x.detach() * w + scale
        return y * x

    cf = thunder.jit(f)
    x, w = leaves((4,), (4,))
    assert_same_grads(f, x, w)
    out = cf(x, w)
    assert out.requires_grad


def test_only_inputs_that_require_grad_get_grads():
    x, = leaves((3, 3))
    w = torch.randn(3, 3, dtype=torch.float64)  # no grad
    f = lambda x, w: (x @ w).tanh()  # noqa: E731
    assert_same_grads(f, x, w)
    cf = thunder.jit(f)
    cf(x, w)
    assert str(thunder.last_backward_traces(cf)[-1]).splitlines()[-1].endswith(", None)")


def test_backward_traces_and_saved_bytes():
    cf = thunder.jit(lambda x, w: torch.tanh(x @ w).sum())
    x = torch.randn(8, 4)
    w = torch.randn(4, 16, requires_grad=True)
    cf(x, w).backward()
    bwd = thunder.last_backward_traces(cf)
    assert bwd[0].header == "Grad transform (backward)" and bwd[-1].header == "Transform for execution"
    text = str(bwd[-1])
    assert text.startswith("# Constructed by Transform for execution") and "def backward(" in text
    fwd = thunder.last_traces(cf)[-1]
    # forward returns (output, saved); backward takes the saved tensors, then the cotangent
    saved = fwd.output[1]
    assert [v.name for v in bwd[-1].inputs[: len(saved)]] == [v.name for v in saved]
    # tanh's result (8 x 16 floats) and x (8 x 4) are saved; w is not (x does not need a grad)
    assert thunder.compile_stats(cf).saved_for_backward_bytes == (8 * 16 + 8 * 4) * 4
    assert "saved for backward" in str(thunder.compile_stats(cf))
    # a call without grads has no backward trace
    with torch.no_grad():
        cf(x, w)
    assert thunder.last_backward_traces(cf) == []


def test_create_graph_raises_a_clear_error():
    x, = leaves((3,))
    y = thunder.jit(lambda x: (x * x).sum())(x)
    with pytest.raises(RuntimeError, match="create_graph=True"):
        torch.autograd.grad(y, x, create_graph=True)


def test_cache_hits_keep_training():
    model = nn.Linear(4, 2)
    tm = thunder.jit(model)
    x = torch.randn(3, 4)
    for _ in range(3):
        model.zero_grad()
        tm(x).sum().backward()
    assert thunder.cache_hits(tm) == 2 and thunder.cache_misses(tm) == 1
    torch.testing.assert_close(model.weight.grad, x.sum(0).expand(2, 4))
    torch.testing.assert_close(model.bias.grad, torch.full((2,), 3.0))


def test_accumulation_zero_grad_clipping_and_mixed_eager_code():
    torch.manual_seed(0)
    pre, mid, post = nn.Linear(6, 8), nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8)), nn.Linear(8, 3)
    ref = copy.deepcopy(nn.ModuleList([pre, mid, post]))
    jmid = thunder.jit(mid)
    batches = [(torch.randn(5, 6), torch.randint(0, 3, (5,))) for _ in range(4)]

    def step(pre, mid, post, params, opt):
        opt.zero_grad()
        for x, y in batches[:2]:  # gradients accumulate over two backward calls
            F.cross_entropy(post(mid(pre(x).relu())), y).backward()
        torch.nn.utils.clip_grad_norm_(params, 0.5)
        opt.step()

    params = [*pre.parameters(), *mid.parameters(), *post.parameters()]
    opt = torch.optim.AdamW(params, lr=1e-2)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=1e-2)
    for _ in range(5):
        step(pre, jmid, post, params, opt)
        step(ref[0], ref[1], ref[2], list(ref.parameters()), ref_opt)
    for p, q in zip(params, ref.parameters()):
        torch.testing.assert_close(p, q)
        torch.testing.assert_close(p.grad, q.grad)


def test_in_place_buffer_update_while_training():
    class Running(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(4))
            self.register_buffer("mean", torch.zeros(4))

        def forward(self, x):
            y = x * self.w
            with torch.no_grad():
                self.mean.mul_(0.9).add_(0.1 * y.mean(0))
            return y.sum()

    m = Running()
    ref = copy.deepcopy(m)
    tm = thunder.jit(m)
    x = torch.randn(3, 4)
    tm(x).backward()
    ref(x).backward()
    torch.testing.assert_close(m.mean, ref.mean)
    torch.testing.assert_close(m.w.grad, ref.w.grad)


def test_user_autograd_function_uses_its_backward():
    class StraightThrough(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.round(x)

        @staticmethod
        def backward(ctx, g):
            return g * 2

    def f(x):
        return StraightThrough.apply(x * 3).sum()

    x, = leaves((5,))
    assert_same_grads(f, x)
    x.grad = None
    thunder.jit(f)(x).backward()
    torch.testing.assert_close(x.grad, torch.full((5,), 6.0, dtype=torch.float64))


@pytest.mark.filterwarnings("ignore:thunder.*not in the op table")
def test_fallback_ops_differentiate_through_torch():
    f = lambda x: torch.special.i0(x).sum() * x  # noqa: E731
    assert_same_grads(f, *leaves((4,)))
    cf = thunder.jit(f)
    cf(*leaves((4,)))
    assert "prims.recompute_vjp(lambda x: torch.special.i0(x)" in str(thunder.last_backward_traces(cf)[-1])


GRADCHECK = {
    "tanh_matmul": (lambda x, w: torch.tanh(x @ w), [(3, 4), (4, 2)]),
    "softmax": (lambda x: torch.softmax(x, -1), [(3, 5)]),
    "log_softmax": (lambda x: F.log_softmax(x, 0), [(3, 5)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (5,), w, b), [(3, 5), (5,), (5,)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, torch.tensor([1, 0, 4])), [(3, 5)]),
    "conv2d": (lambda x, w: F.conv2d(x, w, padding=1), [(1, 2, 4, 4), (3, 2, 3, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(1, 2, 4, 4)]),
    "sdpa": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [(1, 2, 4, 3)] * 3),
    "gather": (lambda x: torch.gather(x, 1, torch.tensor([[0, 2], [1, 1]])), [(2, 3)]),
    "strided_slice_pad": (lambda x: F.pad(x[:, 1::2], (1, 2)), [(3, 7)]),
    "cumsum_flip": (lambda x: torch.cumsum(x, 1).flip(0), [(3, 4)]),
    "where_pow": (lambda x, y: torch.where(x > 0, x.abs() ** y, y), [(4,), (4,)]),
    "embedding": (lambda w: F.embedding(torch.tensor([[0, 2], [2, 1]]), w), [(3, 4)]),
    "gelu_div": (lambda x, y: F.gelu(x) / (y * y + 1), [(2, 3), (3,)]),
    "amax_var": (lambda x: x.amax(1) + x.var(0).sum(), [(3, 4)]),
}


@pytest.mark.parametrize("name", GRADCHECK)
def test_gradcheck(name):
    fn, shapes = GRADCHECK[name]
    assert torch.autograd.gradcheck(thunder.jit(fn), leaves(*shapes))


@pytest.mark.parametrize("decompose", [False, True])
def test_detach_cuts_the_gradient(decompose):
    def f(x, w):
        return x.detach() * w * x

    expected = grads_of(f, *leaves((3,), (3,)))
    got = grads_of(thunder.jit(f, decompose=decompose), *leaves((3,), (3,)))
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e)


def _with_zeros():
    """Slices with no zero, one zero and several zeros, along either dim."""
    x = torch.tensor([[1.5, 0.0, 3.0, 2.0], [0.0, 2.0, 0.0, 5.0], [2.0, 3.0, 4.0, 0.5]], dtype=torch.float64)
    return x.requires_grad_()


@pytest.mark.parametrize(
    "fn",
    [lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0, keepdim=True), lambda x: x.cumprod(1),
     lambda x: torch.cumprod(x, 0)],
    ids=["prod", "prod_dim1", "prod_dim0", "cumprod_dim1", "cumprod_dim0"],
)
def test_products_with_zeros_match_eager(fn):
    # torch's prod_backward and cumprod_backward give the product of the other elements where a
    # slice holds zeros, not y / x (which would be NaN there)
    assert_same_grads(fn, _with_zeros())


def test_complex_abs_gradient_is_torch_sgn_rule():
    def fn(x):
        return torch.view_as_complex(x).abs()

    (x,) = leaves((5, 2))
    with torch.no_grad():
        x[2] = 0.0  # sgn(0) = 0
    assert_same_grads(fn, x)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_cuda_dropout_matches_eager_under_the_same_seed(dtype):
    # eager's F.dropout on CUDA is aten::native_dropout; the compiled forward makes that call (same
    # draws) and backward multiplies by its mask and scale, as native_dropout_backward does
    def fn(x, w):
        return F.dropout(x * w, p=0.3, training=True).sum(-1)

    torch.manual_seed(0)
    x = torch.randn(64, 33, device="cuda", dtype=dtype, requires_grad=True)
    w = torch.randn(33, device="cuda", dtype=dtype, requires_grad=True)
    g = torch.randn(64, device="cuda", dtype=dtype)
    results = []
    for f in (fn, thunder.jit(fn)):
        torch.manual_seed(7)
        out = f(x, w)
        results.append((out, *torch.autograd.grad(out, (x, w), g)))
        after = torch.rand(3, device="cuda")  # the generator ends where eager leaves it
        results[-1] += (after,)
    (out, gx, gw, after), (e_out, e_gx, e_gw, e_after) = results[1], results[0]
    # the same draws give the same output bit for bit; gradients may sum in another order
    torch.testing.assert_close(out, e_out, rtol=0, atol=0)
    torch.testing.assert_close(after, e_after, rtol=0, atol=0)
    torch.testing.assert_close(gx, e_gx)
    torch.testing.assert_close(gw, e_gw)
    assert (gx == 0).sum() == (e_gx == 0).sum()  # dropped elements get no gradient, as in eager
