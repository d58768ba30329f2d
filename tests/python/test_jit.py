"""thunder.jit on functions: results, caching, traces, and errors."""

import collections

import pytest
import torch
import torch.nn.functional as F

import thunder


def lineno_of(fn, text):
    """The line number of the first line of `fn`'s source containing `text`."""
    import inspect

    lines, start = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if text in line:
            return start + i
    raise AssertionError(f"{text!r} not in source")


def mlp(x, w1, b1, w2):
    return F.linear(F.gelu(F.linear(x, w1, b1)), w2).sum(-1)


def test_compile_is_jit():
    assert thunder.compile is thunder.jit


def test_mlp_matches_eager():
    args = (torch.randn(4, 8), torch.randn(16, 8), torch.randn(16), torch.randn(3, 16))
    cfn = thunder.jit(mlp)
    torch.testing.assert_close(cfn(*args), mlp(*args))


def test_cache_hit_on_same_metadata():
    cfn = thunder.jit(lambda a, b: a * b + 1)
    a, b = torch.randn(2, 2), torch.randn(2, 2)
    cfn(a, b)
    cfn(torch.randn(2, 2), torch.randn(2, 2))
    assert (thunder.cache_misses(cfn), thunder.cache_hits(cfn)) == (1, 1)


@pytest.mark.parametrize(
    "second",
    [
        lambda: (torch.randn(3, 2), torch.randn(3, 2)),  # shape
        lambda: (torch.randn(2, 2, dtype=torch.float64), torch.randn(2, 2)),  # dtype
        lambda: (torch.randn(2, 2, device="meta"), torch.randn(2, 2, device="meta")),  # device
        lambda: (torch.randn(2, 2, requires_grad=True), torch.randn(2, 2)),  # requires_grad
    ],
    ids=["shape", "dtype", "device", "requires_grad"],
)
def test_metadata_change_recompiles_and_is_correct(second):
    fn = lambda a, b: a * b + a  # noqa: E731
    cfn = thunder.jit(fn)
    cfn(torch.randn(2, 2), torch.randn(2, 2))
    a, b = second()
    out = cfn(a, b)
    assert thunder.cache_misses(cfn) == 2
    assert out.shape == a.shape and out.dtype == torch.promote_types(a.dtype, b.dtype)
    assert out.device == a.device
    if a.device.type != "meta":
        torch.testing.assert_close(out, fn(a, b))


def test_python_numbers_are_constants_and_guarded():
    cfn = thunder.jit(lambda x, k: x * k)
    x = torch.randn(3)
    torch.testing.assert_close(cfn(x, 2), x * 2)
    torch.testing.assert_close(cfn(x, 2), x * 2)
    torch.testing.assert_close(cfn(x, 3), x * 3)
    torch.testing.assert_close(cfn(x, 2.5), x * 2.5)
    torch.testing.assert_close(cfn(x.to(torch.int64), True), x.to(torch.int64) * True)
    torch.testing.assert_close(cfn(x.to(torch.int64), 1), x.to(torch.int64) * 1)
    assert (thunder.cache_misses(cfn), thunder.cache_hits(cfn)) == (5, 1)


def test_no_caching_retraces_every_call():
    cfn = thunder.jit(lambda x: x + 1, cache="no caching")
    x = torch.randn(2)
    cfn(x)
    cfn(x)
    assert (thunder.cache_misses(cfn), thunder.cache_hits(cfn)) == (2, 0)


def test_bad_cache_option():
    with pytest.raises(ValueError, match="cache must be one of 'constant values', 'symbolic values', 'no caching', got 'sometimes'"):
        thunder.jit(lambda x: x, cache="sometimes")


def test_jit_rejects_non_callables():
    with pytest.raises(TypeError, match="expected a function, a callable or an nn.Module, got int"):
        thunder.jit(3)


def test_kwargs_defaults_and_pytree_inputs_and_outputs():
    def fn(pair, scale=2.0, *, extra=None):
        a, b = pair
        out = {"sum": a + b, "scaled": (a * scale, b - 1)}
        if extra is not None:
            out["extra"] = extra["t"] * 3
        return out

    a, b, t = torch.randn(2, 3), torch.randn(3), torch.randn(4)
    cfn = thunder.jit(fn)
    for kwargs in ({}, {"scale": 0.5}, {"extra": {"t": t}}):
        got, want = cfn((a, b), **kwargs), fn((a, b), **kwargs)
        assert got.keys() == want.keys()
        torch.testing.assert_close(got, want)


def test_non_tensor_outputs_pass_through():
    cfn = thunder.jit(lambda x: (x.exp(), 3, None, "s", x.shape[0]))
    out = cfn(torch.zeros(2))
    assert out[1:] == (3, None, "s", 2)
    torch.testing.assert_close(out[0], torch.ones(2))


def test_proxies_look_like_tensors():
    seen = {}

    def fn(x):
        seen.update(
            isinstance=isinstance(x, torch.Tensor),
            shape=tuple(x.shape),
            ndim=x.ndim,
            dtype=x.dtype,
            size1=x.size(1),
            dim=x.dim(),
            numel=x.numel(),
            fp=x.is_floating_point(),
            length=len(x),
            device=x.device,
        )
        return x.reshape(x.shape[0] * x.shape[1])

    thunder.jit(fn)(torch.zeros(2, 3, dtype=torch.float16))
    assert seen == dict(isinstance=True, shape=(2, 3), ndim=2, dtype=torch.float16, size1=3, dim=2, numel=6,
                        fp=True, length=2, device=torch.device("cpu"))


def test_number_first_operators():
    fn = lambda x: (2 - x, 3 / x, 2**x, 1 + x, 4 * x, 1 > x)  # noqa: E731
    x = torch.rand(5) + 0.5
    torch.testing.assert_close(thunder.jit(fn)(x), fn(x))


def test_traces_print_as_python_and_run():
    args = (torch.randn(4, 8), torch.randn(16, 8), torch.randn(16), torch.randn(3, 16))
    cfn = thunder.jit(mlp)
    cfn(*args)
    # by default the CPU fusion executor claims the gelu's prims and fuses them
    assert [t.header for t in thunder.last_traces(cfn)] == [
        "Tracing",
        "Dead Code Elimination (unchanged)",
        "Common Subexpression Elimination (unchanged)",
        "Claim by executors",
        "Fusion",
        "Transform for execution",
    ]
    # with ATen alone every trace is plain torch code
    cfn = thunder.jit(mlp, executors=["aten"])
    cfn(*args)
    traces = thunder.last_traces(cfn)
    assert [t.header for t in traces] == [
        "Tracing",
        "Dead Code Elimination (unchanged)",
        "Common Subexpression Elimination (unchanged)",
        "Claim by executors (unchanged)",
        "Transform for execution",
    ]
    for t in traces:  # each trace is runnable Python computing the same result
        ns = {}
        exec(str(t), ns)
        torch.testing.assert_close(ns["computation"](*args), mlp(*args))


def test_execution_trace_golden_text():
    def fn(x, w, b):
        return torch.tanh(F.linear(x, w, b)) * 0.5

    cfn = thunder.jit(fn)
    args = (torch.randn(8, 64), torch.randn(128, 64), torch.randn(128))
    cfn(*args)
    # the linear stays one ATen call; the elementwise ops after it are one fused CPU kernel
    assert str(thunder.last_traces(cfn)[-1]) == '''# Constructed by Transform for execution
import torch

def computation(x, w, b):
  # x: "cpu f32[8, 64]"
  # w: "cpu f32[128, 64]"
  # b: "cpu f32[128]"
  t3 = torch.nn.functional.linear(x, w, b)  # t3: "cpu f32[8, 128]"
    # t0 = prims.permute(w, [1, 0])
    # t1 = prims.matmul(x, t0)
    # t2 = prims.expand(b, [8, 128])
    # t3 = prims.add(t1, t2)
  del x, w, b
  [t5] = cpu_fusion0(t3)  # t5: "cpu f32[8, 128]"
    # t4 = prims.tanh(t3)
    # t5 = prims.mul(t4, 0.5)
  del t3
  return t5
'''
    torch.testing.assert_close(cfn(*args), fn(*args))


def test_decomposed_execution_runs_prims():
    cfn = thunder.jit(mlp, decompose=True, executors=["aten"])
    args = (torch.randn(4, 8), torch.randn(16, 8), torch.randn(16), torch.randn(3, 16))
    torch.testing.assert_close(cfn(*args), mlp(*args))
    trace = thunder.last_traces(cfn)[-1]
    names = {b.sym.name for b in trace.bound_symbols}
    assert names - {"del"} and all(n.startswith("prims.") for n in names - {"del"})
    assert "from thunder import prims" in str(trace)


def test_bound_symbols_api():
    cfn = thunder.jit(lambda x: F.gelu(x + 1))
    cfn(torch.randn(3))
    trace = thunder.last_traces(cfn)[0]
    add, gelu = trace.bound_symbols
    assert add.sym.name == "add" and add.sym.print_name == "torch.add"
    x = add.args[0]
    assert x.name == "x" and x.shape == (3,) and x.dtype == thunder._C.DType.float32
    assert add.args[1:] == [1, 1]  # other, alpha (defaults are bound)
    assert gelu.args[0].name == add.output.name
    assert [s.sym.name for s in gelu.subsymbols] == ["prims.mul", "prims.erf", "prims.add", "prims.mul", "prims.mul"]
    assert gelu.subsymbols[-1].output.name == gelu.output.name
    assert gelu.source[0].endswith("test_jit.py")


def test_last_traces_before_any_call():
    with pytest.raises(RuntimeError, match="has not been called yet"):
        thunder.last_traces(thunder.jit(lambda x: x))


def test_inspection_functions_reject_other_callables():
    with pytest.raises(TypeError, match="expected a function or module returned by thunder.jit"):
        thunder.cache_hits(lambda x: x)


def test_grad_flows_through_torch_autograd():
    w = torch.randn(4, 3, requires_grad=True)
    x = torch.randn(2, 3)
    cfn = thunder.jit(lambda x, w: F.linear(x, w).tanh().sum())
    cfn(x, w).backward()
    g = w.grad.clone()
    w.grad = None
    F.linear(x, w).tanh().sum().backward()
    torch.testing.assert_close(g, w.grad)


def test_outputs_of_inputs_without_grad_do_not_require_grad():
    cfn = thunder.jit(lambda x: x * 2)
    assert not cfn(torch.randn(2)).requires_grad


# ---- errors ------------------------------------------------------------------------------------


def test_unsupported_op_names_the_call_and_line():
    def fn(x):
        return torch.histc(x, 4)

    with pytest.raises(thunder.UnsupportedOpError) as e:
        thunder.jit(fn, fallback=False)(torch.randn(3))
    msg = str(e.value)
    assert msg.startswith("torch.histc is not supported by thunder yet")
    assert f"test_jit.py:{lineno_of(fn, 'histc')}: return torch.histc(x, 4)" in msg


def test_unsupported_method_names_the_method():
    def fn(x):
        return x.histc(4)

    with pytest.raises(NotImplementedError, match=r"torch.Tensor.histc is not supported by thunder yet"):
        thunder.jit(fn, fallback=False)(torch.randn(3))


def test_shape_error_carries_the_user_line():
    def fn(a, b):
        c = a + 1
        return c @ b

    with pytest.raises(RuntimeError) as e:
        thunder.jit(fn)(torch.randn(2, 3), torch.randn(4, 5))
    msg = str(e.value)
    assert msg.startswith("matmul: expected the last dim of the first input to match the second-to-last dim")
    assert "got shapes [2, 3] and [4, 5]" in msg
    assert f"test_jit.py:{lineno_of(fn, 'c @ b')}: return c @ b" in msg


def test_broadcast_error_matches_torch_text():
    def fn(a, b):
        return a * b

    a, b = torch.randn(2), torch.randn(3)
    with pytest.raises(RuntimeError) as eager:
        fn(a, b)
    with pytest.raises(RuntimeError) as compiled:
        thunder.jit(fn)(a, b)
    assert str(compiled.value).startswith(str(eager.value))


def test_index_error_type_is_kept():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        thunder.jit(lambda x: x.sum(2))(torch.randn(2, 3))


def test_data_dependent_control_flow_is_reported():
    def fn(x):
        if x.sum() > 0:
            return x
        return -x

    with pytest.raises(thunder.DataDependentError) as e:
        thunder.jit(fn)(torch.randn(3))
    msg = str(e.value)
    assert msg.startswith("bool(tensor) needs the tensor's value, which is not known while tracing")
    assert "torch.where" in msg
    assert f"test_jit.py:{lineno_of(fn, 'if x.sum()')}: if x.sum() > 0:" in msg


def test_item_is_data_dependent():
    with pytest.raises(thunder.DataDependentError, match=r"tensor.item\(\) needs the tensor's value"):
        thunder.jit(lambda x: x * x.max().item() if False else x.sum().item())(torch.randn(3))


def test_unsupported_argument_type():
    Point = collections.namedtuple("Point", "x y")  # namedtuples flatten; plain objects do not
    cfn = thunder.jit(lambda p, q: p.x + p.y)
    torch.testing.assert_close(cfn(Point(torch.ones(1), torch.ones(1)), None), torch.full((1,), 2.0))
    with pytest.raises(TypeError, match=r"argument 'q' is a builtins.object; expected a tensor, a number"):
        cfn(Point(torch.ones(1), torch.ones(1)), object())


def test_unsupported_value_inside_a_call():
    def fn(x):
        return F.relu(x, inplace=object())

    with pytest.raises(TypeError) as e:
        thunder.jit(fn)(torch.randn(2))
    assert str(e.value).startswith("cannot use a value of type object in a traced call")
    assert f"test_jit.py:{lineno_of(fn, 'F.relu')}" in str(e.value)


def test_returning_a_closed_over_tensor():
    g = torch.ones(2)
    out = thunder.jit(lambda x: (g, x + g))(torch.zeros(2))
    assert torch.equal(out[0], g) and torch.equal(out[1], g)


def test_failed_compile_leaves_the_cache_as_it_was():
    def fn(x, bad):
        if bad:
            return torch.nonzero(x)  # no fallback either: its output shape depends on the values
        return x + 1

    cfn = thunder.jit(fn)
    x = torch.randn(3)
    cfn(x, False)
    with pytest.raises(NotImplementedError):
        cfn(x, True)
    cfn(x, False)
    assert len(cfn._cache) == 1
    assert thunder.cache_hits(cfn) == 1
    with pytest.raises(NotImplementedError):  # the failure is not cached either
        cfn(x, True)


def test_wrong_arity_is_a_type_error():
    with pytest.raises(TypeError, match=r"add\(\) got an unexpected keyword argument 'beta'"):
        thunder.jit(lambda x: torch.add(x, x, beta=2))(torch.randn(2))


def test_no_grad_and_enable_grad_blocks_inside_the_function():
    def fn(x):
        with torch.no_grad():
            y = x * 2
            with torch.enable_grad():
                z = x * 5
        return x * 3 + y, y, z

    x = torch.randn(3, requires_grad=True)
    out, y, z = thunder.jit(fn)(x)
    assert not y.requires_grad and z.requires_grad and torch.is_grad_enabled()
    (out.sum() + z.sum()).backward()
    torch.testing.assert_close(x.grad, torch.full((3,), 8.0))


def test_prologue_trace_lists_the_checks():
    def fn(x, k, mode="a"):
        return x * k

    cfn = thunder.jit(fn)
    cfn(torch.ones(2, 3), 3, mode="b")
    (prologue,) = thunder.last_prologue_traces(cfn)
    assert str(prologue) == (
        "# Constructed by Prologue\n"
        "def prologue(*args, **kwargs):\n"
        "  check_tensor(x, shape=[2, 3], dtype=torch.float32, device='cpu', requires_grad=False)\n"
        "  check_value(k, int, 3)\n"
        "  check_value(mode, str, 'b')\n"
        "  return (x,)\n"
    )


def test_compile_stats():
    cfn = thunder.jit(lambda x: torch.tanh(x) * 2)
    x = torch.randn(3)
    cfn(x)
    cfn(x)
    cfn(torch.randn(4))
    stats = thunder.compile_stats(cfn)
    assert (stats.calls, stats.hits, stats.misses, stats.specializations) == (3, 1, 2, 2)
    assert stats.compile_seconds >= stats.last_compile["total"] > 0
    assert list(stats.last_compile["passes"]) == [
        "Dead Code Elimination (unchanged)",
        "Common Subexpression Elimination (unchanged)",
        "Claim by executors",
        "Fusion",
        "Transform for execution",
    ]
    text = str(stats)
    assert "calls 3: 1 hits, 2 misses" in text and "pass Dead Code Elimination" in text


def test_recompilation_warning_and_cache_limit(monkeypatch):
    from thunder.frontend import jit as jit_module

    monkeypatch.setattr(jit_module, "CACHE_LIMIT", 3)
    monkeypatch.setattr(jit_module, "RECOMPILE_WARNING_AFTER", 4)
    cfn = thunder.jit(lambda x: x + 1)
    for n in range(1, 4):
        cfn(torch.zeros(n))
    with pytest.warns(UserWarning, match=r"has been compiled 4 times; the last time because input 0 changed from a "
                                         r"tensor cpu float32\[\d\] to a tensor cpu float32\[4\]"):
        cfn(torch.zeros(4))
    assert thunder.compile_stats(cfn).specializations == 3
    cfn(torch.zeros(4))  # most recent: kept
    cfn(torch.zeros(3))  # kept
    assert thunder.cache_misses(cfn) == 4
    cfn(torch.zeros(1))  # the least recently used one was evicted: compiles again
    assert thunder.cache_misses(cfn) == 5
    torch.testing.assert_close(cfn(torch.zeros(2)), torch.ones(2))


def test_partial_and_bound_methods():
    import functools

    class Scaler:
        def __init__(self, k):
            self.k = k

        def apply(self, x):
            return x * self.k

    x = torch.randn(3)
    torch.testing.assert_close(thunder.jit(Scaler(3.0).apply)(x), x * 3.0)
    w = torch.randn(3)
    torch.testing.assert_close(thunder.jit(functools.partial(torch.add, other=w))(x), x + w)

    def scale(x, k):
        return x * k

    torch.testing.assert_close(thunder.jit(functools.partial(scale, k=2))(x), x * 2)


def test_namedtuple_and_nested_outputs():
    import collections

    Out = collections.namedtuple("Out", "loss logits")
    cfn = thunder.jit(lambda x: Out(x.sum(), [x * 2, {"e": x.exp()}]))
    x = torch.randn(3)
    out = cfn(x)
    assert isinstance(out, Out)
    torch.testing.assert_close(out.logits[1]["e"], x.exp())


def test_named_tuple_results_and_iteration():
    def fn(x):
        m = x.max(dim=1)
        top = torch.topk(x, 2)
        rows = [r * i for i, r in enumerate(x)]
        return m.values + m.indices, top.indices, torch.stack(rows)

    x = torch.randn(3, 4)
    torch.testing.assert_close(thunder.jit(fn)(x), fn(x))


def test_dataclass_inputs_and_outputs():
    import dataclasses

    @dataclasses.dataclass
    class Batch:
        x: torch.Tensor
        scale: float

    @dataclasses.dataclass
    class Output:
        loss: torch.Tensor
        logits: torch.Tensor
        note: str = "ok"

    def fn(batch):
        logits = batch.x * batch.scale
        return Output(loss=logits.sum(), logits=logits)

    cfn = thunder.jit(fn)
    b = Batch(torch.randn(2, 3), 2.0)
    out = cfn(b)
    assert isinstance(out, Output) and out.note == "ok"
    torch.testing.assert_close(out.logits, b.x * 2.0)
    cfn(Batch(torch.randn(2, 3), 2.0))
    cfn(Batch(torch.randn(2, 3), 3.0))  # a changed field value recompiles
    assert (thunder.cache_hits(cfn), thunder.cache_misses(cfn)) == (1, 2)
