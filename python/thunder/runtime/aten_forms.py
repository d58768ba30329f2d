"""ATen forms of prims that do better than the plain torch call.

prims.matmul: torch.matmul folds the batch dims of its operands into one before calling bmm, and copies an
operand whose batch dims cannot fold: attention's heads, a [B, T, H, D] tensor seen as
[B, H, T, D], are such an operand, and copying each of q, k and v (and their gradients) cost more
than the products. bmm itself takes any stride between the matrices of one batch dim, so a 4-D
product of CPU tensors whose batch dims do not fold runs as one bmm per entry of the first dim,
into one output, with no copy.

prims.cat: the CPU attention kernel writes a self-attention's query, key and value gradients into
one [B, T, 3, H, E] buffer (the layout of a packed qkv projection's gradient); joining its slices
back in order is that buffer, so the result is a view of it instead of a copy. Only those buffers,
which no user holds, are joined by a view: a view of a user's tensor could alias an output with an
input. Trace values are never written in place, so the sharing changes nothing they compute.
"""

import torch


def _folds(t):
    return t.shape[0] == 1 or t.shape[1] == 1 or t.stride(0) == t.stride(1) * t.shape[1]


def matmul(a, b):
    if (a.dim() == 4 and b.dim() == 4 and a.device.type == "cpu" and a.shape[:2] == b.shape[:2]
            and not (_folds(a) and _folds(b))
            and not (torch.is_grad_enabled() and (a.requires_grad or b.requires_grad))):
        out = torch.empty((a.shape[0], a.shape[1], a.shape[2], b.shape[3]), dtype=torch.result_type(a, b),
                          device=a.device)
        for i in range(a.shape[0]):
            torch.matmul(a[i], b[i], out=out[i])
        return out
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
    if len(tensors) > 1:
        first = tensors[0]
        d = dim % first.dim() if first.dim() else 0
        adjacent = first.dim() > 0
        offset = first.storage_offset()
        ptr = first.untyped_storage().data_ptr()
        for t in tensors:
            if not adjacent:
                break
            adjacent = (t.dim() == first.dim() and t.stride() == first.stride() and t.dtype == first.dtype
                        and t.device == first.device and t.untyped_storage().data_ptr() == ptr
                        and t.storage_offset() == offset
                        and all(t.shape[k] == first.shape[k] for k in range(t.dim()) if k != d))
            offset += t.shape[d] * t.stride(d) if adjacent else 0
        if adjacent:
            shape = list(first.shape)
            shape[d] = sum(t.shape[d] for t in tensors)
            out = first.as_strided(shape, first.stride(), first.storage_offset())
            if out.is_contiguous():
                return out
    return torch.cat(tensors, dim)
