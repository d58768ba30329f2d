"""Sample records for the factory family (tensors made from Python values)."""

import torch

from samples_common import ALL, FLOATS, INTS, OpRecord


def like(make):
    return [((make(2, 3),), {}), ((make(),), {}), ((make(0, 4),), {})]


RECORDS = [
    OpRecord("arange", lambda x: torch.arange(x.shape[-1], device=x.device) + x,
             lambda make: [((make(2, 3),), {}), ((make(0, 4),), {})], FLOATS + INTS),
    OpRecord("arange_start_step", lambda x: torch.arange(1, 7, 2, dtype=x.dtype, device=x.device),
             lambda make: [((make(1),), {})], FLOATS + (torch.int64, torch.int32)),
    OpRecord("arange_float", lambda x: torch.arange(0.5, 2.75, 0.25), lambda make: [((make(1),), {})], (torch.float32,)),
    OpRecord("arange_negative_step", lambda x: torch.arange(5, -3, -2), lambda make: [((make(1),), {})], (torch.float32,)),
    OpRecord("zeros", lambda x: torch.zeros(x.shape, dtype=x.dtype, device=x.device), like, ALL),
    OpRecord("zeros_varargs", lambda x: torch.zeros(2, 3) + 1, lambda make: [((make(1),), {})], (torch.float32,)),
    OpRecord("ones", lambda x: torch.ones(*x.shape, 1, dtype=x.dtype), like, ALL),
    OpRecord("empty_shape", lambda x: torch.empty(3, 2, dtype=x.dtype).shape == (3, 2) and x * 1, like, (torch.float32,)),
    OpRecord("zeros_like", torch.zeros_like, like, ALL),
    OpRecord("ones_like", lambda x: torch.ones_like(x, dtype=torch.float64), like, ALL),
    OpRecord("empty_like_shape", lambda x: torch.empty_like(x).shape == x.shape and x * 1, like, (torch.float32,)),
    OpRecord("full", lambda x: torch.full((2, 2), 7), lambda make: [((make(1),), {})], (torch.float32,)),
    OpRecord("full_float", lambda x: torch.full([3], 2.5, dtype=x.dtype), lambda make: [((make(1),), {})], FLOATS),
    OpRecord("full_bool", lambda x: torch.full([2], True), lambda make: [((make(1),), {})], (torch.float32,)),
    OpRecord("full_like", lambda x: torch.full_like(x, 3), like, ALL),
    OpRecord("tensor_scalar", lambda x: x * torch.tensor(2.0, dtype=x.dtype), like, FLOATS),
    OpRecord("tensor_list", lambda x: torch.tensor([[1, 2], [3, 4]], dtype=x.dtype, device=x.device),
             lambda make: [((make(1),), {})], FLOATS + INTS),
    OpRecord("tensor_infer", lambda x: (torch.tensor([1, 2.5]), torch.tensor([True, False]), torch.tensor([[1], [2]])),
             lambda make: [((make(1),), {})], (torch.float32,)),
]

RECORDS += [
    OpRecord("new_zeros", lambda x: x.new_zeros(2, 3) + x.sum(), like, ALL),
    OpRecord("new_ones", lambda x: x.new_ones((3,), dtype=torch.float64), like, (torch.float32, torch.int64)),
    OpRecord("new_full", lambda x: x.new_full((2, 2), 3), like, ALL),
    OpRecord("new_full_float", lambda x: x.new_full([0, 4], 1.5, dtype=torch.float16), like, (torch.float32,)),
    OpRecord("new_empty_shape", lambda x: x.new_empty(3, 2).shape == (3, 2) and x * 1, like, (torch.float32,)),
]
