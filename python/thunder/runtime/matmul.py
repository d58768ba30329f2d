"""prims.matmul on ATen.

torch.matmul folds the batch dims of its operands into one before calling bmm, and copies an
operand whose batch dims cannot fold: attention's heads, a [B, T, H, D] tensor seen as
[B, H, T, D], are such an operand, and copying each of q, k and v (and their gradients) cost more
than the products. bmm itself takes any stride between the matrices of one batch dim, so a 4-D
product of CPU tensors whose batch dims do not fold runs as one bmm per entry of the first dim,
into one output, with no copy.
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
