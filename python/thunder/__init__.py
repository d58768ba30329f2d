"""thunder: a deep-learning compiler for PyTorch with a C++ core.

    cfn = thunder.jit(fn)          # thunder.compile is the same call
    out = cfn(x, y)                # first call traces and compiles; later calls hit the cache
    print(thunder.last_traces(cfn)[-1])
"""

from thunder import _C
from thunder.runtime import torch_types as _torch_types  # noqa: F401  (registers torch types with _C)
from thunder import prims
from thunder.frontend.errors import DataDependentError, UnsupportedConstructError, UnsupportedOpError
from thunder.frontend.module import ThunderModule
from thunder.frontend.jit import (
    CompileStats,
    ThunderFunction,
    cache_hits,
    cache_misses,
    compile_stats,
    jit,
    last_backward_traces,
    last_prologue_traces,
    last_traces,
    pass_trace,
    passes,
)
from thunder import extend  # noqa: E402  (registers the built-in executors)

compile = jit

__all__ = [
    "jit",
    "compile",
    "ThunderFunction",
    "ThunderModule",
    "last_traces",
    "last_prologue_traces",
    "last_backward_traces",
    "compile_stats",
    "CompileStats",
    "cache_hits",
    "cache_misses",
    "passes",
    "pass_trace",
    "prims",
    "extend",
    "DataDependentError",
    "UnsupportedOpError",
    "UnsupportedConstructError",
]
