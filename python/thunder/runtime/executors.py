"""Executors: what runs each line of an execution trace.

The C++ pipeline claims calls for executors in priority order (csrc/exec/claim.cpp) and groups a
fusion executor's prims into regions (csrc/exec/fusion.cpp). This module holds the Python side:
the executor objects, their registry, the default order per device, and what codegen binds into
an execution trace's globals (operator executors' namespaces, fusion executors' compiled regions).
"""

import re
import threading
from types import SimpleNamespace

import torch

from thunder import _C

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"torch", "prims", "computation"}


def _check_name(name):
    if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in _RESERVED:
        raise ValueError(
            f"executor name must be a Python identifier other than {', '.join(sorted(_RESERVED))}, got {name!r}"
        )


def op_name(op):
    """The op-table name of `op`: a name ("layer_norm", "prims.add"), a torch callable
    (torch.nn.functional.layer_norm) or a custom operator made by register_operator."""
    from thunder.frontend import interception

    if isinstance(op, str):
        if op not in _symbol_names():
            raise ValueError(f"no op named {op!r} in thunder's op table (see docs/ops.md)")
        return op
    symbol_name = getattr(op, "symbol_name", None)
    if symbol_name is not None:
        return symbol_name
    entry = interception.op_map().get(op)
    if entry is None or entry.reflected or entry.inplace:
        raise ValueError(f"{op!r} is not an op of thunder's op table (see docs/ops.md)")
    return entry.sym.name


def _symbol_names():
    return {s.name for s in _C.op_table()}


class Executor:
    """Base of all executors: a name (a Python identifier, which lines it runs are called through)."""

    kind = None

    def __init__(self, name):
        _check_name(name)
        self.name = name

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


class OperatorExecutor(Executor):
    """Runs single calls of ops it registered an implementation for.

    A line it claims prints as `<name>.<op>(...)` (dots in op names become underscores:
    `myex.prims_add`) and calls the implementation with the arguments the line shows, which are the
    op's torch call (see docs/ops.md for each op's signature)."""

    kind = "operator"

    def __init__(self, name):
        super().__init__(name)
        self._impls = {}  # op name -> (implementation, checker)
        self.namespace = SimpleNamespace()

    def register_implementation(self, op, fn, *, checker=None):
        """Runs `op` with `fn`. `checker(bsym)`, when given, may decline a call (return False) for
        its dtypes, shapes or device: `bsym.args` are the op's arguments in signature order,
        tensors as proxies with `.shape`, `.dtype` (a thunder DType), `.device` (a string)."""
        name = op_name(op)
        if not callable(fn):
            raise TypeError(f"register_implementation: expected a callable for {name}, got {type(fn).__name__}")
        self._impls[name] = (fn, checker)
        setattr(self.namespace, name.replace(".", "_"), fn)
        return fn

    def implements(self, op):
        return op_name(op) in self._impls

    def _check(self, bsym):
        name = bsym.sym.name
        if name.startswith("custom."):  # custom ops' symbols carry their keyword names: custom.op.kw
            name = ".".join(name.split(".")[:2])
        _, checker = self._impls[name]
        return checker is None or bool(checker(bsym))

    def _core(self):
        return _C.Executor(self.name, "operator", list(self._impls), self._check)


class AtenExecutor(Executor):
    """The built-in executor: every op through torch (ATen). It claims everything with an ATen
    expression, which is every op of the table, every fallback torch call and every custom op;
    its lines print as torch calls and `prims.*`."""

    kind = "operator"

    def _core(self):
        return _C.Executor("aten", "operator")


class FusionExecutor(Executor):
    """Claims prims that `can_fuse(bsym)` accepts (and torch-level ops all of whose prims it
    accepts); the pipeline groups them into maximal acyclic regions, each one call
    `[t3, t5] = <name><k>(t0, t1)` whose `subsymbols` are the prims in order.
    `compile_region(bsym)` turns a region into a callable taking the region's arguments (tensors and
    numbers, in `bsym.args` order) and returning the list of its outputs (`bsym.output`).
    `region_checker(region)`, optional, says whether a region can be compiled whole; a region it
    rejects is cut, in order, into the longest pieces it accepts.
    `min_computing_prims`: a region with fewer prims that compute (views and reshapes do not
    count) is not made; its prims run alone on ATen.
    `can_fuse=None` (and `region_checker=None`) use the C++ checkers registered under the
    executor's name (`exec::register_builtin_checker`), so a C++ code generator is asked without
    Python per prim.
    Forward and backward traces run without autograd recording (the grad transform made the
    backward), so compiled kernels need no backward of their own."""

    kind = "fusion"

    def __init__(self, name, can_fuse, compile_region, *, reductions_end_regions=False, region_checker=None,
                 min_computing_prims=1):
        super().__init__(name)
        self.min_computing_prims = min_computing_prims
        self.can_fuse = can_fuse
        self.compile_region = compile_region
        self.reductions_end_regions = reductions_end_regions
        self.region_checker = region_checker

    def _core(self):
        return _C.Executor(self.name, "fusion", [], self.can_fuse, self.reductions_end_regions, self.region_checker,
                           self.min_computing_prims)


_lock = threading.Lock()
_registry = {}
# default priority order per device type; ATen last always
_defaults = {"cpu": ["aten"], "cuda": ["aten"]}


def register_executor(executor):
    """Makes an executor known by name (so `executors=["name"]` finds it); returns it."""
    if not isinstance(executor, Executor):
        raise TypeError(f"register_executor: expected an Executor, got {type(executor).__name__}")
    with _lock:
        old = _registry.get(executor.name)
        if old is not None and old is not executor:
            raise ValueError(f"an executor named {executor.name!r} is already registered")
        _registry[executor.name] = executor
    return executor


def get_executor(name):
    """The registered executor called `name`."""
    try:
        return _registry[name]
    except KeyError:
        raise ValueError(f"no executor named {name!r}; registered: {', '.join(sorted(_registry))}") from None


def get_all_executors():
    return dict(_registry)


def get_default_executors(device_type="cpu"):
    """The default priority order for traces on `device_type` ("cpu", "cuda"), as executors."""
    return [get_executor(n) for n in _defaults.get(device_type, ["aten"])]


def set_default_executors(device_type, executors):
    """Sets the default priority order for `device_type` (names or executors)."""
    _defaults[device_type] = [e.name if isinstance(e, Executor) else get_executor(e).name for e in executors]


def resolve(executors, device_type):
    """The executor objects for a `thunder.jit(..., executors=)` value, in priority order, ATen
    last (it runs whatever nobody else claims)."""
    if executors is None:
        out = get_default_executors(device_type)
    else:
        if isinstance(executors, (str, Executor)):
            raise TypeError("thunder.jit: executors must be a list of executors or names, in priority order")
        out = [e if isinstance(e, Executor) else get_executor(e) for e in executors]
        for e in out:
            if e.name in _registry and _registry[e.name] is not e:
                raise ValueError(f"executor {e.name!r} is not the registered executor of that name")
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise ValueError(f"thunder.jit: an executor is listed twice in {names}")
    if "aten" not in names:
        out = out + [ATEN]
    return out


def device_type_of(trace):
    for x in trace.inputs:
        if x.is_tensor:
            return torch.device(x.device).type
    return "cpu"


def bind(trace, executors, ns):
    """Adds to `ns` (an execution trace's globals) what its lines call: operator executors'
    namespaces and each fused region's compiled callable."""
    by_name = {e.name: e for e in executors}
    for b in trace.bound_symbols:
        owner = _C.executor_of(b.sym)
        if not owner:
            continue
        ex = by_name[owner]
        if _C.is_fusion_region(b):
            ns[b.sym.name] = ex.compile_region(b)
        else:
            ns[owner] = ex.namespace


ATEN = register_executor(AtenExecutor("aten"))
