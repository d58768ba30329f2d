"""The generic fallback: torch calls outside the op table run as opaque torch calls."""

import warnings

import pytest
import torch

import thunder


def test_fallback_runs_the_call_and_warns_once_at_the_user_line():
    def fn(x):
        return torch.histc(x, bins=4, min=0, max=1) * 2, torch.logaddexp(x, x) + x.histc(bins=2)[0]

    x = torch.rand(10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfn = thunder.jit(fn)
        got = cfn(x)
        cfn(torch.rand(12))  # a second compile: no second warning
    torch.testing.assert_close(got, fn(x))
    messages = [str(w.message) for w in caught if "not in the op table" in str(w.message)]
    assert sum("torch.histc" in m for m in messages) <= 1
    assert any(m.startswith("thunder: torch.logaddexp is not in the op table; it runs as an opaque torch call")
               for m in messages)
    assert all(w.filename.endswith("test_fallback.py") for w in caught if "op table" in str(w.message))
    text = str(thunder.last_traces(cfn)[-1])
    assert "torch.histc(x, bins=4, min=0, max=1)" in text
    assert "torch.Tensor.histc(x, bins=2)" in text


def test_fallback_false_makes_it_an_error():
    def fn(x):
        return torch.logaddexp(x, x)

    with pytest.raises(thunder.UnsupportedOpError) as e:
        thunder.jit(fn, fallback=False)(torch.rand(3))
    assert str(e.value).startswith("torch.logaddexp is not supported by thunder yet")
    assert "test_fallback.py" in str(e.value)


def test_fallback_with_several_outputs():
    def fn(x):
        m, e = torch.frexp(x)
        return m * 2, e

    x = torch.randn(5)
    torch.testing.assert_close(thunder.jit(fn)(x), fn(x))


def test_fallback_ops_are_differentiable_through_torch():
    x = torch.randn(6, requires_grad=True)
    y = torch.logaddexp(x, x.flip(0)).sum()
    (g,) = torch.autograd.grad(y, x)
    out = thunder.jit(lambda x: torch.logaddexp(x, x.flip(0)).sum())(x)
    out.backward()
    torch.testing.assert_close(x.grad, g)


def test_data_dependent_shapes_cannot_fall_back():
    def fn(x):
        return torch.nonzero(x)

    with pytest.raises(thunder.UnsupportedOpError) as e:
        thunder.jit(fn)(torch.tensor([0.0, 1.0]))
    assert "cannot run as an opaque call" in str(e.value)


def test_in_place_calls_do_not_fall_back():
    def fn(x):
        return x.erfinv_()

    with pytest.raises(thunder.UnsupportedOpError, match="in-place calls cannot run through the fallback"):
        thunder.jit(fn)(torch.rand(3))
