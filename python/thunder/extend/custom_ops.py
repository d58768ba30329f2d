"""Custom operators: a user's function that traces as one call of its own.

Inside a compiled function the call is recorded as a symbol made at run time (`custom.<name>`,
like the generic fallback's symbols), printed as a call of the operator (`t3 = myop(x, 2.0)`);
its output metadata comes from the user's meta function, run on torch's meta device. ATen runs it
by calling the implementation; another executor may claim it (`register_implementation(myop, ...)`).
Outside a compiled function the operator is just its implementation.

Grad: with `grad=`, the implementation runs inside a torch.autograd.Function whose backward is
the user's rule, so training through a compiled function uses it. The rule is kept on the
operator (`op.grad`) in the form a VJP takes (inputs and output grads in, input grads out), for the
grad transform to use when it differentiates traces itself.
"""

import re
import sys

import torch
from torch.utils._pytree import tree_flatten, tree_map

from thunder.frontend import errors
from thunder.frontend.fallback import CALLABLES, _device_of, _to_meta
from thunder.runtime.torch_types import TO_DTYPE

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"torch", "prims", "computation", "float", "complex"}
_ops = {}


def _tracer(args, kwargs):
    """The active thunder tracer when any argument is a proxy, else None."""
    from thunder.frontend.proxies import TensorProxy, Tracer

    if not any(isinstance(x, TensorProxy) for x in tree_flatten((args, kwargs))[0]):
        return None
    for mode in reversed(torch.overrides._get_current_function_mode_stack()):
        if isinstance(mode, Tracer):
            return mode
    return None


def _with_grad(name, impl, grad):
    class Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            ctx.save_for_backward(*[a if isinstance(a, torch.Tensor) else None for a in args])
            ctx.others = [None if isinstance(a, torch.Tensor) else a for a in args]
            return impl(*args)

        @staticmethod
        def backward(ctx, *grads):
            saved = ctx.saved_tensors
            args = [s if o is None else o for s, o in zip(saved, ctx.others)]
            out = grad(*args, *grads)
            out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
            if len(out) != len(args):
                raise RuntimeError(f"{name}: grad returned {len(out)} values for {len(args)} inputs")
            return out

    Fn.__name__ = f"{name}_autograd"

    def run(*args, **kwargs):
        if kwargs:
            raise TypeError(f"{name}: an operator with grad= takes positional arguments only")
        return Fn.apply(*args)

    return run


class CustomOp:
    """A registered operator; call it like the function it stands for."""

    def __init__(self, name, meta, impl, grad=None):
        self.name = name
        self.symbol_name = "custom." + name
        self.meta = meta
        self.impl = impl
        self.grad = grad
        self._run = impl if grad is None else _with_grad(name, impl, grad)

    def __repr__(self):
        return f"<thunder custom op {self.name}>"

    def __call__(self, *args, **kwargs):
        tracer = _tracer(args, kwargs)
        if tracer is None:
            return self._run(*args, **kwargs)
        loc = errors.user_location()
        args, kwargs = tracer._prepare((args, kwargs), loc)
        previous = sys.gettrace()
        sys.settrace(None)  # the meta function is not traced code: no bytecode review there
        try:
            with torch._C.DisableTorchFunction():  # nor recorded: it runs on meta tensors
                meta_args, meta_kwargs = tree_map(_to_meta, (args, kwargs))
                out = self.meta(*meta_args, **meta_kwargs)
        finally:
            sys.settrace(previous)
        is_tuple = isinstance(out, (tuple, list))
        outs = list(out) if is_tuple else [out]
        if not outs or not all(isinstance(o, torch.Tensor) for o in outs):
            raise TypeError(
                f"{self.name}: the meta function must return a tensor or a tuple of tensors (on the meta device), "
                f"got {type(out).__name__}" + errors.where(loc)
            )
        device = _device_of(args, kwargs)
        metas = [(list(o.shape), TO_DTYPE[o.dtype], device) for o in outs]
        try:
            value = tracer.builder.record_fallback(
                self.name, tuple(args), dict(kwargs), is_tuple, metas, loc[0], loc[1], "custom"
            )
        except (TypeError, ValueError) as e:
            raise errors.with_location(e, loc) from None
        return tracer.wrap(value)


def register_operator(name, *, meta, impl, grad=None):
    """Registers a custom operator and returns it (a callable).

    name: a Python identifier; traces call the operator by it (`t1 = myop(x)`), so it must differ
        from the compiled function's parameter names.
    meta: `meta(*args, **kwargs)` gets tensors on torch's meta device (shape and dtype only) and
        returns the output(s) likewise, e.g. `lambda x: torch.empty_like(x)`.
    impl: the implementation on real tensors (what ATen runs).
    grad: optional VJP `grad(*inputs, *output_grads)` returning one grad (or None) per input.
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in _RESERVED:
        raise ValueError(f"register_operator: name must be a Python identifier, got {name!r}")
    if name in _ops:
        raise ValueError(f"register_operator: an operator named {name!r} is already registered")
    for what, fn in (("meta", meta), ("impl", impl)):
        if not callable(fn):
            raise TypeError(f"register_operator: {what} must be callable, got {type(fn).__name__}")
    if grad is not None and not callable(grad):
        raise TypeError(f"register_operator: grad must be callable, got {type(grad).__name__}")
    op = CustomOp(name, meta, impl, grad)
    _ops[name] = op
    CALLABLES[name] = op._run  # what the execution trace calls when ATen runs the line
    return op
