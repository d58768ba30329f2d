"""The CPU attention kernels (csrc/codegen/cpu/attention.cpp) as the ATen-side callables of
prims.sdpa_cpu and prims.sdpa_cpu_backward: a kernel per shape, compiled and cached like fused
regions. Outputs come back in [B, L, H, E] order and are returned as [B, H, L, E] views; the
gradients of self-attention come back in one [B, L, 3, H, E] tensor, whose slices they are."""

import weakref

import torch

from thunder import _C
from thunder.runtime import cpu_fusion as _cpu_fusion  # noqa: F401  (hands the kernels torch's types)

_kernels = {}
# the packed [B, L, 3, H, E] gradients alive, by data pointer: only their slices may be joined back
# by a view (aten_forms.cat), since no user ever holds one of these buffers
packed_gradients = weakref.WeakValueDictionary()


def _kernel(backward, q, k, is_causal, scale):
    B, H, L, E = q.shape
    key = (backward, B, H, L, k.shape[2], E, bool(is_causal), scale, q.dtype)
    kernel = _kernels.get(key)
    if kernel is None:
        kernel = _kernels[key] = _C.cpu_attention_kernel(backward, B, H, L, k.shape[2], E, bool(is_causal), scale,
                                                         q.dtype == torch.float64)
    return kernel


def forward(q, k, v, is_causal, scale):
    out, lse = _kernel(False, q, k, is_causal, scale)(q, k, v)
    return out.permute(0, 2, 1, 3), lse


def backward(grad, q, k, v, out, lse, is_causal, scale):
    grads = _kernel(True, q, k, is_causal, scale)(grad, q, k, v, out, lse)
    if len(grads) == 1:  # self-attention: one [B, L, 3, H, E] tensor
        packed_gradients[grads[0].data_ptr()] = grads[0]
        grads = grads[0].unbind(2)
    return tuple(g.permute(0, 2, 1, 3) for g in grads)
