"""Sample records for the reductions family of the op table."""

import torch

from samples_common import ALL, FLOATS, INTS, OpRecord, reduction_samples

NO_BOOL = FLOATS + INTS


def nonempty(samples):
    return lambda make: [s for s in samples(make) if s[0][0].numel() > 0]


def dim_samples(make):
    """One int dim (torch.max, argmax, cumsum, ... take no tuples)."""
    return [
        ((make(2, 3, 4), 1), {}),
        ((make(2, 3, 4), -1), {"keepdim": True}),
        ((make(), 0), {}),
        ((make(0, 3), 1), {}),
        ((make(5, 6, noncontig=True), 0), {}),
    ]


def small(make):
    """Products of few numbers near 1, so float16 does not overflow."""
    return [
        ((make(2, 3, low=0.5, high=2),), {}),
        ((make(2, 3, low=0.5, high=2), 1), {}),
        ((make(3, 2, low=-2, high=2, noncontig=True), 0, True), {}),
        ((make(low=0.5, high=2),), {}),
        ((make(0, 2),), {}),
    ]


def var_samples(make):
    return [
        ((make(2, 3, 4),), {}),
        ((make(2, 3, 4), 1), {}),
        ((make(2, 3, 4), (0, 2)), {"keepdim": True, "correction": 0}),
        ((make(4, 5), -1), {"correction": 2.5}),
        ((make(4, 5),), {"unbiased": False}),
        ((make(4, 5), None), {"unbiased": True, "keepdim": True}),
        ((make(),), {"correction": 0}),
        ((make(0, 3), 1), {}),
        ((make(5, 6, noncontig=True), 0), {}),
    ]


def norm_samples(make):
    return [
        ((make(2, 3, 4),), {}),
        ((make(2, 3, 4), 1, (0, 2)), {}),
        ((make(2, 3, 4), float("inf"), -1), {"keepdim": True}),
        ((make(2, 3, 4), -float("inf")), {}),
        ((make(3, 4), 0, 1), {}),
        ((make(3, 4), 3, 0), {}),
        ((make(3, 4, low=0.5, high=3), -1.5), {}),
        ((make(),), {}),
        ((make(0, 3),), {}),
        ((make(5, 6, noncontig=True), 2, 1), {}),
    ]


def topk_samples(make):
    return [
        ((make(3, 5), 2), {}),
        ((make(3, 5), 3, 0), {"largest": False}),
        ((make(4, 6, noncontig=True), 0, -1), {}),
        ((make(), 1), {}),
        ((make(0, 4), 2), {}),
    ]


def sort_samples(make):
    return [
        ((make(3, 5),), {}),
        ((make(3, 5), 0, True), {}),
        ((make(4, 6, noncontig=True),), {"dim": 0, "descending": True, "stable": True}),
        ((make(2, 7),), {"stable": True}),
        ((make(),), {}),
        ((make(0, 4),), {}),
    ]


def lse_samples(make):
    return [
        ((make(2, 3, 4), 1), {}),
        ((make(2, 3, 4), (0, 2), True), {}),
        ((make(), 0), {}),
        ((make(0, 3), 0), {}),
        ((make(5, 6, noncontig=True), -1), {}),
    ]


def lse_inf(make):
    x = make(3, 4)
    if x.is_floating_point():
        x[0] = float("-inf")
        x[1, 2] = float("inf")
    return [((x, 1), {})]


RECORDS = [
    OpRecord("prod", torch.prod, small, ALL),
    OpRecord("prod_dtype", lambda x: x.prod(1, dtype=torch.float64), lambda make: [((make(2, 3),), {})], ALL),
    OpRecord("amin", torch.amin, nonempty(reduction_samples), NO_BOOL + (torch.bool,)),
    OpRecord("amin_method", lambda x: x.amin((0, 1), True), lambda make: [((make(2, 3, 4),), {})], FLOATS),
    OpRecord("max", torch.max, lambda make: [((make(2, 3),), {}), ((make(),), {})] + dim_samples(make), ALL),
    OpRecord("max_method", lambda x: x.max(dim=0), lambda make: [((make(3, 2),), {})], FLOATS),
    OpRecord("min", torch.min, lambda make: [((make(2, 3),), {})] + dim_samples(make), ALL),
    OpRecord("max_nan", lambda x: torch.max(x, 1),
             lambda make: [((torch.tensor([[1.0, float("nan"), 2.0], [3.0, 1.0, 3.0]], dtype=make().dtype),), {})],
             FLOATS),
    OpRecord("argmax", torch.argmax,
             lambda make: [((make(2, 3),), {}), ((make(2, 3),), {"keepdim": True}), ((make(),), {})] + dim_samples(make),
             NO_BOOL),
    OpRecord("argmin", lambda x, *a, **k: x.argmin(*a, **k),
             lambda make: [((make(4, 3),), {})] + dim_samples(make), NO_BOOL),
    OpRecord("all", torch.all, reduction_samples, ALL),
    OpRecord("any", lambda x, *a, **k: x.any(*a, **k), reduction_samples, ALL),
    OpRecord("any_dims", lambda x: (torch.any(x, dim=(0, 2)), x.all(())), lambda make: [((make(2, 0, 3),), {})], ALL),
    OpRecord("logsumexp", torch.logsumexp, lse_samples, ALL),
    OpRecord("logsumexp_inf", lambda x, d: x.logsumexp(d), lse_inf, FLOATS),
    OpRecord("cumsum", torch.cumsum, lambda make: [s for s in dim_samples(make) if not s[1]], ALL),
    OpRecord("cumsum_dtype", lambda x: x.cumsum(0, dtype=torch.float64), lambda make: [((make(3, 2),), {})], ALL),
    OpRecord("int_dtype", lambda x: (x.cumsum(0, dtype=torch.int32), x.prod(1, dtype=torch.int16), x.sum(dtype=torch.int8)),
             lambda make: [((make(3, 2),), {})], ALL),
    OpRecord("cumprod", torch.cumprod,
             lambda make: [((make(2, 3, low=0.5, high=2), 1), {}), ((make(), 0), {}), ((make(0, 3), 1), {}),
                           ((make(4, 3, low=-2, high=2, noncontig=True), -1), {})],
             ALL),
    OpRecord("topk", torch.topk, topk_samples, NO_BOOL),
    OpRecord("topk_method", lambda x: x.topk(2, sorted=True), lambda make: [((make(3, 4),), {})], FLOATS),
    OpRecord("sort", torch.sort, sort_samples, ALL),
    OpRecord("sort_method", lambda x: x.sort(descending=True), lambda make: [((make(3, 4),), {})], FLOATS),
    OpRecord("argsort", torch.argsort, sort_samples, ALL),
    OpRecord("var", torch.var, var_samples, FLOATS),
    OpRecord("var_legacy", lambda x: (torch.var(x, False), x.var(1, False, True)), lambda make: [((make(3, 4),), {})],
             FLOATS),
    OpRecord("std", lambda x, *a, **k: x.std(*a, **k), var_samples, FLOATS),
    OpRecord("var_mean", torch.var_mean, var_samples, FLOATS),
    OpRecord("std_mean", torch.std_mean, var_samples, FLOATS),
    OpRecord("vector_norm", torch.linalg.vector_norm, norm_samples, FLOATS),
    OpRecord("vector_norm_dtype", lambda x: torch.linalg.vector_norm(x, 2, 1, dtype=torch.float64),
             lambda make: [((make(3, 4),), {})], FLOATS),
    OpRecord("norm", torch.norm,
             lambda make: [((make(2, 3, 4),), {}), ((make(2, 3, 4), "fro", (0, 1)), {}), ((make(3, 4), 1, 0, True), {}),
                           ((make(3, 4), None), {}), ((make(3, 4),), {"p": float("inf"), "dim": 1}),
                           ((make(3, 4),), {"dtype": torch.float64})],
             FLOATS),
    OpRecord("norm_method", lambda x: x.norm(3, -1), lambda make: [((make(3, 4),), {})], FLOATS),
]
