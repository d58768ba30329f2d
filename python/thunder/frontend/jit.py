"""thunder.jit: trace on a cache miss, run the cached execution function on a hit."""

import functools
import inspect
import itertools
import linecache
import os

import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

from thunder import _C
from thunder.frontend import errors
from thunder.frontend.proxies import Tracer
from thunder.runtime import torch_types

_CACHE_OPTIONS = ("constant values", "no caching")
_NUMBER_TYPES = (bool, int, float, complex)
_CONSTANT_TYPES = (*_NUMBER_TYPES, str, type(None), torch.dtype, torch.device)

_ids = itertools.count()


def _verify_enabled():
    """THUNDER_VERIFY=1 runs the trace verifier after every pass (the test suite turns it on)."""
    return os.environ.get("THUNDER_VERIFY", "0") not in ("", "0")


def _leaf_key(x):
    if isinstance(x, torch.Tensor):
        return (torch.Tensor, x.shape, x.dtype, x.device, x.requires_grad)
    # the type is part of the key: 1, 1.0 and True are equal as dict keys but trace differently
    return (type(x), x)


class _Entry:
    """One compiled specialization: the traces and the function that runs them."""

    def __init__(self, traces, fn, tensor_positions, out_spec, single_output):
        self.traces = traces
        self.fn = fn
        self.tensor_positions = tensor_positions
        self.out_spec = out_spec
        self.single_output = single_output

    def __call__(self, flat):
        out = self.fn(*[flat[i] for i in self.tensor_positions])
        return tree_unflatten([out] if self.single_output else list(out), self.out_spec)


def _leaf_names(fn, args, kwargs, n_leaves):
    """A readable name for every flattened input leaf, after the function's parameter names."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        groups = []
        for name, value in bound.arguments.items():
            leaves, _ = tree_flatten(value)
            groups += [name] if len(leaves) == 1 else [f"{name}_{i}" for i in range(len(leaves))]
        if len(groups) == n_leaves:
            return groups
    except (TypeError, ValueError):
        pass
    return [f"arg{i}" for i in range(n_leaves)]


def _python_function(trace, tag):
    source = str(trace)
    filename = f"<thunder trace {tag}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"torch": torch, "prims": __import__("thunder.prims", fromlist=["prims"])}
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - our own generated trace
    return ns[trace_fn_name]


trace_fn_name = "computation"


class ThunderFunction:
    """A compiled function: call it like the original."""

    def __init__(self, fn, *, cache="constant values", decompose=False):
        if not callable(fn):
            raise TypeError(f"thunder.jit: expected a function or callable, got {type(fn).__name__}")
        if cache not in _CACHE_OPTIONS:
            raise ValueError(f"thunder.jit: cache must be one of {', '.join(map(repr, _CACHE_OPTIONS))}, got {cache!r}")
        self._fn = fn
        self._cache_mode = cache
        self._decompose = decompose
        self._cache = {}
        self._hits = 0
        self._misses = 0
        self._last = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        flat, spec = tree_flatten((args, kwargs))
        try:
            key = (spec, torch.is_grad_enabled(), tuple(_leaf_key(x) for x in flat))
            entry = self._cache.get(key) if self._cache_mode != "no caching" else None
        except TypeError:  # an unhashable leaf: _compile explains which
            key, entry = None, None
        if entry is None:
            self._misses += 1
            entry = self._compile(args, kwargs, flat)
            if key is not None and self._cache_mode != "no caching":
                self._cache[key] = entry
        else:
            self._hits += 1
        self._last = entry
        return entry(flat)

    def _compile(self, args, kwargs, flat):
        names = _leaf_names(self._fn, args, kwargs, len(flat))
        for name, x in zip(names, flat):
            if not isinstance(x, (torch.Tensor, *_CONSTANT_TYPES)):
                raise TypeError(
                    f"thunder.jit: argument '{name}' is a {type(x).__module__}.{type(x).__qualname__}; expected a "
                    "tensor, a number, a string, None, a dtype, a device, or a tuple, list or dict of these"
                )
        builder = _C.TraceBuilder()
        tracer = Tracer(builder)
        proxied, positions = [], []
        for i, (name, x) in enumerate(zip(names, flat)):
            if isinstance(x, torch.Tensor):
                dtype = torch_types.TO_DTYPE[x.dtype]
                value = builder.add_input(name, list(x.shape), dtype, str(x.device), x.requires_grad)
                proxied.append(tracer.proxy(value))
                positions.append(i)
            else:
                proxied.append(x)
        _, spec = tree_flatten((args, kwargs))
        p_args, p_kwargs = tree_unflatten(proxied, spec)
        with tracer:
            result = self._fn(*p_args, **p_kwargs)
        out_flat, out_spec = tree_flatten(result)
        for x in out_flat:
            if isinstance(x, torch.Tensor) and not hasattr(x, "_thunder_value"):
                raise NotImplementedError(
                    "thunder.jit: the function returned a tensor that was not computed from its inputs "
                    "(a global or closed-over tensor); pass it as an argument instead"
                )
            if not isinstance(x, (torch.Tensor, *_CONSTANT_TYPES)):
                raise TypeError(f"thunder.jit: the function returned a {type(x).__qualname__}, which thunder cannot return")
        single = len(out_flat) == 1 and out_spec.is_leaf()
        builder.set_output(out_flat[0] if single else tuple(out_flat))
        computation = builder.finish("Tracing")
        computation.grad_enabled = torch.is_grad_enabled() and any(
            isinstance(x, torch.Tensor) and x.requires_grad for x in flat
        )
        traces = _C.run_pipeline(computation, decompose=self._decompose, verify=_verify_enabled())
        fn = _python_function(traces[-1], next(_ids))
        return _Entry(traces, fn, positions, out_spec, single)


def jit(fn=None, *, cache="constant values", decompose=False):
    """Compiles `fn`. Returns a ThunderFunction that traces on a cache miss and reuses the result.

    cache: "constant values" (default) specializes on the values of non-tensor arguments;
        "no caching" retraces on every call.
    decompose: run every op as its prims (checks decompositions against torch; slower).
    """
    if fn is None:
        return functools.partial(jit, cache=cache, decompose=decompose)
    return ThunderFunction(fn, cache=cache, decompose=decompose)


def _check(f):
    if not isinstance(f, ThunderFunction):
        raise TypeError(f"expected a function returned by thunder.jit, got {type(f).__qualname__}")
    return f


def last_traces(f):
    """The traces of the last call's specialization: computation trace first, execution trace last."""
    f = _check(f)
    if f._last is None:
        raise RuntimeError("last_traces: the function has not been called yet")
    return list(f._last.traces)


def cache_hits(f):
    """How many calls found a compiled specialization."""
    return _check(f)._hits


def cache_misses(f):
    """How many calls traced and compiled."""
    return _check(f)._misses
