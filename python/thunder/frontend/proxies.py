"""Tensor proxies and the interception of torch calls while tracing.

A TensorProxy is a torch.Tensor wrapper subclass that holds only metadata, so model code can ask
`isinstance(x, torch.Tensor)`, `x.shape` or `x.dtype`. While a trace is recorded, a
TorchFunctionMode sees every torch call (methods, operators, functions, factories) and records it
through the C++ trace builder.
"""

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_map

from thunder import _C
from thunder.frontend import errors, interception
from thunder.runtime.torch_types import FROM_DTYPE, TO_DTYPE


class TensorProxy(torch.Tensor):
    """Stands for a tensor during tracing: metadata only, no storage."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    @staticmethod
    def __new__(cls, value):
        p = torch.Tensor._make_wrapper_subclass(
            cls,
            value.shape,
            dtype=FROM_DTYPE[value.dtype],
            device=value.device,
            requires_grad=value.requires_grad,
        )
        p._thunder_value = value
        return p

    def __init__(self, value):
        pass

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        raise _C.InternalError(
            f"internal error: {func} reached a thunder proxy below torch's function layer; "
            "the call slipped past interception (this is a bug in thunder, please report it)"
        )

    def __repr__(self, *, tensor_contents=None):
        v = self._thunder_value
        return f"TensorProxy(name={v.name}, shape={tuple(v.shape)}, dtype={FROM_DTYPE[v.dtype]}, device={v.device})"


def _name_in_user_frame(obj):
    """The variable name the user's code knows `obj` by (local, closure or global), if any."""
    frame = errors.user_frame()
    if frame is None:
        return None
    for scope in (frame.f_locals, frame.f_globals):
        for k, v in scope.items():
            if v is obj:
                return k
    return None


class Tracer(TorchFunctionMode):
    """Records torch calls into a TraceBuilder while active."""

    def __init__(self, builder):
        super().__init__()
        self.builder = builder
        self._proxies = {}  # proxy name -> TensorProxy, so a value keeps one Python object
        # tensors that are not arguments (globals, closure variables, module state) but flow into
        # traced calls: id -> (tensor, proxy); they become extra inputs of the trace
        self.lifted = {}

    def add_input(self, name, tensor):
        """A trace input for `tensor`, named after `name`; returns its proxy."""
        dtype = TO_DTYPE[tensor.dtype]
        value = self.builder.add_input(name, list(tensor.shape), dtype, str(tensor.device), tensor.requires_grad)
        return self.proxy(value)

    def lift(self, tensor):
        """The proxy of a real tensor met during tracing, made an input of the trace on first use."""
        hit = self.lifted.get(id(tensor))
        if hit is not None:
            return hit[1]
        proxy = self.add_input(_name_in_user_frame(tensor) or "lifted", tensor)
        self.lifted[id(tensor)] = (tensor, proxy)
        return proxy

    def _lift_all(self, tree):
        def visit(x):
            if isinstance(x, torch.Tensor) and not isinstance(x, TensorProxy):
                return self.lift(x)
            return x

        return tree_map(visit, tree)

    def proxy(self, value):
        p = self._proxies.get(value.name)
        if p is None:
            p = self._proxies[value.name] = TensorProxy(value)
        return p

    def wrap(self, out):
        if isinstance(out, _C.Value):
            return self.proxy(out)
        if isinstance(out, tuple):
            return tuple(self.wrap(o) for o in out)
        if isinstance(out, list):
            return [self.wrap(o) for o in out]
        return out

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        entry = interception.op_map().get(func)
        if entry is not None:
            sym, reflected = entry
            if reflected:
                args = (args[1], args[0], *args[2:])
            args, kwargs = self._lift_all((args, kwargs))
            loc = errors.user_location()
            try:
                out = self.builder.record(sym, args, kwargs, loc[0], loc[1])
            except _C.InternalError:
                raise
            except (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError) as e:
                raise errors.with_location(e, loc) from None
            return self.wrap(out)
        if func in interception.PASSTHROUGH:
            return func(*args, **kwargs)
        what = interception.DATA_DEPENDENT.get(func)
        if what is not None:
            raise errors.DataDependentError(
                f"{what} needs the tensor's value, which is not known while tracing: thunder records one "
                "program for all inputs of this shape and dtype. Use tensor ops instead (for example "
                "torch.where for a data-dependent choice) or compute the value outside the compiled function"
                + errors.where(errors.user_location())
            )
        raise errors.UnsupportedOpError(
            f"{interception.describe(func)} is not supported by thunder yet" + errors.where(errors.user_location())
        )
