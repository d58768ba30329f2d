"""Sample records for the shape and indexing family of the op table."""

import torch
import torch.nn.functional as F

from samples_common import ALL, FLOATS, INTS, OpRecord

NUMERIC = FLOATS + INTS
F32 = (torch.float32,)


def idx(high, *shape, dtype=torch.int64):
    return torch.randint(0, high, shape, dtype=dtype)


# Indices hold slices and Ellipsis, which are not arguments thunder.jit accepts: samples name an
# index expression (a string constant) and pass its tensors as arguments.
INDEX = {
    "int": lambda: 1,
    "slices": lambda: (slice(1, None), None, Ellipsis, slice(None, None, 2)),
    "negative": lambda: (-1, slice(-2, None), slice(1, 3, 5)),
    "clamped": lambda: (slice(-10, 10), slice(5, 10)),
    "ellipsis_none": lambda: (Ellipsis, None),
    "empty": lambda: (),
    "list": lambda: [1, 0, 1],  # one index tensor
    "lists_apart": lambda: ([0, 1], slice(None), [-1, 2]),  # not adjacent: broadcast dims go first
    "nested_list": lambda: (slice(None), [[0, 1], [2, 2]], 0),
    "list_of_lists": lambda: [[0, 1], [1, 0]],  # read as a tuple, as torch does
    "mask_list": lambda: (None, [True, False]),  # a constant mask
    "true": lambda: True,
    "false": lambda: (slice(None), False),
    "true_and_list": lambda: (slice(None), True, [0, 2, 1]),
    "tensors": lambda i, j: (i, j),  # broadcast together
    "tensor_last": lambda i: (Ellipsis, i),
    "tensor_apart": lambda i, j: (i, slice(None), j),
    "int_slice_tensor": lambda i: (0, slice(1, None), i),
    "select_apart": lambda i, j: (i, None, slice(None), j),  # a zero-dim tensor selects, like an int
}


def getitem(x, key, *tensors):
    return x[INDEX[key](*tensors)]


def getitem_samples(make):
    x = make(2, 3, 4)
    basic = ["int", "slices", "negative", "clamped", "ellipsis_none", "empty"]
    return [((x, k), {}) for k in basic] + [
        ((make(), "ellipsis_none"), {}),
        ((make(4, 5, noncontig=True), "clamped"), {}),
    ]


def advanced_samples(make):
    x = make(2, 3, 4)
    const = ["list", "lists_apart", "nested_list", "list_of_lists", "mask_list", "true", "false", "true_and_list"]
    return [((x, k), {}) for k in const] + [
        ((x, "tensors", idx(2, 2, 1), idx(3, 5)), {}),
        ((x, "tensor_last", idx(4, 3).to(torch.int32)), {}),
        ((x, "tensor_apart", torch.tensor([[-1], [0]]), idx(4, 3)), {}),
        ((x, "int_slice_tensor", torch.tensor(-1)), {}),
        ((x, "select_apart", torch.tensor(1), torch.tensor([1, 0, -2])), {}),
        ((make(2, 0), "list"), {}),
        ((make(5, 6, noncontig=True), "tensors", idx(5, 3), torch.tensor([-6, 5, 0])), {}),
    ]


def uniq(high, rows, k):
    """Index rows without repeats, so scatters do not depend on write order (CUDA)."""
    return torch.stack([torch.randperm(high)[:k] for _ in range(rows)])


def take_samples(make):
    return [
        ((make(2, 3, 4), idx(3, 2, 2, 4), 1), {}),
        ((make(2, 1, 4), idx(4, 1, 3, 2), 2), {}),  # both broadcast except along dim
        ((make(3, 4), idx(12, 5)), {}),  # dim=None flattens
        ((make(), torch.tensor(0)), {}),
    ]


def scatter_samples(make):
    x = make(3, 4)
    return [
        ((x, 1, uniq(4, 3, 2), make(3, 3)), {}),
        ((x, 0, uniq(3, 4, 2).T, make(2, 4)), {}),
        ((x, -1, uniq(4, 2, 2)), {"value": 1}),
        ((x, 1, uniq(4, 3, 1).to(torch.int32), 2.5), {}),
        ((make(), 0, torch.tensor(0), make()), {}),
        ((make(5, 4, noncontig=True), 0, uniq(5, 4, 2).T, make(3, 4)), {}),
    ]


def index_add_samples(make):
    return [
        ((make(4, 3), 0, torch.tensor([0, 3, 2]), make(3, 3)), {}),
        ((make(4, 3), 1, torch.tensor([2, 0], dtype=torch.int32), make(4, 2)), {}),
        ((make(2, 3, 4), -1, torch.tensor([3, 1, 0]), make(2, 3, 3, noncontig=True)), {}),
        ((make(4, 3), 0, torch.tensor([1]), make(1, 3)), {"alpha": 2}),
        ((make(), 0, torch.tensor([0]), make()), {}),
    ]


def index_copy_samples(make):
    return [
        ((make(4, 3), 0, torch.tensor([3, 0]), make(2, 3)), {}),
        ((make(2, 5), 1, torch.tensor([4, 1, 2]), make(2, 3, noncontig=True)), {}),
        ((make(), 0, torch.tensor(0), make()), {}),
    ]


def split_samples(make):
    return [
        ((make(5, 4), 2), {}),
        ((make(5, 4), [1, 3], 1), {}),
        ((make(5, 4), 5, -1), {}),
        ((make(0, 4), 0), {}),
        ((make(6, 3, noncontig=True), (2, 0, 4)), {}),
    ]


def pad_samples(make):
    return [
        ((make(2, 3), (1, 2)), {}),
        ((make(2, 3, 4), (0, 1, 2, 0, 1, 1)), {"value": 2.5}),
        ((make(2, 3), (-1, 1, 1, -1)), {"mode": "constant", "value": 3}),
        ((make(3, 4, noncontig=True), [2, 2]), {}),
        ((make(0, 3), (1, 1, 1, 1)), {}),
    ]


RECORDS = [
    OpRecord("getitem", getitem, getitem_samples, ALL),
    OpRecord("getitem_advanced", getitem, advanced_samples, ALL),
    OpRecord("flatten", torch.flatten,
             lambda make: [((make(2, 3, 4),), {}), ((make(2, 3, 4), 1), {}), ((make(2, 3, 4, 5), -3, 2), {}),
                           ((make(),), {}), ((make(0, 2, 3), 1), {})],
             ALL),
    OpRecord("flatten_method", lambda x: x.flatten(end_dim=1), lambda make: [((make(2, 3, 4),), {})], F32),
    OpRecord("unflatten", torch.unflatten,
             lambda make: [((make(2, 12), 1, (3, 4)), {}), ((make(6, 2), 0, (-1, 2, 1)), {}), ((make(0, 4), -1, (2, 2)), {})],
             ALL),
    OpRecord("movedim", torch.movedim,
             lambda make: [((make(2, 3, 4), 0, -1), {}), ((make(2, 3, 4), (0, 1), (2, 0)), {}), ((make(), 0, 0), {})],
             ALL),
    OpRecord("moveaxis", lambda x: x.moveaxis(1, 0), lambda make: [((make(2, 3),), {})], F32),
    OpRecord("t", torch.t, lambda make: [((make(2, 3),), {}), ((make(3),), {}), ((make(),), {})], ALL),
    OpRecord("T", lambda x: x.T, lambda make: [((make(2, 3),), {}), ((make(4, 5, noncontig=True),), {})], ALL),
    OpRecord("mT", lambda x: x.mT, lambda make: [((make(2, 3),), {}), ((make(2, 3, 4),), {})], ALL),
    OpRecord("expand_as", lambda x, y: x.expand_as(y),
             lambda make: [((make(3, 1), make(2, 3, 4)), {}), ((make(), make(0, 2)), {})], ALL),
    OpRecord("broadcast_to", torch.broadcast_to,
             lambda make: [((make(3, 1), (2, 3, 4)), {}), ((make(4), (0, 4)), {}), ((make(2, 1), (-1, 3)), {})], ALL),
    OpRecord("repeat", lambda x, *r: x.repeat(*r),
             lambda make: [((make(2, 3), 2, 1), {}), ((make(2, 3), 1, 3, 2), {}), ((make(), 2), {}),
                           ((make(2, 3, noncontig=True), (0, 2)), {})],
             ALL),
    OpRecord("stack", lambda *ts: torch.stack(ts),
             lambda make: [((make(2, 3), make(2, 3)), {}), ((make(), make()), {}), ((make(0, 2),), {})], ALL),
    OpRecord("stack_dim", lambda x, y: torch.stack([x, y], dim=-1), lambda make: [((make(2, 3), make(2, 3)), {})],
             ALL),
    OpRecord("stack_promote", lambda x, y: torch.stack([x, y], 1),
             lambda make: [((make(2, 3), torch.randn(2, 3, dtype=torch.float64)), {})], ALL),
    OpRecord("hstack", lambda *ts: torch.hstack(ts),
             lambda make: [((make(2, 3), make(2, 1)), {}), ((make(3), make(), make(2)), {}),
                           ((make(0), make(2, 3, noncontig=True)), {}), ((make(2, 3), make(2, 2, 4)[..., 0]), {})],
             ALL),
    OpRecord("hstack_promote", lambda x, y: torch.hstack([x, y]),
             lambda make: [((make(2, 3), torch.randn(2, 2, dtype=torch.float64)), {})], ALL),
    OpRecord("vstack", lambda *ts: torch.vstack(ts),
             lambda make: [((make(3), make(2, 3)), {}), ((make(), make()), {}), ((make(2, 2, 3), make(1, 2, 3)), {})],
             ALL),
    OpRecord("row_stack", lambda x, y: torch.row_stack((x, y)), lambda make: [((make(3), make(3)), {})], F32),
    OpRecord("dstack", lambda *ts: torch.dstack(ts),
             lambda make: [((make(3), make(3)), {}), ((make(2, 3), make(2, 3, 2)), {}), ((make(), make()), {})],
             ALL),
    OpRecord("column_stack", lambda *ts: torch.column_stack(ts),
             lambda make: [((make(3), make(3, 2), make(3, noncontig=True)), {}), ((make(), make(1, 4)), {}),
                           ((make(2, 3, 4), make(2, 1, 4)), {})],
             ALL),
    OpRecord("repeat_interleave", torch.repeat_interleave,
             lambda make: [((make(2, 3), 2), {}), ((make(2, 3), 3, 1), {}), ((make(2, 3, noncontig=True), 2), {"dim": -2}),
                           ((make(), 3), {}), ((make(0, 2), 2, 0), {}), ((make(2, 3), 0, 1), {}),
                           ((make(2, 3), 2), {"dim": 0, "output_size": 4})],
             ALL),
    OpRecord("repeat_interleave_method", lambda x: x.repeat_interleave(2, dim=1), lambda make: [((make(2, 3),), {})],
             F32),
    OpRecord("repeat_interleave_tensor", torch.repeat_interleave,
             lambda make: [((make(2, 3), torch.tensor([1, 2])), {"dim": 0, "output_size": 3}),
                           ((make(2, 3), torch.tensor(2, dtype=torch.int32)), {"output_size": 12}),
                           ((make(2, 3), torch.tensor([0, 2, 1])), {"dim": -1, "output_size": 3})],
             ALL),
    OpRecord("repeat_interleave_repeats", lambda r: torch.repeat_interleave(r, output_size=4),
             lambda make: [((torch.tensor([1, 0, 3]),), {}), ((torch.tensor([2, 2], dtype=torch.int32),), {})], F32),
    OpRecord("split", torch.split, split_samples, ALL),
    OpRecord("split_method", lambda x: x.split(2, 1), lambda make: [((make(3, 5),), {})], F32),
    OpRecord("chunk", torch.chunk,
             lambda make: [((make(6, 2), 3), {}), ((make(6, 2), 5), {}), ((make(5, 2), 2, -1), {}), ((make(0, 2), 2), {})],
             ALL),
    OpRecord("unbind", torch.unbind, lambda make: [((make(3, 2),), {}), ((make(2, 3, 4), -1), {}), ((make(2, 0),), {})],
             ALL),
    OpRecord("narrow", torch.narrow,
             lambda make: [((make(4, 5), 0, 1, 2), {}), ((make(4, 5), -1, -3, 3), {}), ((make(4, 5), 1, 5, 0), {})], ALL),
    OpRecord("flip", torch.flip,
             lambda make: [((make(2, 3, 4), (0, 2)), {}), ((make(2, 3), [-1]), {}), ((make(), ()), {}),
                           ((make(4, 5, noncontig=True), (0, 1)), {})],
             ALL),
    OpRecord("roll", torch.roll,
             lambda make: [((make(3, 4), 1), {}), ((make(3, 4), (1, -5), (0, 1)), {}), ((make(3, 4), -2, 1), {}),
                           ((make(), 3), {}), ((make(0, 2), 1, 0), {})],
             ALL),
    OpRecord("tril", torch.tril,
             lambda make: [((make(3, 4),), {}), ((make(2, 4, 3), 1), {}), ((make(3, 3), -1), {}), ((make(0, 3),), {})],
             ALL),
    OpRecord("triu", lambda x, *a: x.triu(*a),
             lambda make: [((make(3, 4),), {}), ((make(2, 4, 3), -1), {}), ((make(3, 5, noncontig=True), 2), {})],
             ALL),
    OpRecord("pad", F.pad, pad_samples, ALL),
    OpRecord("diagonal", torch.diagonal,
             lambda make: [((make(3, 4),), {}), ((make(3, 4), 1), {}), ((make(2, 3, 4), -1, 2, 0), {}),
                           ((make(3, 4), 5), {}), ((make(4, 4, noncontig=True), 0, -1, -2), {})],
             ALL),
    OpRecord("gather", torch.gather,
             lambda make: [((make(3, 4), 1, idx(4, 3, 2)), {}), ((make(3, 4), 0, idx(3, 2, 4)), {}),
                           ((make(3, 4), -1, idx(4, 3, 6, dtype=torch.int32)), {}), ((make(), 0, torch.tensor(0)), {})],
             ALL),
    OpRecord("take_along_dim", torch.take_along_dim, take_samples, ALL),
    OpRecord("index_select", torch.index_select,
             lambda make: [((make(3, 4), 0, torch.tensor([2, 0, 2])), {}), ((make(3, 4), -1, torch.tensor(1)), {}),
                           ((make(3, 4, noncontig=True), 1, torch.tensor([3, 1], dtype=torch.int32)), {}),
                           ((make(), 0, torch.tensor([0])), {})],
             ALL),
    OpRecord("scatter", torch.scatter, scatter_samples, NUMERIC),
    OpRecord("scatter_add", torch.scatter_add,
             lambda make: [s for s in scatter_samples(make) if s[1] == {} and isinstance(s[0][3], torch.Tensor)], NUMERIC),
    OpRecord("index_add", torch.index_add, index_add_samples, NUMERIC),
    OpRecord("index_copy", lambda x, *a: x.index_copy(*a), index_copy_samples, ALL),
]

RECORDS += [
    OpRecord("contiguous", lambda x: x.t().contiguous(), lambda make: [((make(2, 3),), {}), ((make(0, 2),), {})], ALL),
]


def _set_rows(x):
    y = x * 1
    y[0] = 1
    y[1:, -1] = x[0, 0]
    return y


RECORDS += [
    OpRecord("setitem", _set_rows, lambda make: [((make(3, 4),), {}), ((make(2, 3, noncontig=True),), {})], ALL),
]

RECORDS += [
    OpRecord("clone", torch.clone, lambda make: [((make(2, 3),), {}), ((make(),), {}), ((make(0, 2),), {}),
                                                  ((make(3, 4, noncontig=True),), {})],
             ALL),
    OpRecord("clone_method", lambda x: x.t().clone(memory_format=torch.contiguous_format),
             lambda make: [((make(4, 2),), {})], ALL),
]
