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


@functools.cache
def op_map():
    """{torch callable: (Symbol, reflected)} for every callable the installed torch has."""
    table = {}
    for sym in _C.op_table():
        for names, reflected in ((sym.torch_names, False), (sym.reflected_names, True)):
            for name in names:
                fn = resolve(name)
                if fn is not None:
                    table.setdefault(fn, (sym, reflected))
    # Python's reflected division and matmul reach torch under these names as well
    for alias, name in (("torch.Tensor.__rdiv__", "div"), ("torch.Tensor.__rtruediv__", "div")):
        fn = resolve(alias)
        if fn is not None:
            table.setdefault(fn, (next(s for s in _C.op_table() if s.name == name), True))
    return table


@functools.cache
def unresolved_names():
    """Torch names in the op table that the installed torch does not have (for tests and docs)."""
    missing = []
    for sym in _C.op_table():
        for name in list(sym.torch_names) + list(sym.reflected_names):
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
