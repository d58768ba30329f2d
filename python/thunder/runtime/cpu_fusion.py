"""The fused CPU code generator, seen from Python.

A region (a BoundSymbol whose args are its inputs, whose output is the sequence of its outputs and
whose subsymbols are its prims) compiles into a `thunder._C.CpuKernel`: call it with the region's
input tensors and it returns a tuple of new output tensors. Kernels are C compiled by the system
compiler and cached on disk (see `cache_dir()`); THUNDER_CACHE_DIR overrides the folder.
"""

import torch

from thunder import _C

# torch dtypes in the order of thunder's DType enum
_DTYPES = [
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
    torch.bfloat16, torch.float32, torch.float64, torch.complex32, torch.complex64, torch.complex128,
]
_C._register_cpu_fusion(torch.empty, _DTYPES)
# large outputs live in buffers the extension reuses (no page faults on each new output)
_C._register_cpu_fusion_dlpack(torch.utils.dlpack.from_dlpack)

can_fuse = _C.cpu_fusion_can_fuse
worth_fusing = _C.cpu_fusion_worth_fusing
unsupported = _C.cpu_fusion_unsupported
compile_region = _C.cpu_fusion_compile
kernel_source = _C.cpu_fusion_source
cache_dir = _C.cpu_fusion_cache_dir
cache_stats = _C.cpu_fusion_cache_stats
clear_memory_cache = _C.cpu_fusion_clear_memory_cache
set_threads = _C.cpu_fusion_set_threads
pool_stats = _C.cpu_fusion_pool_stats
set_pool_limit = _C.cpu_fusion_set_pool_limit
clear_pool = _C.cpu_fusion_clear_pool


def region_of(fn, *args):
    """Traces `fn` on `args` down to prims and returns one region of all its prims, for tests and
    benchmarks (thunder.jit forms regions itself; this one is the whole function, traced on ATen)."""
    import thunder

    jfn = thunder.jit(fn, decompose=True, executors=["aten"])
    jfn(*args)
    trace = thunder.last_traces(jfn)[-1]
    return _C.cpu_fusion_region(trace)


def fuse(fn, *args):
    """`fn` compiled into one CPU kernel for inputs like `args` (tensors only). Returns a callable
    giving what fn returns (one tensor or a tuple)."""
    region = region_of(fn, *args)
    kernel = compile_region(region)
    single = len(region.output) == 1

    def run(*inputs):
        out = kernel(*inputs)
        return out[0] if single else out

    run.kernel = kernel
    run.region = region
    return run
