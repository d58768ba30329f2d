"""Sample records for scans and sorted-sequence lookups (logcumsumexp, cummax, cummin, searchsorted,
bucketize) and for the products and differences built from other ops (cdist, tensordot, diff,
cross)."""

import torch

from samples_common import ALL, FLOATS, INTS, OpRecord


def scan_samples(make):
    return [
        ((make(2, 3, 4), 1), {}),
        ((make(3, 5), -1), {}),
        ((make(), 0), {}),
        ((make(0, 3), 1), {}),
        ((make(5, 6, noncontig=True), 0), {}),
    ]


def sorted_(t, dim=-1):
    return torch.sort(t, dim).values


def searchsorted_samples(make):
    return [
        ((sorted_(make(5)), make(3, 4)), {}),
        ((sorted_(make(3, 5)), make(3, 4)), {"right": True}),
        ((sorted_(make(6)), make()), {"out_int32": True}),
        ((sorted_(make(5)), make(0, 2)), {"side": "right"}),
        ((sorted_(make(4)), make(4, 5, noncontig=True)), {"side": "left"}),
        ((sorted_(make(2, 4, noncontig=True)), make(2, 3)), {}),
        ((sorted_(make(5)), 3), {}),  # a Python number
    ]


def sorter_samples(make):
    b = make(6)
    return [((b, make(3, 4)), {"sorter": torch.argsort(b)}), ((b, make(2)), {"sorter": torch.argsort(b), "right": True})]


def bucketize_samples(make):
    return [
        ((make(3, 4), sorted_(make(5))), {}),
        ((make(3, 4), sorted_(make(5))), {"right": True, "out_int32": True}),
        ((make(), sorted_(make(3))), {}),
        ((make(0, 2), sorted_(make(3))), {}),
        ((make(4, 5, noncontig=True), sorted_(make(0))), {}),
    ]


RECORDS = [
    OpRecord("logcumsumexp", torch.logcumsumexp, scan_samples),
    OpRecord("logcumsumexp_method", lambda x: x.logcumsumexp(0),
             lambda make: [((make(4, 3),), {}), ((torch.tensor([-1e4, 0.0, 1e4, -float("inf"), float("inf")]),), {})],
             (torch.float32, torch.float64)),
    OpRecord("cummax", torch.cummax, scan_samples, ALL),
    OpRecord("cummin", torch.cummin, scan_samples, ALL),
    OpRecord("cummax_method", lambda x: x.cummax(-1).values + x.cummin(0)[0], lambda make: [((make(3, 4),), {})]),
    OpRecord("searchsorted", torch.searchsorted, searchsorted_samples, FLOATS + INTS),
    OpRecord("searchsorted_sorter", torch.searchsorted, sorter_samples, (torch.float32, torch.int64)),
    OpRecord("bucketize", torch.bucketize, bucketize_samples, FLOATS + INTS),
]


def cdist_samples(make):
    return [
        ((make(4, 3), make(5, 3)), {}),
        ((make(2, 4, 3), make(5, 3)), {"p": 1.0}),  # batch dims broadcast
        ((make(3, 2), make(3, 2, noncontig=True)), {"p": 3.0}),
        ((make(4, 3), make(2, 4, 3)), {"p": float("inf")}),
        ((make(3, 2), make(4, 2)), {"p": 0.5}),
        ((make(30, 3), make(27, 3)), {}),  # torch takes its matrix-product path above 25 rows
        ((make(0, 3), make(2, 3)), {}),
    ]


def same_rows(make):
    x = make(4, 3)
    return [((x, x.clone()), {}), ((x, x.clone()), {"p": 1.5})]  # zero distances: zero gradients


def tensordot_samples(make):
    return [
        ((make(2, 3, 4), make(3, 4, 5)), {}),
        ((make(2, 3), make(3, 5)), {"dims": 1}),
        ((make(2, 3, 4), make(4, 2, 5)), {"dims": ([0, 2], [1, 0])}),
        ((make(3, 4, noncontig=True), make(4, 3)), {"dims": ([1, 0], [0, 1])}),
        ((make(2, 3), make(4, 5)), {"dims": 0}),  # outer product
        ((make(2, 1), make(3, 5)), {"dims": 1}),  # a size-1 dim against a longer one
        ((make(0, 3), make(3, 2)), {"dims": 1}),
    ]


def diff_samples(make):
    return [
        ((make(5),), {}),
        ((make(3, 4),), {"n": 2, "dim": 0}),
        ((make(3, 4, noncontig=True),), {"prepend": make(3, 2), "append": make(3, 1)}),
        ((make(3, 4),), {"dim": 0, "append": make(2, 4)}),
        ((make(3),), {"n": 5}),
        ((make(0, 3),), {"n": 0}),
        ((make(2, 0),), {}),
    ]


def cross_samples(make):
    return [
        ((make(3), make(3)), {}),
        ((make(4, 3), make(4, 3)), {"dim": 1}),
        ((make(3, 5, noncontig=True), make(3, 5)), {"dim": 0}),
        ((make(2, 1, 3), make(4, 3)[None]), {"dim": -1}),
        ((make(0, 3), make(0, 3)), {"dim": 1}),
    ]


def linalg_cross_samples(make):
    return [
        ((make(3), make(3)), {}),
        ((make(4, 3), make(1, 3)), {}),  # broadcasting
        ((make(3, 5, noncontig=True), make(3, 5)), {"dim": 0}),
        ((make(0, 3), make(0, 3)), {}),
    ]


RECORDS += [
    OpRecord("cdist", torch.cdist, cdist_samples, (torch.float32, torch.float64), decomp_tol=8.0),
    OpRecord("cdist_same_rows", torch.cdist, same_rows, (torch.float32, torch.float64)),
    # integer products on CUDA: torch has no int64 GEMM there and raises, except in degenerate shapes
    # (empty, or a 1 x 1 result) it computes without one; matmul refuses them all on CUDA
    OpRecord("tensordot", torch.tensordot, tensordot_samples, FLOATS + (torch.int64,), decomp_tol=4.0,
             not_on_cuda=(torch.int64,)),
    OpRecord("diff", torch.diff, diff_samples, ALL),
    OpRecord("diff_method", lambda x: x.diff(dim=0), lambda make: [((make(3, 4),), {})]),
    OpRecord("cross", torch.cross, cross_samples, FLOATS + INTS),
    OpRecord("cross_default_dim", lambda x, y: x.cross(y), lambda make: [((make(2, 3, 4), make(2, 3, 4)), {})]),
    OpRecord("linalg_cross", torch.linalg.cross, linalg_cross_samples, FLOATS + INTS),
]
