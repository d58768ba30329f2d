"""ATen forms of prims that do better than the plain torch call.

prims.matmul: torch.matmul folds the batch dims of its operands into one before calling bmm, and copies an
operand whose batch dims cannot fold: attention's heads, a [B, T, H, D] tensor seen as
[B, H, T, D], are such an operand, and copying each of q, k and v (and their gradients) cost more
than the products. bmm itself takes any stride between the matrices of one batch dim, so a 4-D
product of CPU tensors whose batch dims do not fold runs as one bmm per entry of the first dim,
into one output, with no copy.

Large outputs of 2-D and 3-D by 2-D products on the CPU (a linear's gradients) are written into
buffers of the CPU kernels' pool (csrc/codegen/cpu/buffers.h), freed ones reused: a new output
from malloc is fresh pages the product faults in (hundreds a training step of a small GPT).

prims.slice: a window of one dim with unit step (q, k and v out of a packed projection) is `narrow`,
a third of the cost of indexing with a tuple of slices.

prims.cat: the CPU attention kernel writes a self-attention's query, key and value gradients into
one [B, T, 3, H, E] buffer (the layout of a packed qkv projection's gradient); joining its slices
back in order is that buffer, so the result is a view of it instead of a copy. Only those buffers,
which no user holds, are joined by a view: a view of a user's tensor could alias an output with an
input. Trace values are never written in place, so the sharing changes nothing they compute.
"""

import builtins
import math

import torch

from thunder import _C


def _folds(t):
    return t.shape[0] == 1 or t.shape[1] == 1 or t.stride(0) == t.stride(1) * t.shape[1]


_pooled_empty = getattr(_C, "cpu_fusion_pooled_empty", None)
_POOLED_BYTES = getattr(_C, "cpu_fusion_pooled_bytes", 0)  # smaller outputs skip the call
_POOLED_DTYPES = (torch.float32, torch.float64)


def matmul(a, b):
    if a.device.type != "cpu" or (torch.is_grad_enabled() and (a.requires_grad or b.requires_grad)):
        return torch.matmul(a, b)
    if (a.dim() == 4 and b.dim() == 4 and a.shape[:2] == b.shape[:2] and not (_folds(a) and _folds(b))):
        out = torch.empty((a.shape[0], a.shape[1], a.shape[2], b.shape[3]), dtype=torch.result_type(a, b),
                          device=a.device)
        for i in range(a.shape[0]):
            torch.matmul(a[i], b[i], out=out[i])
        return out
    if b.dim() == 2 and a.dim() in (2, 3) and a.dtype == b.dtype and _pooled_empty is not None:
        shape = (*a.shape[:-1], b.shape[1])
        if a.dtype in _POOLED_DTYPES and math.prod(shape) * a.element_size() >= _POOLED_BYTES:
            out = _pooled_empty(shape, a.dtype)
            if out is not None:
                return torch.matmul(a, b, out=out)
    return torch.matmul(a, b)


def cat(tensors, dim):
    from thunder.runtime.cpu_attention import packed_gradients

    if len(tensors) > 1 and packed_gradients:
        first = tensors[0]
        owner = packed_gradients.get(first.untyped_storage().data_ptr())
        return joined(tensors, dim) if owner is not None else torch.cat(tensors, dim)
    return torch.cat(tensors, dim)


def joined(tensors, dim):
    """torch.cat of `tensors`, as a view of their storage where they lie side by side in it, in
    order, with the same strides, and the view is contiguous; else a copy."""
    first = tensors[0]
    if len(tensors) > 1 and first.dim() > 0:
        d = dim % first.dim()
        stride, dtype, shape = first.stride(), first.dtype, list(first.shape)
        ptr = first.data_ptr()
        step = stride[d] * first.element_size()
        adjacent = True
        for t in tensors:
            tshape = t.shape
            if (t.data_ptr() != ptr or t.stride() != stride or t.dtype != dtype or len(tshape) != len(shape)
                    or any(tshape[k] != shape[k] for k in range(len(shape)) if k != d)):
                adjacent = False
                break
            ptr += tshape[d] * step
        storage = first.untyped_storage()
        if adjacent and ptr <= storage.data_ptr() + storage.nbytes():  # all inside first's storage
            shape[d] = sum(t.shape[d] for t in tensors)
            out = first.as_strided(shape, stride)
            if out.is_contiguous():
                return out
    return torch.cat(tensors, dim)


def slice(a, start_indices, end_indices, strides):
    changed = [d for d in range(len(start_indices))
               if start_indices[d] != 0 or end_indices[d] != a.shape[d] or strides[d] != 1]
    if len(changed) == 1 and strides[changed[0]] == 1:
        d = changed[0]
        return a.narrow(d, start_indices[d], end_indices[d] - start_indices[d])
    return a[tuple(builtins.slice(*b) for b in zip(start_indices, end_indices, strides))]
