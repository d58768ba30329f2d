"""Sample records for the nn ops added after the first nn slice: more activations, prelu,
pixel_shuffle/unshuffle, similarity and distance functions, and more losses."""

import torch
import torch.nn.functional as F

from samples_common import FLOATS, INTS, OpRecord, unary_samples

RECORDS = [
    OpRecord("celu", lambda x: F.celu(x, alpha=0.7), unary_samples),
    OpRecord("selu", F.selu, unary_samples),
    OpRecord("softsign", F.softsign, unary_samples, FLOATS + INTS),
    OpRecord("tanhshrink", F.tanhshrink, unary_samples, FLOATS + (torch.int64,)),
    OpRecord("softshrink", F.softshrink, lambda make: unary_samples(make) + [((make(3, 4), 0.2), {})]),
    OpRecord("hardshrink", F.hardshrink, lambda make: unary_samples(make) + [((make(3, 4),), {"lambd": 1.5})]),
    OpRecord("threshold", F.threshold,
             lambda make: [((make(3, 4), 0.5, -2), {}), ((make(), 1, 0.5), {}), ((make(0, 2), 0, 1), {}),
                           ((make(4, 5, noncontig=True), -1.5, 3), {})],
             FLOATS + (torch.int64, torch.int32)),
    # uint8 takes negative int fill values down to -255, wrapped (c10's checked conversion)
    OpRecord("threshold_uint8_wrap", lambda x: (F.threshold(x, 1, -2), F.threshold(x, 200, -255), torch.full((2,), -1, dtype=torch.uint8)),
             lambda make: [((make(3, 4),), {}), ((make(0, 2),), {})], (torch.uint8,)),
    OpRecord("threshold_nan", lambda x: F.threshold(x, 0.0, 7.0),
             lambda make: [((torch.tensor([float("nan"), -1.0, 0.0, 2.0]),), {})], (torch.float32,)),
    OpRecord("rrelu_eval", F.rrelu, lambda make: unary_samples(make) + [((make(3, 4), 0.1, 0.5), {})]),
    OpRecord("rrelu_training", lambda x: F.rrelu(x, 0.1, 0.3, True), unary_samples, (torch.float32, torch.float64),
             random=True),
    OpRecord("softmin", F.softmin,
             lambda make: [((make(2, 3), 1), {}), ((make(0, 3), 0), {}), ((make(4, 5, noncontig=True), -1), {}),
                           ((make(3, 4), 0), {"dtype": torch.float64})]),
    OpRecord("prelu", F.prelu,
             lambda make: [((make(2, 3, 4), make(3)), {}), ((make(2, 3), make(1)), {}), ((make(5), make(1)), {}),
                           ((make(2, 3, 4, 2, noncontig=True), make(3)), {}), ((make(0, 3), make(3)), {})]),
    OpRecord("pixel_shuffle", F.pixel_shuffle,
             lambda make: [((make(1, 8, 2, 3), 2), {}), ((make(2, 3, 9, 2, 2), 3), {}), ((make(4, 1, 1), 1), {}),
                           ((make(0, 4, 2, 2, noncontig=True), 2), {})],
             FLOATS + INTS + (torch.bool,)),
    OpRecord("pixel_unshuffle", F.pixel_unshuffle,
             lambda make: [((make(1, 2, 4, 6), 2), {}), ((make(3, 6, 3), 3), {}), ((make(2, 2, 4, 4, noncontig=True), 2), {})],
             FLOATS + INTS + (torch.bool,)),
]


def loss_pair_samples(make):
    return [
        ((make(3, 4), make(3, 4)), {}),
        ((make(3, 4), make(3, 4)), {"reduction": "none"}),
        ((make(3, 4, noncontig=True), make(3, 4)), {"reduction": "sum"}),
        ((make(0, 2), make(0, 2)), {"reduction": "sum"}),
        ((make(), make()), {}),
    ]


def kl_samples(make):
    p = lambda *s: make(*s, low=0, high=1)  # noqa: E731
    return [
        ((make(3, 4), p(3, 4)), {"reduction": "batchmean"}),
        ((make(3, 4), p(3, 4)), {"reduction": "none"}),
        ((make(3, 4, noncontig=True), make(3, 4)), {"reduction": "sum", "log_target": True}),
        ((make(2, 3), p(2, 3)), {}),
        ((make(), p()), {"reduction": "batchmean"}),
    ]


def similarity_samples(make):
    return [
        ((make(3, 4), make(3, 4)), {}),
        ((make(4, 1, 3), make(5, 3)), {"dim": -1}),  # broadcasting
        ((make(2, 5, noncontig=True), make(2, 5)), {"dim": 0, "eps": 1e-3}),
        ((make(0, 3), make(0, 3)), {}),
    ]


def distance_samples(make):
    return [
        ((make(3, 4), make(3, 4)), {}),
        ((make(4, 3), make(3)), {"p": 1.0}),
        ((make(2, 5, noncontig=True), make(2, 5)), {"p": 3.0, "keepdim": True}),
        ((make(5), make(5)), {"p": float("inf")}),
        ((make(0, 3), make(0, 3)), {}),
    ]


RECORDS += [
    OpRecord("huber_loss", F.huber_loss, loss_pair_samples),
    OpRecord("huber_loss_delta", lambda x, y, w: F.huber_loss(x, y, delta=0.3, weight=w),
             lambda make: [((make(3, 4), make(3, 4), make(3, 4, low=0.1, high=1)), {})]),
    OpRecord("kl_div", F.kl_div, kl_samples),
    OpRecord("cosine_similarity", F.cosine_similarity, similarity_samples, decomp_tol=4.0),
    OpRecord("cosine_similarity_int", lambda x, y: torch.cosine_similarity(x, y.float()),
             lambda make: [((make(3, 4), make(3, 4)), {})], (torch.int64,)),
    OpRecord("pairwise_distance", F.pairwise_distance, distance_samples, decomp_tol=4.0),
]


def nan_samples(make):
    x = make(3, 4)
    if x.is_floating_point():
        x[0, 1] = float("nan")
        x[2, :] = float("nan")
    return [((x,), {}), ((x, 1), {}), ((x, (0, 1), True), {}), ((make(0, 3), 0), {}),
            ((make(4, 5, noncontig=True), -1), {})]


RECORDS += [
    OpRecord("view_as", lambda x, y: x.view_as(y), lambda make: [((make(2, 6), make(3, 4)), {}), ((make(0, 2), make(2, 0)), {})]),
    OpRecord("reshape_as", lambda x, y: x.t().reshape_as(y), lambda make: [((make(2, 6), make(3, 4)), {})]),
    OpRecord("logit", torch.logit, lambda make: unary_samples(make, low=0.05, high=0.95) + [((make(3, 4, low=0, high=1), 0.1), {})]),
    OpRecord("logit_int", lambda x: torch.logit(x, eps=0.2), lambda make: [((make(3, 4, low=0, high=2),), {})], (torch.int64,)),
    OpRecord("sinc", torch.sinc, lambda make: unary_samples(make) + [((torch.tensor([0.0, 1.0, -0.5]),), {})], FLOATS + INTS),
    OpRecord("nansum", torch.nansum, nan_samples, FLOATS + INTS),
    OpRecord("nansum_dtype", lambda x: x.nansum(dtype=torch.float64), lambda make: [((make(3, 4),), {})], FLOATS),
    OpRecord("nanmean", torch.nanmean, nan_samples),
    OpRecord("count_nonzero", torch.count_nonzero,
             lambda make: [((make(3, 4),), {}), ((make(3, 4), 1), {}), ((make(2, 3, 4), (0, 2)), {}), ((make(0, 2),), {})],
             FLOATS + INTS + (torch.bool,)),
]
