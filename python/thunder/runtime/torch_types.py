"""The correspondence between torch's dtypes and the core's, registered with _C at import."""

import torch

from thunder import _C

TO_DTYPE = {getattr(torch, d.name): d for d in _C.DType.__members__.values()}
FROM_DTYPE = {v: k for k, v in TO_DTYPE.items()}

_C._register_torch_types(TO_DTYPE, torch.dtype, torch.device)
