"""Bytecode review: globals and closure variables become guards or lifted inputs; writes are errors."""

import pytest
import torch

import thunder

SCALE = 2.0
OFFSET = torch.ones(3)
COUNTER = 0


def scaled(x):
    return x * SCALE + OFFSET


def helper(x):
    return x - SCALE


def calls_helper(x):
    return helper(x) * 2


def test_global_scalar_change_recompiles():
    global SCALE
    cfn = thunder.jit(scaled)
    x = torch.randn(3)
    torch.testing.assert_close(cfn(x), x * 2.0 + 1)
    torch.testing.assert_close(cfn(x), x * 2.0 + 1)
    SCALE = 5.0
    try:
        torch.testing.assert_close(cfn(x), x * 5.0 + 1)
    finally:
        SCALE = 2.0
    assert (thunder.cache_misses(cfn), thunder.cache_hits(cfn)) == (2, 1)
    torch.testing.assert_close(cfn(x), x * 2.0 + 1)
    assert thunder.cache_hits(cfn) == 2  # the first specialization is still there


def test_global_tensor_is_a_lifted_input_read_on_every_call():
    global OFFSET
    cfn = thunder.jit(scaled)
    x = torch.randn(3)
    cfn(x)
    assert [i.name for i in thunder.last_traces(cfn)[0].inputs] == ["x", "OFFSET"]
    old = OFFSET
    OFFSET = torch.full((3,), 7.0)  # rebinding, same metadata: no recompile, new value used
    try:
        torch.testing.assert_close(cfn(x), x * 2.0 + 7)
        assert thunder.cache_misses(cfn) == 1
        OFFSET = torch.ones(4)  # different metadata: recompile
        assert cfn(torch.randn(4)).shape == (4,)
    finally:
        OFFSET = old


def test_globals_read_by_called_functions_are_guarded():
    global SCALE
    cfn = thunder.jit(calls_helper)
    x = torch.randn(3)
    cfn(x)
    SCALE = -1.0
    try:
        torch.testing.assert_close(cfn(x), (x + 1.0) * 2)
    finally:
        SCALE = 2.0
    assert thunder.cache_misses(cfn) == 2


def test_closure_variables_are_guarded_and_lifted():
    factor = 3
    bias = torch.zeros(2)

    def fn(x):
        return x * factor + bias

    cfn = thunder.jit(fn)
    x = torch.ones(2)
    torch.testing.assert_close(cfn(x), x * 3)
    factor = 4
    bias = torch.ones(2)
    torch.testing.assert_close(cfn(x), x * 4 + 1)
    assert thunder.cache_misses(cfn) == 2


def test_writing_a_global_is_rejected():
    def fn(x):
        global COUNTER
        COUNTER += 1
        return x + 1

    with pytest.raises(thunder.UnsupportedConstructError) as e:
        thunder.jit(fn)(torch.randn(2))
    msg = str(e.value)
    assert "writes the global variable 'COUNTER'" in msg
    assert "must not write globals or captured variables" in msg
    line = fn.__code__.co_firstlineno + 2
    assert f"test_review.py:{line}: COUNTER += 1" in msg
    assert COUNTER == 1  # the function ran once while tracing; nothing else changed


def test_writing_a_captured_variable_is_rejected():
    total = 0

    def fn(x):
        nonlocal total
        total = total + 1
        return x

    with pytest.raises(thunder.UnsupportedConstructError, match="writes the captured variable 'total' \\(nonlocal\\)"):
        thunder.jit(fn)(torch.randn(2))


def test_module_globals_do_not_break_cache_hits():
    import torch.nn.functional as F

    def fn(x):
        return F.relu(x) + torch.tanh(x)

    cfn = thunder.jit(fn)
    x = torch.randn(3)
    cfn(x)
    cfn(x)
    assert thunder.cache_hits(cfn) == 1
