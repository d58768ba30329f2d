"""The reference fusion executor: fused regions run their prims one by one through ATen.

It is no faster than the ATen executor; it proves that partitioning makes correct regions (inputs,
outputs, order) on real tensors, end to end, and it is the model a code generator's executor
follows (a `can_fuse` checker and a `compile_region` that returns a callable).
"""

import linecache
import itertools

import torch

import thunder.prims as _prims
from thunder import _C
from thunder.runtime.executors import FusionExecutor, register_executor

_ids = itertools.count()


def can_fuse(bsym):
    """Prims of the elementwise, reduction and shape classes, on any device."""
    sym = bsym.sym
    return sym.is_prim and sym.fusion in ("elementwise", "reduction", "shape") and not sym.side_effect


def compile_region(bsym):
    """The region's prims as a Python function (its region trace, printed and compiled)."""
    trace = _C.region_trace(bsym)
    source = str(trace)
    filename = f"<thunder region {bsym.sym.name} {next(_ids)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"torch": torch, "prims": _prims}
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - our own generated trace
    return ns[trace.fn_name]


# its regions are ATen calls, which autograd records
reference_fusion = register_executor(FusionExecutor("reference_fusion", can_fuse, compile_region))
