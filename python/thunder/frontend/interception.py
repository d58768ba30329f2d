"""Which torch callables mean which op: the interception map, generated from the op table."""

import functools

import torch

from thunder import _C


def resolve(dotted):
    """The object a dotted path such as 'torch.Tensor.__add__' names, or None where this torch lacks it."""
    parts = dotted.split(".")
    if parts[0] != "torch":
        return None
    obj = torch
    for p in parts[1:]:
        obj = getattr(obj, p, None)
        if obj is None:
            return None
    return obj


class Entry:
    """How a torch callable maps onto the op table."""

    __slots__ = ("sym", "reflected", "inplace")

    def __init__(self, sym, reflected=False, inplace=False):
        self.sym, self.reflected, self.inplace = sym, reflected, inplace


def inplace_spelling(name):
    """The in-place twin of a Tensor method or operator name: add -> add_, __add__ -> __iadd__."""
    method = name.rsplit(".", 1)[1]
    if method.startswith("__") and method.endswith("__"):
        return "torch.Tensor.__i" + method[2:]
    return "torch.Tensor." + method + "_"


@functools.cache
def op_map():
    """{torch callable: Entry} for every callable the installed torch has.

    In-place variants (x.add_(y), x += y) are derived, not listed: every elementwise op's Tensor
    method or operator whose in-place twin exists in torch maps to the op with `inplace` set; the
    tracer computes the op and writes the result into the first operand. In-place callables with
    no out-of-place twin in torch (x.uniform_()) are listed in their op's `inplace_names`.
    """
    table = {}
    for sym in _C.op_table():
        for names, reflected in ((sym.torch_names, False), (sym.reflected_names, True)):
            for name in names:
                fn = resolve(name)
                if fn is not None:
                    table.setdefault(fn, Entry(sym, reflected))
        for name in sym.inplace_names:
            fn = resolve(name)
            if fn is not None:
                table.setdefault(fn, Entry(sym, inplace=True))
        if sym.fusion == "elementwise" and not sym.is_prim:
            for name in sym.torch_names:
                if name.startswith("torch.Tensor."):
                    fn = resolve(inplace_spelling(name))
                    if fn is not None:
                        table.setdefault(fn, Entry(sym, inplace=True))
    # Python's reflected division reaches torch under this name as well
    fn = resolve("torch.Tensor.__rdiv__")
    if fn is not None:
        table.setdefault(fn, Entry(symbol("div"), reflected=True))
    return table


@functools.cache
def _symbols_by_name():
    return {s.name: s for s in _C.op_table()}


def symbol(name):
    """The op table's symbol called `name` ("prims.copy_", "setitem", ...)."""
    return _symbols_by_name()[name]


def philox_form(sym, args, kwargs):
    """The op that traces `sym`'s call with rng="philox": its `<name>_philox` form where the op
    table has one (rand, randn, their *_like forms, bernoulli, dropout), `sym` otherwise.
    scaled_dot_product_attention takes its philox form only with dropout (its library call
    otherwise)."""
    form = _symbols_by_name().get(sym.name + "_philox")
    if form is None:
        return sym
    if sym.name == "scaled_dot_product_attention":
        p = kwargs.get("dropout_p", args[4] if len(args) > 4 else 0.0)
        if not isinstance(p, (int, float)) or p == 0:
            return sym
    return form


@functools.cache
def unresolved_names():
    """Torch names in the op table that the installed torch does not have (for tests and docs)."""
    missing = []
    for sym in _C.op_table():
        for name in list(sym.torch_names) + list(sym.reflected_names) + list(sym.inplace_names):
            if resolve(name) is None:
                missing.append(name)
    return missing


# Metadata reads answered from the proxy itself.
PASSTHROUGH = {
    torch.Tensor.shape.__get__,
    torch.Tensor.dtype.__get__,
    torch.Tensor.device.__get__,
    torch.Tensor.ndim.__get__,
    torch.Tensor.requires_grad.__get__,
    torch.Tensor.is_cuda.__get__,
    torch.Tensor.is_cpu.__get__,
    torch.Tensor.is_meta.__get__,
    torch.Tensor.layout.__get__,
    torch.Tensor.size,
    torch.Tensor.dim,
    torch.Tensor.ndimension,
    torch.Tensor.numel,
    torch.Tensor.nelement,
    torch.Tensor.element_size,
    torch.Tensor.is_floating_point,
    torch.Tensor.is_complex,
    torch.Tensor.__len__,
    torch.Tensor.get_device,
}

# Calls that need a tensor's value, which tracing does not have.
DATA_DEPENDENT = {
    torch.Tensor.__bool__: "bool(tensor)",
    torch.Tensor.item: "tensor.item()",
    torch.Tensor.tolist: "tensor.tolist()",
    torch.Tensor.__int__: "int(tensor)",
    torch.Tensor.__float__: "float(tensor)",
    torch.Tensor.__complex__: "complex(tensor)",
    torch.Tensor.__index__: "using a tensor as an index",
    torch.Tensor.numpy: "tensor.numpy()",
    torch.Tensor.__array__: "converting a tensor to a NumPy array",
}


@functools.cache
def _names_by_object():
    names = {}
    for prefix, ns in (
        ("torch.Tensor.", torch.Tensor),
        ("torch.nn.functional.", torch.nn.functional),
        ("torch.special.", torch.special),
        ("torch.linalg.", torch.linalg),
        ("torch.fft.", torch.fft),
        ("torch.", torch),
    ):
        for attr in dir(ns):
            try:
                obj = getattr(ns, attr)
                names.setdefault(obj, prefix + attr)
            except Exception:  # noqa: BLE001 - some attributes raise on access or are unhashable
                continue
    return names


def describe(func):
    """The dotted name a user would write for a torch callable."""
    try:
        name = _names_by_object().get(func)
    except TypeError:
        name = None
    if name:
        return name
    qual = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    module = getattr(func, "__module__", None) or "torch"
    return f"{module}.{qual}" if qual else repr(func)
