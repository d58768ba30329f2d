"""cache="symbolic values": int and float arguments as trace inputs, guarded where the trace needs them."""

import pytest
import torch
import torch.nn as nn

import thunder


def sym(fn):
    return thunder.jit(fn, cache="symbolic values")


def test_scalar_operands_do_not_recompile():
    def fn(x, n, s):
        return x * n + s, torch.full((2,), n), x.masked_fill(x > 0, s), torch.clamp(x, max=n)

    cfn = sym(fn)
    x = torch.randn(5)
    for n, s in ((2, 0.5), (3, -1.25), (-7, 4.0)):
        torch.testing.assert_close(cfn(x, n, s), fn(x, n, s), rtol=0, atol=0)
    assert thunder.cache_misses(cfn) == 1
    assert thunder.cache_hits(cfn) == 2
    trace = thunder.last_traces(cfn)[-1]
    assert [str(i.name) for i in trace.inputs] == ["x", "n", "s"]
    assert "torch.mul(x, n)" in str(trace)
    prologue = str(thunder.last_prologue_traces(cfn)[0])
    assert "check_type(n, int)" in prologue and "check_type(s, float)" in prologue


def test_the_type_of_a_symbolic_number_is_checked():
    def fn(x, n):
        return x * n

    cfn = sym(fn)
    x = torch.arange(4)
    assert cfn(x, 2).dtype == torch.int64
    out = cfn(x, 2.5)  # a float promotes the integer tensor: another specialization
    assert out.dtype == fn(x, 2.5).dtype == torch.float32
    torch.testing.assert_close(out, fn(x, 2.5))
    assert thunder.cache_misses(cfn) == 2
    assert cfn(x, True).dtype == torch.int64  # bools are constants, not symbolic ints
    assert thunder.cache_misses(cfn) == 3


def test_a_value_that_decides_a_shape_is_guarded():
    def fn(x, n):
        return x.view(n, -1) * n

    cfn = sym(fn)
    x = torch.randn(12)
    for n in (2, 3, 2, 4):
        torch.testing.assert_close(cfn(x, n), fn(x, n))
    assert thunder.cache_misses(cfn) == 3
    assert thunder.cache_hits(cfn) == 1
    prologue = str(thunder.last_prologue_traces(cfn)[0])
    assert "check_value(n, int, 4)" in prologue
    assert "test_symbolic.py" in prologue


def test_python_branches_ranges_and_arithmetic_guard():
    def fn(x, n, k):
        for _ in range(k):  # the loop count: guarded
            x = x + 1
        if n > 0:  # a branch: guarded
            return x * 2
        return x

    cfn = sym(fn)
    x = torch.randn(3)
    for n, k in ((1, 2), (5, 2), (-1, 2), (1, 3)):
        torch.testing.assert_close(cfn(x, n, k), fn(x, n, k))
    assert thunder.cache_misses(cfn) == 4  # every value decided something
    prologue = str(thunder.last_prologue_traces(cfn)[0])
    assert "check_value(n, int, 1)" in prologue and "check_value(k, int, 3)" in prologue



def test_python_arithmetic_stays_symbolic():
    def fn(x, n, temp):
        return x * (n + 1) - n, x / temp * (1.0 / temp), x[:, n - 1], -n * x, x * (n // 2) + n % 3

    cfn = sym(fn)
    x = torch.randn(3, 5)
    for n, temp in ((2, 0.5), (3, 1.5), (-4, 2.0), (5, 0.25)):
        torch.testing.assert_close(cfn(x, n, temp), fn(x, n, temp))
    assert thunder.cache_misses(cfn) == 1
    assert "prims.number_add(n, 1)" in str(thunder.last_traces(cfn)[-1])


def test_a_computed_number_that_decides_a_shape_guards_its_arguments():
    def fn(x, n):
        return x.reshape(n * 2, -1)

    cfn = sym(fn)
    x = torch.randn(8)
    for n in (2, 1, 2):
        torch.testing.assert_close(cfn(x, n), fn(x, n))
    assert thunder.cache_misses(cfn) == 2
    assert "check_value(n, int, 2)" in str(thunder.last_prologue_traces(cfn)[0])


def test_isinstance_sees_the_number_type():
    def fn(x, n):
        assert isinstance(n, int) and not isinstance(n, float)
        return x + n

    cfn = sym(fn)
    torch.testing.assert_close(cfn(torch.ones(2), 3), torch.full((2,), 4.0))
    torch.testing.assert_close(cfn(torch.ones(2), 4), torch.full((2,), 5.0))
    assert thunder.cache_misses(cfn) == 1


def test_symbolic_int_indexes_and_updates_a_kv_cache_without_recompiling():
    class Cache(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("k", torch.zeros(2, 8, 4))

        def forward(self, k_new, pos):
            self.k[:, pos] = k_new  # one decode step writes position pos
            window = self.k.narrow(1, pos, 2)  # a fixed-length window at a symbolic offset
            return self.k[:, pos] * 2, window.sum(1)

    eager, compiled = Cache(), Cache()
    jm = thunder.jit(compiled, cache="symbolic values")
    for pos in range(6):
        k_new = torch.randn(2, 4)
        e, j = eager(k_new, pos), jm(k_new, pos)
        torch.testing.assert_close(j, e)
        torch.testing.assert_close(compiled.k, eager.k)
    assert thunder.cache_misses(jm) == 1
    assert thunder.cache_hits(jm) == 5
    # a negative position counts from the end, as in eager
    k_new = torch.randn(2, 4)
    torch.testing.assert_close(jm(k_new, -3), eager(k_new, -3))
    torch.testing.assert_close(compiled.k, eager.k)
    assert thunder.cache_misses(jm) == 1
    assert "check_type(pos, int)" in str(thunder.last_prologue_traces(jm)[0])


def test_index_copy_with_a_symbolic_position():
    def fn(cache, k, pos):
        cache.index_copy_(1, torch.tensor([pos]), k)
        return cache[:, : pos + 1].sum()  # the slice bound decides a shape: guarded

    cfn = sym(fn)
    ce, cj = torch.zeros(2, 5), torch.zeros(2, 5)
    for pos in range(3):
        k = torch.randn(2, 1)
        torch.testing.assert_close(cfn(cj, k, pos), fn(ce, k, pos))
        torch.testing.assert_close(cj, ce)
    assert thunder.cache_misses(cfn) == 3


def test_out_of_range_symbolic_index_raises_at_run_time():
    cfn = sym(lambda x, i: x[i] + 1)
    x = torch.arange(4.0)
    torch.testing.assert_close(cfn(x, 1), x[1] + 1)
    with pytest.raises(IndexError):
        cfn(x, 9)
    assert thunder.cache_misses(cfn) == 1


def test_symbolic_number_returned_and_used_by_fallback_and_kwargs():
    def fn(x, n):
        return torch.special.xlogy(x, n), n

    cfn = sym(fn)
    x = torch.rand(3) + 0.1
    out, n = cfn(x, 3)
    torch.testing.assert_close(out, torch.special.xlogy(x, 3))
    assert n == 3 and type(n) is int

    ckw = sym(lambda x, *, n: x.add(n))
    torch.testing.assert_close(ckw(torch.zeros(2), n=2), torch.full((2,), 2.0))
    torch.testing.assert_close(ckw(torch.zeros(2), n=5), torch.full((2,), 5.0))
    assert thunder.cache_misses(ckw) == 1


def test_recompile_warning_names_the_guarded_use():
    cfn = sym(lambda x, n: x.reshape(n, -1))
    x = torch.randn(128)
    with pytest.warns(UserWarning, match=r"input 1, a symbolic int, changed from .* and the trace depends on its "
                                          r"value at .*test_symbolic.py"):
        for n in (1, 2, 4, 8, 16, 32, 64, 128):
            cfn(x, n)


def test_constant_values_mode_is_unchanged():
    cfn = thunder.jit(lambda x, n: x * n)
    cfn(torch.ones(2), 2)
    cfn(torch.ones(2), 3)
    assert thunder.cache_misses(cfn) == 2
    assert "check_value(n, int, 3)" in str(thunder.last_prologue_traces(cfn)[0])


def test_narrow_with_a_symbolic_start_checks_the_range_like_eager():
    cfn = sym(lambda x, start: x.narrow(0, start, 2) * 1)
    x = torch.arange(8.0)
    for start in (0, 3, 6, -2, -8):
        torch.testing.assert_close(cfn(x, start), x.narrow(0, start, 2))
    for start in (7, -1, -9):  # past the end, or before the start: eager raises too
        with pytest.raises((IndexError, RuntimeError)):
            x.narrow(0, start, 2)
        with pytest.raises((IndexError, RuntimeError)):
            cfn(x, start)
    assert thunder.cache_misses(cfn) == 1
