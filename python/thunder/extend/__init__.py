"""Public API for extending thunder: custom operators and executors.

    myop = register_operator("myop", meta=lambda x: torch.empty_like(x), impl=my_kernel)
    ex = OperatorExecutor("myex")
    ex.register_implementation(torch.nn.functional.layer_norm, my_layer_norm, checker=...)
    register_executor(ex)
    cfn = thunder.jit(fn, executors=[ex])      # the execution trace shows `myex.layer_norm(...)`

See examples/custom_executor.py.
"""

from thunder.extend.custom_ops import CustomOp, register_operator
from thunder.runtime import cpu_fusion_executor as _cpu_fusion_executor  # noqa: F401  (registers it where built)
from thunder.runtime import reference_fusion as _reference_fusion  # noqa: F401  (registers it)
from thunder.runtime.executors import (
    Executor,
    FusionExecutor,
    OperatorExecutor,
    get_all_executors,
    get_default_executors,
    get_executor,
    register_executor,
    set_default_executors,
)

__all__ = [
    "CustomOp",
    "Executor",
    "FusionExecutor",
    "OperatorExecutor",
    "get_all_executors",
    "get_default_executors",
    "get_executor",
    "register_executor",
    "register_operator",
    "set_default_executors",
]
