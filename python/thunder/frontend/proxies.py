"""Tensor proxies and the interception of torch calls while tracing.

A TensorProxy is a torch.Tensor wrapper subclass that holds only metadata, so model code can ask
`isinstance(x, torch.Tensor)`, `x.shape` or `x.dtype`. While a trace is recorded, a
TorchFunctionMode sees every torch call (methods, operators, functions, factories) and records it
through the C++ trace builder.
"""

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

from thunder import _C
from thunder.frontend import autocast, errors, interception
from thunder.frontend.module_overrides import module_overrides
from thunder.frontend.numbers import NumberProxy, concrete, contains_proxy
from thunder.frontend.views import ViewTracker
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
    """Records torch calls into a TraceBuilder while active.

    In-place updates are made functional: `x.add_(y)` records `add(x, y)` and rebinds the proxy
    `x` to the result, so later reads see the new value; updated inputs are written back at the
    end of the trace (`prims.copy_`). Views are tracked (views.py) so that an update through a view
    reaches its base and the base's other views, as torch's shared storage makes it.
    """

    def __init__(self, builder, fallback=True, rng="eager"):
        super().__init__()
        self.builder = builder
        self.fallback = fallback  # run torch calls outside the op table as opaque calls
        self.rng = rng  # "philox": random ops with a philox form are traced as that form
        self._proxies = {}  # proxy name -> TensorProxy, so a value keeps one Python object
        # tensors that are not arguments (globals, closure variables, module state) but flow into
        # traced calls: id -> (tensor, proxy); they become extra inputs of the trace
        self.lifted = {}
        self._inputs = []  # (proxy, the value it had as an input)
        self.views = ViewTracker(self)  # views, so updates through them reach their bases
        self._stale = {}  # id(proxy) -> why it may no longer be read
        # symbolic numbers (cache="symbolic values"): flattened argument position -> (value, the
        # user's (file, line)) for each number whose value the trace depends on
        self.guarded = {}
        self.symbolic = False  # whether any symbolic number is an input

    def __enter__(self):
        # module methods traced in a form of their own (module_overrides.py)
        self._overrides = module_overrides()
        self._overrides.__enter__()
        # user torch.autograd.Function subclasses: `apply` is a Python classmethod that no torch
        # function handler sees; while tracing, a call with proxies records one opaque call of
        # the Function, so that its gradient is the user's backward, as in eager
        self._function_apply = torch.autograd.Function.__dict__["apply"]
        original, tracer = self._function_apply.__func__, self

        def apply(cls, *args, **kwargs):
            if any(isinstance(x, TensorProxy) for x in tree_flatten((args, kwargs))[0]):
                from thunder.frontend import fallback

                return fallback.record_autograd_function(tracer, cls, original, args, kwargs, errors.user_location())
            return original(cls, *args, **kwargs)

        torch.autograd.Function.apply = classmethod(apply)
        return super().__enter__()

    def __exit__(self, *exc):
        torch.autograd.Function.apply = self._function_apply
        try:
            return super().__exit__(*exc)
        finally:
            self._overrides.__exit__(None, None, None)

    def add_input(self, name, tensor):
        """A trace input for `tensor`, named after `name`; returns its proxy."""
        dtype = TO_DTYPE[tensor.dtype]
        value = self.builder.add_input(name, list(tensor.shape), dtype, str(tensor.device), tensor.requires_grad)
        proxy = self.proxy(value)
        self._inputs.append((proxy, value))
        return proxy

    def add_number_input(self, name, value, position):
        """A trace input for the symbolic number `value` (an int or float argument)."""
        v = self.builder.add_number_input(name, "int" if type(value) is int else "float")
        self.symbolic = True
        return NumberProxy(self, value, v, position, v.name)

    def guard_number(self, proxy):
        """Records that the trace depends on the value of a symbolic number (its first such use)."""
        self.guarded.setdefault(proxy._position, (proxy._value, errors.user_location()))

    def _index_tensor(self, n, like, loc):
        """A 0-dim int64 tensor holding the symbolic int `n`, on `like`'s device: indexing with it
        selects what indexing with the int would, without fixing its value."""
        v = self._record(interception.symbol("full"), ((), n), {"dtype": torch.int64, "device": like.device}, loc)
        return self.proxy(v)

    def _symbolic_call(self, sym, args, kwargs, loc):
        """Records a call whose arguments hold symbolic numbers; returns (output, sym, args, kwargs)
        as recorded. Numbers stay symbolic where the op takes them as operands; an int index
        becomes a 0-dim index tensor and narrow's start an index range (a fixed-length window at
        a symbolic offset); anything else (shapes, dims, slice bounds) guards the number."""
        x = args[0] if args else None
        if sym.name == "narrow" and isinstance(x, TensorProxy) and not kwargs and len(args) == 4:
            dim, start, length = concrete(args[1]), args[2], concrete(args[3])
            if type(start) is NumberProxy and type(start._value) is int and type(dim) is int and type(length) is int:
                dim = dim + x.ndim if dim < 0 else dim
                size = x.shape[dim]
                # start wraps once, as narrow's does; a start still out of range becomes `size`, so
                # the gather raises instead of wrapping again
                rec = lambda name, *a: self._record(interception.symbol(name), a, {}, loc)  # noqa: E731
                s = self._index_tensor(start, x, loc)
                s = rec("where", rec("lt", s, 0), rec("add", s, size), s)
                s = rec("where", rec("lt", s, 0), size, s)
                idx = self._record(interception.symbol("arange"), (length,), {"device": x.device}, loc)
                idx = rec("add", idx, s)
                sym = interception.symbol("__getitem__")
                args = (x, (slice(None),) * dim + (self.proxy(idx),))
        if sym.name in ("__getitem__", "setitem") and isinstance(x, TensorProxy) and len(args) >= 2:
            index = args[1]
            items = index if isinstance(index, tuple) else (index,)
            if not any(isinstance(i, (torch.Tensor, list)) for i in items if not isinstance(i, NumberProxy)):
                items = tuple(
                    self._index_tensor(i, x, loc) if type(i) is NumberProxy and type(i._value) is int else i
                    for i in items
                )
                args = (x, items if isinstance(index, tuple) else items[0], *args[2:])
        if contains_proxy((args, kwargs)):
            try:
                return self._record(sym, args, kwargs, loc), sym, args, kwargs
            except (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError):
                pass  # the op needs the number's value: guard it
            args, kwargs = concrete(args), concrete(kwargs)
        return self._record(sym, args, kwargs, loc), sym, args, kwargs

    def proxy(self, value):
        p = self._proxies.get(value.name)
        if p is None:
            p = self._proxies[value.name] = TensorProxy(value)
        return p

    def lift(self, tensor):
        """The proxy of a real tensor met during tracing, made an input of the trace on first use."""
        hit = self.lifted.get(id(tensor))
        if hit is not None:
            return hit[1]
        proxy = self.add_input(_name_in_user_frame(tensor) or "lifted", tensor)
        self.lifted[id(tensor)] = (tensor, proxy)
        return proxy

    def _prepare(self, tree, loc):
        """Lifts real tensors in a call's arguments and refuses proxies that went stale."""

        def visit(x):
            if isinstance(x, TensorProxy):
                why = self._stale.get(id(x))
                if why is not None:
                    raise errors.UnsupportedConstructError(why + errors.where(loc))
                return x
            if isinstance(x, torch.Tensor):
                return self.lift(x)
            if isinstance(x, torch.memory_format):
                return str(x)  # "torch.contiguous_format"; ops that take one check it
            return x

        return tree_map(visit, tree)

    def wrap(self, out):
        if isinstance(out, _C.Value):
            return self.proxy(out)
        if isinstance(out, tuple):
            return tuple(self.wrap(o) for o in out)
        if isinstance(out, list):
            return [self.wrap(o) for o in out]
        return out

    def _record(self, sym, args, kwargs, loc):
        try:
            return self.builder.record(sym, args, kwargs, loc[0], loc[1])
        except _C.InternalError:
            raise
        except (TypeError, ValueError, IndexError, RuntimeError, NotImplementedError) as e:
            raise errors.with_location(e, loc) from None

    def _write(self, target, value, what, loc):
        """Makes `target` (a proxy) hold `value` from now on, as an in-place update would."""
        if not isinstance(target, TensorProxy):
            raise errors.with_location(TypeError(f"{what}: expected a tensor to update, got {type(target).__name__}"), loc)
        old = target._thunder_value
        if tuple(value.shape) != tuple(old.shape):
            raise errors.with_location(
                RuntimeError(f"output with shape {list(old.shape)} doesn't match the broadcast shape {list(value.shape)}"),
                loc,
            )
        if value.dtype != old.dtype:
            src, dst = FROM_DTYPE[value.dtype], FROM_DTYPE[old.dtype]
            if not torch.can_cast(src, dst):
                raise errors.with_location(
                    RuntimeError(f"result type {_c10_name(src)} can't be cast to the desired output type {_c10_name(dst)}"),
                    loc,
                )
            value = self._record(interception.symbol("prims.convert_element_type"), (value, dst), {}, loc)
        self.views.write(target, value, what, loc)
        return target

    def _write_updates(self, sym, args, kwargs, out, func, loc):
        """An op that updates some of its arguments returned (result, new values): write them."""
        new_values = iter(out[1:])
        for name in sym.updates:
            i = sym.param_names.index(name)
            target = kwargs[name] if name in kwargs else args[i] if i < len(args) else None
            if isinstance(target, TensorProxy):
                self._write(target, next(new_values), interception.describe(func), loc)
        return out[0]

    def _rebind(self, proxy, value):
        """The proxy object stands for `value` from now on."""
        proxy._thunder_value = value
        self._proxies[value.name] = proxy

    def write_back_inputs(self):
        """Copies the final value of every input updated in place into that input.

        The copies run with autograd off: they update state, and autograd must not see a leaf that
        requires grad (a parameter updated under torch.no_grad(), say) modified in place."""
        updated = [(orig, p._thunder_value) for p, orig in self._inputs if p._thunder_value.name != orig.name]
        if not updated:
            return
        grad = interception.symbol("prims.set_grad_enabled")
        self.builder.record(grad, (False,), {}, "", 0)
        for original, current in updated:
            self.builder.record(interception.symbol("prims.copy_"), (original, current), {}, "", 0)
        self.builder.record(grad, (torch.is_grad_enabled(),), {}, "", 0)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        entry = interception.op_map().get(func)
        if entry is not None:
            sym = entry.sym
            if entry.reflected:
                args = (args[1], args[0], *args[2:])
            loc = errors.user_location()
            if any(isinstance(x, torch.Generator) for x in (*args, *kwargs.values())):
                raise errors.with_location(
                    NotImplementedError(
                        f"{sym.name}: generator= is not supported yet; compiled code draws from torch's default "
                        "generator (seed it with torch.manual_seed)"
                    ),
                    loc,
                )
            args, kwargs = self._prepare((args, kwargs), loc)
            user_args, user_kwargs = args, kwargs
            out_target = kwargs.pop("out", None) if "out" not in sym.param_names else None
            inplace = entry.inplace
            if "inplace" in sym.param_names:
                i = sym.param_names.index("inplace")
                if kwargs.get("inplace") is True or (len(args) > i and args[i] is True):
                    inplace = True
                    kwargs.pop("inplace", None)
                    args = args[:i]
            if not inplace and out_target is None and errors.any_autocast_enabled():
                args, kwargs = autocast.cast_args(self, sym.name, args, kwargs, loc)
            if self.rng == "philox":  # after autocast, which knows the op by its torch name
                sym = interception.philox_form(sym, args, kwargs)
            if self.symbolic and contains_proxy((args, kwargs)):
                out, sym, args, kwargs = self._symbolic_call(sym, args, kwargs, loc)
            else:
                out = self._record(sym, args, kwargs, loc)
            if sym.updates and isinstance(out, tuple):
                out = self._write_updates(sym, args, kwargs, out, func, loc)
            if sym is interception.symbol("prims.set_grad_enabled"):
                func(*args, **kwargs)  # switch it for the rest of tracing as well
            if inplace:
                return self._write(args[0], out, f"{interception.describe(func)}", loc)
            if out_target is not None:
                return self._write(out_target, out, f"{interception.describe(func)}(out=...)", loc)
            result = self.wrap(out)
            if isinstance(result, tuple):
                # torch returns named tuples (values, indices) for max, min, topk, sort, ...
                named = getattr(torch.return_types, sym.name, None)
                if named is not None:
                    result = named(result)
            if sym.view and isinstance(args[0], TensorProxy):
                self.views.add(func, user_args, user_kwargs, sym, args, kwargs, result)
            return result
        if func in interception.PASSTHROUGH:
            return func(*args, **kwargs)
        if func is torch.Tensor.__iter__:
            # iterating a tensor yields its slices along dim 0, as unbind does
            return iter(self.__torch_function__(torch.unbind, types, (args[0],), {}))
        what = interception.DATA_DEPENDENT.get(func)
        if what is not None:
            raise errors.DataDependentError(
                f"{what} needs the tensor's value, which is not known while tracing: thunder records one "
                "program for all inputs of this shape and dtype. Use tensor ops instead (for example "
                "torch.where for a data-dependent choice) or compute the value outside the compiled function"
                + errors.where(errors.user_location())
            )
        loc = errors.user_location()
        if not self.fallback:
            raise errors.UnsupportedOpError(f"{interception.describe(func)} is not supported by thunder yet" + errors.where(loc))
        from thunder.frontend import fallback

        args, kwargs = concrete(args), concrete(kwargs)
        if errors.any_autocast_enabled():
            args, kwargs = autocast.cast_args(self, getattr(func, "__name__", ""), self._prepare(args, loc),
                                              self._prepare(kwargs, loc), loc)
        return fallback.record(self, func, args, kwargs, loc)


def _c10_name(dtype):
    return _C.c10_name(TO_DTYPE[dtype])
