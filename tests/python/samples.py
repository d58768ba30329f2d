"""Per-op sample inputs for the op harness: each record names an op, how user code calls it, the
dtypes it supports, and sample arguments (scalars, empty tensors, broadcasting, non-contiguous)."""

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import torch
import torch.nn.functional as F
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


RECORDS = [
    OpRecord("add", lambda x, y: x + y, binary_samples, FLOATS + INTS),
    OpRecord("add_alpha", lambda x, y: torch.add(x, y, alpha=3), binary_samples, FLOATS + INTS),
    OpRecord("radd", lambda x: 2 + x, lambda make: unary_samples(make), FLOATS + INTS),
    OpRecord("sub", lambda x, y: x - y, binary_samples, FLOATS + INTS),
    OpRecord("rsub", lambda x: 1.5 - x, lambda make: unary_samples(make), FLOATS),
    OpRecord("mul", lambda x, y: x * y, binary_samples, ALL),
    OpRecord("div", lambda x, y: x / y, partial(binary_samples), FLOATS + INTS),
    OpRecord("rdiv", lambda x: 3 / x, lambda make: unary_samples(make, exclude_zero=True), FLOATS),
    OpRecord("div_trunc", lambda x, y: torch.div(x, y, rounding_mode="trunc"),
             lambda make: [((make(3, 4), make(4, exclude_zero=True)), {})], FLOATS + INTS),
    OpRecord("div_floor", lambda x, y: torch.div(x, y, rounding_mode="floor"),
             lambda make: [((make(3, 4), make(4, exclude_zero=True)), {})], FLOATS + INTS),
    OpRecord("pow", lambda x, y: torch.pow(x, y),
             lambda make: [((make(2, 3, low=0.5, high=2), make(3, low=0, high=3)), {}), ((make(4, low=0, high=3), 2), {})],
             FLOATS + INTS),
    OpRecord("rpow", lambda x: 2 ** x, lambda make: unary_samples(make, low=0, high=4), FLOATS + INTS),
    OpRecord("neg", lambda x: -x, unary_samples, FLOATS + (torch.int64, torch.int32)),
    OpRecord("exp", torch.exp, unary_samples, FLOATS + INTS + (torch.bool,)),
    OpRecord("log", torch.log, lambda make: unary_samples(make, low=0.1, high=5), FLOATS + INTS),
    OpRecord("tanh", torch.tanh, unary_samples, FLOATS + INTS),
    OpRecord("sin", lambda x: x.sin(), unary_samples, FLOATS + INTS),
    OpRecord("cos", torch.cos, unary_samples, FLOATS + INTS),
    OpRecord("relu", F.relu, unary_samples, FLOATS + (torch.int64, torch.int32)),
    OpRecord("relu_method", lambda x: x.relu(), unary_samples, FLOATS),
    OpRecord("gelu", F.gelu, unary_samples, FLOATS),
    OpRecord("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), unary_samples, FLOATS),
    OpRecord("sigmoid", torch.sigmoid, unary_samples, FLOATS + INTS),
    OpRecord("lt", lambda x, y: x < y, binary_samples, FLOATS + INTS),
    OpRecord("ge", lambda x, y: torch.ge(x, y), binary_samples, FLOATS + INTS),
    OpRecord("eq", lambda x, y: x == y, binary_samples, ALL),
    OpRecord("ne", lambda x, y: x != y, binary_samples, ALL),
    OpRecord("le", lambda x, y: x.le(y), binary_samples, FLOATS + INTS),
    OpRecord("gt", lambda x, y: torch.gt(x, y), binary_samples, FLOATS + INTS),
    OpRecord("rgt", lambda x: 0 > x, lambda make: unary_samples(make), FLOATS + INTS),
    OpRecord("sum", torch.sum, reduction_samples, ALL),
    OpRecord("sum_dtype", lambda x: x.sum(dtype=torch.float64), lambda make: [((make(3, 4),), {})], ALL),
    OpRecord("mean", torch.mean, reduction_samples, FLOATS),
    OpRecord("amax", torch.amax, lambda make: [s for s in reduction_samples(make) if s[0][0].numel() > 0], FLOATS + INTS),
    OpRecord("matmul", torch.matmul,
             lambda make: [((make(3), make(3)), {}), ((make(2, 3), make(3)), {}), ((make(3), make(3, 4)), {}),
                           ((make(2, 3), make(3, 4)), {}), ((make(2, 1, 2, 3), make(5, 3, 4)), {}),
                           ((make(4, 3, noncontig=True), make(3, 2)), {})],
             (torch.float32, torch.float64, torch.bfloat16, torch.int64), not_on_cuda=(torch.int64,)),
    OpRecord("matmul_op", lambda x, y: x @ y, lambda make: [((make(2, 3), make(3, 4)), {})], (torch.float32,)),
    OpRecord("linear", F.linear,
             lambda make: [((make(4, 5), make(3, 5), make(3)), {}), ((make(2, 4, 5), make(3, 5)), {}),
                           ((make(5), make(3, 5), make(3)), {}), ((make(4, 5), make(5)), {})],
             (torch.float32, torch.float64, torch.bfloat16)),
    OpRecord("reshape", lambda x: x.reshape(-1, 2), lambda make: [((make(3, 4),), {}), ((make(4, 3, noncontig=True),), {})], ALL),
    OpRecord("reshape_fn", lambda x: torch.reshape(x, (2, 2, 3)), lambda make: [((make(12),), {})], ALL),
    OpRecord("view", lambda x: x.view(4, 3), lambda make: [((make(2, 6),), {})], ALL),
    OpRecord("transpose", lambda x: x.transpose(0, -1), lambda make: [((make(2, 3, 4),), {}), ((make(),), {})], ALL),
    OpRecord("permute", lambda x: x.permute(2, 0, 1), lambda make: [((make(2, 3, 4),), {})], ALL),
    OpRecord("permute_fn", lambda x: torch.permute(x, (1, 0)), lambda make: [((make(2, 3),), {})], ALL),
    OpRecord("unsqueeze", lambda x: x.unsqueeze(1), lambda make: [((make(2, 3),), {}), ((make(3),), {})], ALL),
    OpRecord("unsqueeze_last", lambda x: torch.unsqueeze(x, -1), lambda make: [((make(),), {}), ((make(0, 2),), {})], ALL),
    OpRecord("squeeze", torch.squeeze, lambda make: [((make(1, 3, 1),), {}), ((make(1, 3, 1), 0), {}),
                                                       ((make(1, 3, 1), (0, 2)), {}), ((make(2, 3), 0), {})], ALL),
    OpRecord("expand", lambda x: x.expand(2, -1, 4), lambda make: [((make(3, 1),), {}), ((make(1, 3, 4),), {})], ALL),
    OpRecord("cat", lambda *ts: torch.cat(ts, dim=-1),
             lambda make: [((make(2, 3), make(2, 5)), {}), ((make(0), make(2, 2)), {})], ALL),
    OpRecord("cat_dim0", lambda x, y: torch.cat([x, y]), lambda make: [((make(1, 3), make(4, 3)), {})], ALL),
]


def sample_cases(device="cpu"):
    """(record, dtype, args, kwargs) for every sample of every record."""
    for rec in RECORDS:
        for dtype in rec.dtypes:
            for i, (args, kwargs) in enumerate(rec.samples(mk(dtype, device))):
                yield pytest_id(rec, dtype, i), rec, dtype, args, kwargs


def pytest_id(rec, dtype, i):
    return f"{rec.name}-{str(dtype).removeprefix('torch.')}-{i}"
