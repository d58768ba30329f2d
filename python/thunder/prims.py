"""The prims namespace that execution traces call (`prims.add(a, b)`).

Built from the op table: each prim's entry names what the ATen executor runs for it.
"""

import torch

from thunder import _C

__all__ = []

for _sym in _C.op_table():
    if _sym.is_prim:
        _short = _sym.name.split(".", 1)[1]
        globals()[_short] = eval(_sym.aten, {"torch": torch})  # noqa: S307 - expressions come from the op table
        __all__.append(_short)

del _sym, _short
