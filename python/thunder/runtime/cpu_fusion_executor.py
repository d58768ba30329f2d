"""The fused CPU code generator (csrc/codegen/cpu) as a fusion executor named "cpu_fusion".

Registered when the extension has the generator, and then the CPU default (`cpu_fusion` first,
then `cpu_attention`, an operator executor running short unmasked attention on the generated
attention kernel in inference, ATen for the rest; `executors=["aten"]` or `set_default_executors("cpu", ["aten"])` turns it off). Its `can_fuse` (the generator's `worth_fusing`) says which prims it compiles (all the generator
can, less reductions over leading dims only, which ATen runs faster),
its region checker which regions it compiles whole (partitioning cuts the others), and
a region needs two computing prims (one op alone runs as fast on ATen, and a kernel
costs a compile on a cold cache; docs/measurements.md), and `compile_region` gives a kernel that takes the region's input tensors and returns its outputs.
"""

from thunder import _C
import torch.nn.functional as F

from thunder.runtime.executors import FusionExecutor, OperatorExecutor, register_executor, set_default_executors


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
    # attention the CPU attention kernel computes (its decomposition is prims.sdpa_cpu: no mask,
    # float32/float64, at most 512 keys) runs on it in inference too, where nothing decomposes
    # the torch-level call; training traces reach the kernel through that prim itself
    from thunder.runtime import cpu_attention as _attention

    def _sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None, enable_gqa=False):
        return _attention.forward(query, key, value, is_causal, scale)[0]

    cpu_attention = OperatorExecutor("cpu_attention")
    cpu_attention.register_implementation(
        F.scaled_dot_product_attention, _sdpa,
        checker=lambda bsym: any(s.sym.name == "prims.sdpa_cpu" for s in bsym.subsymbols))
    register_executor(cpu_attention)
    set_default_executors("cpu", [cpu_fusion, cpu_attention, "aten"])
