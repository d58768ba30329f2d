"""torch.autocast inside and around compiled functions: the casts eager autocast makes, in the trace."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder


def check(fn, *args, device_type="cpu", dtype=torch.bfloat16, around=True, **tolerance):
    """Runs fn eagerly and compiled under autocast (around the call when `around`); the outputs
    must agree in dtype exactly and in value."""
    if around:
        with torch.autocast(device_type, dtype=dtype):
            expected = fn(*args)
            cfn = thunder.jit(fn)
            got = cfn(*args)
    else:
        expected = fn(*args)
        cfn = thunder.jit(fn)
        got = cfn(*args)
    flat_e, flat_g = torch.utils._pytree.tree_leaves(expected), torch.utils._pytree.tree_leaves(got)
    assert [t.dtype for t in flat_g] == [t.dtype for t in flat_e]
    torch.testing.assert_close(got, expected, **tolerance)
    return cfn


def mixed(x, w, b, t):
    h = F.linear(x, w, b)  # lower precision
    a = h @ w.t()  # lower precision
    s = a.softmax(-1)  # not on CPU's float32 list: stays bfloat16
    loss = F.cross_entropy(a, t)  # float32 list
    g = F.gelu(h)  # follows its input
    c = torch.cat([h, x])  # promote: the widest
    e = torch.einsum("ij,kj->ik", x, w)  # lower (its bmm)
    return s, loss, g, c, e, h.float().sum()


def test_autocast_around_the_call_matches_eager_dtypes_and_values():
    x, w, b, t = torch.randn(4, 8), torch.randn(8, 8), torch.randn(8), torch.randint(0, 8, (4,))
    cfn = check(mixed, x, w, b, t)
    trace = str(thunder.last_traces(cfn)[0])
    assert "prims.convert_element_type(x, torch.bfloat16)" in trace
    # the trace runs with autocast off: the casts are already in it
    assert thunder.cache_misses(cfn) == 1


def test_autocast_inside_the_function():
    def fn(x, w):
        y = x * 2
        with torch.autocast("cpu", dtype=torch.bfloat16):
            z = y @ w
            with torch.autocast("cpu", enabled=False):
                u = y @ w  # autocast off again: float32
            l = F.mse_loss(z, z.detach() * 0)  # float32 list
        return z, u, l, z + u  # promotion between bfloat16 and float32 outside autocast

    check(fn, torch.randn(3, 5), torch.randn(5, 2), around=False)


def test_float16_and_float64_inputs():
    def fn(x, w, d):
        return x @ w, d @ d, F.l1_loss(x, x * 2)

    check(fn, torch.randn(2, 2), torch.randn(2, 2), torch.randn(2, 2, dtype=torch.float64), dtype=torch.float16)


def test_autocast_state_is_part_of_the_cache_key():
    cfn = thunder.jit(lambda x, w: x @ w)
    x, w = torch.randn(2, 3), torch.randn(3, 4)
    assert cfn(x, w).dtype == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert cfn(x, w).dtype == torch.bfloat16
        assert cfn(x, w).dtype == torch.bfloat16
    with torch.autocast("cpu", dtype=torch.float16):
        assert cfn(x, w).dtype == torch.float16
    assert cfn(x, w).dtype == torch.float32
    assert thunder.cache_misses(cfn) == 3
    assert thunder.cache_hits(cfn) == 2


def test_autocast_module_with_a_loss_and_backward():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 4))
    x, t = torch.randn(5, 8), torch.randint(0, 4, (5,))
    jm = thunder.jit(model)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        e_out = model(x)
        e_loss = F.cross_entropy(e_out, t)
    e_loss.backward()
    e_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        j_out = jm(x)
        j_loss = F.cross_entropy(j_out, t)
    j_loss.backward()
    assert j_out.dtype == e_out.dtype == torch.bfloat16
    torch.testing.assert_close(j_out, e_out)
    # the backward runs bf16 matmuls too; their rounding order differs from eager's kernels, so
    # gradients agree to bf16 precision
    for p, g in zip(model.parameters(), e_grads):
        torch.testing.assert_close(p.grad, g, rtol=1.6e-2, atol=2e-3)


@pytest.mark.cuda
def test_cuda_float16_lists():
    def fn(x, w, t):
        h = x @ w  # lower
        return h, h.softmax(-1), h.exp(), h.sum(), F.layer_norm(h, (8,)), F.cross_entropy(h, t), torch.addcmul(h, x, w)

    x, w = torch.randn(8, 8, device="cuda"), torch.randn(8, 8, device="cuda")
    t = torch.randint(0, 8, (8,), device="cuda")
    # eager's float16 product under autocast differs slightly from the same float16 matmul outside
    # it (measured on an H100: the loss differs by 6.6e-5 relative, where the loss of the float16
    # product computed outside autocast equals thunder's exactly), so values derived from the
    # float16 product agree to float16 precision
    check(fn, x, w, t, device_type="cuda", dtype=torch.float16, rtol=1e-3, atol=1e-3)
