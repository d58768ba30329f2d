"""The CPU attention kernels (csrc/codegen/cpu/attention.cpp) as the ATen-side callables of
prims.sdpa_cpu and prims.sdpa_cpu_backward: a kernel per shape, compiled and cached like fused
regions. Outputs come back in [B, L, H, E] order and are returned as [B, H, L, E] views; the
gradients of self-attention come back in one [B, L, 3, H, E] tensor, whose slices they are.

prims.sdpa_cpu_packed and its backward take self-attention's packed [B, T, 3C] projection itself
(exec::pack_attention rewrites the calls on its head views into them): the heads are strided
views of it, and the backward returns the [B, T, 3, H, E] gradient buffer as [B, T, 3C]."""

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


def _heads(qkv, n_head):
    """q, k and v: the thirds of a [B, T, 3C] tensor, as [B, H, T, C / H] views."""
    B, T, C3 = qkv.shape
    E = C3 // (3 * n_head)
    s0, s1, s2 = qkv.stride()
    size, stride, offset = (B, n_head, T, E), (s0, E * s2, s1, s2), qkv.storage_offset()
    return tuple(qkv.as_strided(size, stride, offset + i * n_head * E * s2) for i in range(3))


def forward_packed(qkv, n_head, is_causal, scale):
    return forward(*_heads(qkv, n_head), is_causal, scale)


def backward_packed(grad, qkv, out, lse, n_head, is_causal, scale):
    q, k, v = _heads(qkv, n_head)
    grads = _kernel(True, q, k, is_causal, scale)(grad, q, k, v, out, lse)
    if len(grads) == 1:  # [B, T, 3, H, E]
        return grads[0].view(qkv.shape)
    return torch.cat([g.reshape(q.shape[0], q.shape[2], -1) for g in grads], 2)  # each [B, T, H, E]
