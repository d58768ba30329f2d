"""Symbolic numbers: Python int and float arguments under cache="symbolic values".

A NumberProxy stands for such an argument while tracing. Where it flows into a torch op as a
scalar operand (`x * n`, `torch.full(shape, n)`, `x.masked_fill(m, n)`) the trace takes it as an
input, so a new value reuses the specialization. Python arithmetic on it (+ - * / // %, unary -
with ints and floats) is recorded too (`prims.number_add`) and gives another NumberProxy. Every
other use needs its value: a shape, a dimension, a Python branch, `range(n)`, list indexing,
`int(n)`, `math.sqrt(n)`. Such a use *guards* the number: the specialization records the value
and the prologue checks it, so a different value compiles anew. Nothing can read the value without passing through a guard, since NumberProxy is
not an int (every Python operation on it reaches one of its methods).
"""

import math
import operator

import torch

from thunder.frontend import errors


class NumberProxy:
    """A symbolic int or float argument while tracing (see the module's doc).

    `isinstance(n, int)` holds for a proxy of an int (so code that checks a number's type behaves
    as with the number itself); `type(n)` is NumberProxy."""

    __slots__ = ("_thunder_value", "_value", "_tracer", "_position", "_name", "_roots")

    def __init__(self, tracer, value, thunder_value, position, name, roots=None):
        self._value = value
        self._thunder_value = thunder_value  # the trace's number proxy (the converter reads it)
        self._tracer = tracer
        self._position = position  # which flattened argument it stands for (None: computed)
        self._name = name
        # the arguments it is computed from: guarding it guards them
        self._roots = (self,) if roots is None else roots

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        # having this makes torch's argument parser hand the proxy to the tracer (an active mode)
        # instead of rejecting it as an operand
        return NotImplemented

    @property
    def __class__(self):
        return type(self._value)

    def _concrete(self):
        """The value, recorded as a guard of the specialization (with the user's line)."""
        for root in self._roots:
            self._tracer.guard_number(root)
        return self._value


def concrete(x):
    """`x` with every NumberProxy inside (tuples, lists, dicts, slices) replaced by its guarded value."""
    if type(x) is NumberProxy:
        return x._concrete()
    if isinstance(x, (tuple, list)):
        items = [concrete(i) for i in x]
        if hasattr(x, "_fields"):  # a named tuple
            return type(x)(*items)
        return type(x)(items)
    if isinstance(x, dict):
        return {k: concrete(v) for k, v in x.items()}
    if isinstance(x, slice):
        return slice(concrete(x.start), concrete(x.stop), concrete(x.step))
    return x


def contains_proxy(x):
    """Whether a NumberProxy sits anywhere inside `x` (tuples, lists, dicts, slices)."""
    if type(x) is NumberProxy:
        return True
    if isinstance(x, (tuple, list)):
        return any(contains_proxy(i) for i in x)
    if isinstance(x, dict):
        return any(contains_proxy(v) for v in x.values())
    if isinstance(x, slice):
        return contains_proxy(x.start) or contains_proxy(x.stop) or contains_proxy(x.step)
    return False


_TRACED = {"add", "sub", "mul", "truediv", "floordiv", "mod"}


def _operand(x):
    return type(x) is NumberProxy or type(x) in (int, float)


def _derived(tracer, prim, operands, value):
    from thunder.frontend import interception

    out = tracer._record(interception.symbol(prim), tuple(operands), {}, errors.user_location())
    roots = tuple({id(r): r for x in operands if type(x) is NumberProxy for r in x._roots}.values())
    return NumberProxy(tracer, value, out, None, out.name, roots)


def _binary(name, op, reflected):
    short = name.strip("_").removeprefix("r") if reflected else name.strip("_")

    def method(self, other):
        if isinstance(other, torch.Tensor):
            return NotImplemented  # the tensor's own (reflected) operator records the op
        if short in _TRACED and _operand(other):
            a, b = (other, self) if reflected else (self, other)
            va = a._value if type(a) is NumberProxy else a
            vb = b._value if type(b) is NumberProxy else b
            return _derived(self._tracer, f"prims.number_{short}", (a, b), op(va, vb))
        a, b = self._concrete(), concrete(other)
        return op(b, a) if reflected else op(a, b)

    method.__name__ = name
    return method


def _unary(name, op):
    def method(self, *rest):
        return op(self._concrete(), *rest)

    method.__name__ = name
    return method


_BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "lshift": operator.lshift,
    "rshift": operator.rshift, "and": operator.and_, "or": operator.or_, "xor": operator.xor, "divmod": divmod,
    "matmul": operator.matmul,
}
for _n, _op in _BINARY.items():
    setattr(NumberProxy, f"__{_n}__", _binary(f"__{_n}__", _op, False))
    setattr(NumberProxy, f"__r{_n}__", _binary(f"__r{_n}__", _op, True))
for _n in ("lt", "le", "eq", "ne", "gt", "ge"):
    setattr(NumberProxy, f"__{_n}__", _binary(f"__{_n}__", getattr(operator, _n), False))
_UNARY = {
    "neg": operator.neg, "pos": operator.pos, "abs": abs, "invert": operator.invert, "bool": bool, "int": int,
    "float": float, "complex": complex, "index": operator.index, "hash": hash, "round": round,
    "trunc": math.trunc, "floor": math.floor, "ceil": math.ceil, "str": str, "repr": repr, "format": format,
}
for _n, _op in _UNARY.items():
    setattr(NumberProxy, f"__{_n}__", _unary(f"__{_n}__", _op))
del _n, _op


def _neg(self):
    return _derived(self._tracer, "prims.number_neg", (self,), -self._value)


NumberProxy.__neg__ = _neg


def _getattr(self, name):
    # methods and attributes of the number itself (n.bit_length(), f.is_integer(), n.real)
    return getattr(self._concrete(), name)


NumberProxy.__getattr__ = _getattr

