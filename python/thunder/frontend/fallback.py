"""The generic fallback: a torch call outside the op table runs as one opaque ATen call.

Its output metadata comes from running the call on torch's meta device; it is recorded like any
other call (never fused), executed by torch, and differentiable through torch's autograd. Each
such op warns once; `thunder.jit(f, fallback=False)` makes it an error instead.
"""

import functools
import re
import sys
import warnings

import torch
from torch.utils._pytree import tree_flatten, tree_map

from thunder.frontend import errors, interception
from thunder.runtime.torch_types import FROM_DTYPE, TO_DTYPE

# callables that a dotted torch name does not reach, by the name execution traces call them
CALLABLES = {}
_warned = set()


def _to_meta(x):
    from thunder.frontend.proxies import TensorProxy

    if isinstance(x, TensorProxy):
        v = x._thunder_value
        return torch.empty(tuple(v.shape), dtype=FROM_DTYPE[v.dtype], device="meta")
    return x


def _device_of(args, kwargs):
    from thunder.frontend.proxies import TensorProxy

    for x in tree_flatten((args, kwargs))[0]:
        if isinstance(x, TensorProxy):
            return x._thunder_value.device
    device = kwargs.get("device")
    return str(torch.device(device)) if device is not None else "cpu"


def record(tracer, func, args, kwargs, loc):
    """Records `func(*args, **kwargs)` as an opaque call; returns its output proxies."""
    name = interception.describe(func)
    method = name.rsplit(".", 1)[-1]
    if method.endswith("_") and not method.endswith("__"):
        raise errors.UnsupportedOpError(
            f"{name} is not supported by thunder yet, and in-place calls cannot run through the fallback"
            + errors.where(loc)
        )
    print_name = name
    if interception.resolve(name) is not func:
        print_name = "_fallback_" + re.sub(r"\W", "_", name)
        CALLABLES[print_name] = func
    return _record_opaque(tracer, func, name, print_name, args, kwargs, loc, warn=True)


def record_autograd_function(tracer, cls, apply, args, kwargs, loc):
    """Records `cls.apply(*args, **kwargs)` (a user torch.autograd.Function) as one opaque call:
    forward runs the user's forward, and its gradient is recomputed through torch.autograd, which
    calls the user's backward."""
    name = f"{cls.__qualname__}.apply"
    ident = re.sub(r"\W", "_", cls.__qualname__)
    print_name = f"_autograd_function_{ident}_{id(cls):x}"
    CALLABLES[print_name] = functools.partial(apply, cls)
    # called from user code, not from the tracer's handler: the mode is still active
    with torch._C.DisableTorchFunction():
        return _record_opaque(tracer, CALLABLES[print_name], name, print_name, args, kwargs, loc, warn=False)


def _record_opaque(tracer, func, name, print_name, args, kwargs, loc, warn):
    args, kwargs = tracer._prepare((args, kwargs), loc)
    meta_args, meta_kwargs = tree_map(_to_meta, (args, kwargs))
    previous = sys.gettrace()
    sys.settrace(None)  # torch's meta kernels are not the user's code: no bytecode review there
    try:
        out = func(*meta_args, **meta_kwargs)
    except Exception as e:  # noqa: BLE001 - any failure means the meta device cannot describe the call
        raise errors.UnsupportedOpError(
            f"{name} is not supported by thunder yet, and it cannot run as an opaque call: torch's meta device "
            f"cannot tell its output ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})" + errors.where(loc)
        ) from None
    finally:
        sys.settrace(previous)
    is_tuple = isinstance(out, (tuple, list))
    outs = list(out) if is_tuple else [out]
    if not outs or not all(isinstance(o, torch.Tensor) for o in outs):
        raise errors.UnsupportedOpError(
            f"{name} is not supported by thunder yet, and it cannot run as an opaque call: it returns "
            f"{type(out).__name__}, not tensors" + errors.where(loc)
        )
    device = _device_of(args, kwargs)
    metas = [(list(o.shape), TO_DTYPE[o.dtype], device) for o in outs]
    if warn and not tracer.fallback:
        raise errors.UnsupportedOpError(f"{name} is not supported by thunder yet (fallback=False)" + errors.where(loc))
    if warn and name not in _warned:
        _warned.add(name)
        warnings.warn_explicit(
            f"thunder: {name} is not in the op table; it runs as an opaque torch call, never fused. "
            "Pass fallback=False to thunder.jit to make this an error",
            UserWarning,
            loc[0],
            loc[1],
        )
    try:
        value = tracer.builder.record_fallback(print_name, tuple(args), dict(kwargs), is_tuple, metas, loc[0], loc[1])
    except (TypeError, ValueError) as e:
        raise errors.with_location(e, loc) from None
    return tracer.wrap(value)
