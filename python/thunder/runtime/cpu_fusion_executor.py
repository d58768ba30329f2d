"""The fused CPU code generator (csrc/codegen/cpu) as a fusion executor named "cpu_fusion".

Registered when the extension has the generator, and then the CPU default (`cpu_fusion` first,
ATen for the rest; `executors=["aten"]` or `set_default_executors("cpu", ["aten"])` turns it off). Its `can_fuse` (the generator's `worth_fusing`) says which prims it compiles (all the generator
can, less reductions over leading dims only, which ATen runs faster),
its region checker which regions it compiles whole (partitioning cuts the others), and
a region needs two computing prims (one op alone runs as fast on ATen, and a kernel
costs a compile on a cold cache; docs/measurements.md), and `compile_region` gives a kernel that takes the region's input tensors and returns its outputs.
"""

from thunder import _C
from thunder.runtime.executors import FusionExecutor, register_executor, set_default_executors


def available():
    """Whether this build of thunder has the CPU code generator."""
    return hasattr(_C, "cpu_fusion_compile") and hasattr(_C, "cpu_fusion_can_fuse")


cpu_fusion = None
if available():
    from thunder.runtime import cpu_fusion as _generator  # hands the generator torch's types

    def _whole(region):
        return _generator.unsupported(region) is None

    cpu_fusion = register_executor(
        FusionExecutor("cpu_fusion", _generator.worth_fusing, _generator.compile_region, region_checker=_whole,
                       min_computing_prims=2)
    )
    set_default_executors("cpu", [cpu_fusion, "aten"])
