"""Shared pieces of the op harness: the record type, dtype groups and sample generators."""

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch.testing import make_tensor

FLOATS = (torch.float32, torch.float64, torch.bfloat16, torch.float16)
INTS = (torch.int64, torch.int32, torch.uint8)
ALL = FLOATS + INTS + (torch.bool,)


@dataclass
class OpRecord:
    name: str
    fn: Callable
    samples: Callable  # (make) -> list of (args, kwargs)
    dtypes: tuple = FLOATS
    # the decomposition is checked with this tolerance multiplier over dtype defaults
    decomp_tol: float = 1.0
    tags: tuple = field(default_factory=tuple)
    # dtypes torch itself does not support on CUDA for this op
    not_on_cuda: tuple = ()
    # draws from torch's generator: the harness seeds it (torch.manual_seed(0)) right before the
    # eager call and right before the compiled call, so results must be bit-identical
    random: bool = False


def mk(dtype, device):
    def make(*shape, noncontig=False, low=None, high=None, exclude_zero=False):
        return make_tensor(shape, dtype=dtype, device=device, noncontiguous=noncontig, low=low, high=high,
                           exclude_zero=exclude_zero)
    return make


def binary_samples(make, number=2):
    return [
        ((make(2, 3), make(2, 3)), {}),
        ((make(4, 1, 3), make(5, 3)), {}),  # broadcasting
        ((make(), make(3)), {}),  # zero-dim with vector
        ((make(0, 3), make(3)), {}),  # empty
        ((make(3, 4, noncontig=True), make(4)), {}),
        ((make(2, 3), number), {}),  # tensor and Python number
    ]


def unary_samples(make, **kw):
    return [
        ((make(2, 3, **kw),), {}),
        ((make(**kw),), {}),
        ((make(0, 2, **kw),), {}),
        ((make(4, 5, noncontig=True, **kw),), {}),
    ]


def reduction_samples(make):
    return [
        ((make(2, 3, 4),), {}),
        ((make(2, 3, 4), 1), {}),
        ((make(2, 3, 4), (0, 2), True), {}),
        ((make(2, 3, 4), -1), {"keepdim": True}),
        ((make(),), {}),
        ((make(5, 6, noncontig=True), 0), {}),
    ]
