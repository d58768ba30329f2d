"""Sample records for the random family. Every record is `random=True`: the harness seeds torch's
generator before the eager call and before the compiled call, so the compiled program must draw the
same numbers in the same order. Functions mix random ops with other ops and take the sizes,
dtypes and devices from their tensor argument."""

import torch
import torch.nn.functional as F

from samples_common import FLOATS, INTS, OpRecord

REALS = (torch.float32, torch.float64, torch.bfloat16, torch.float16)


def shapes(make):
    return [((make(2, 3),), {}), ((make(),), {}), ((make(0, 4),), {}), ((make(3, 4, noncontig=True),), {})]


def probs(make):
    return [((make(2, 3, low=0, high=1),), {}), ((make(low=0, high=1),), {}), ((make(0, 4),), {}),
            ((make(3, 4, noncontig=True, low=0, high=1),), {})]


def one(make):
    return [((make(2, 3),), {})]


def rec(name, fn, samples, dtypes, **kw):
    return OpRecord(name, fn, samples, dtypes, random=True, **kw)


RECORDS = [
    # factories: varargs and sequence sizes, dtype=, device=, mixed with other ops
    rec("rand", lambda x: torch.rand(x.shape, dtype=x.dtype, device=x.device) + x, shapes, FLOATS),
    rec("rand_sequence", lambda x: (torch.rand(x.shape), torch.rand(2, 3), torch.rand([])), one, (torch.float32,)),
    rec("randn", lambda x: x * torch.randn(x.shape, dtype=x.dtype, device=x.device), shapes, FLOATS),
    rec("randn_complex", lambda x: torch.randn(2, 2, dtype=torch.complex64), one, (torch.float32,)),
    rec("rand_like", lambda x: torch.rand_like(x) * 2 - x, shapes, FLOATS),
    rec("randn_like", lambda x: (torch.randn_like(x), torch.randn_like(x, dtype=torch.float64)), shapes, FLOATS),
    rec("randint", lambda x: (torch.randint(10, x.shape, device=x.device), torch.randint(-3, 4, (2, 2), dtype=x.dtype),
                              torch.randint(5, size=(3,))), shapes, (torch.float32, torch.int64, torch.int32)),
    rec("randint_keywords", lambda x: torch.randint(low=2, high=9, size=(4,)) + torch.randint(high=3, size=(4,)),
        one, (torch.float32,)),
    rec("randint_like", lambda x: (torch.randint_like(x, 2), torch.randint_like(x, 3, 7), torch.randint_like(x, high=5)),
        shapes, FLOATS + INTS),
    rec("randint_like_bool", lambda x: (torch.randint_like(x, 2), torch.randint_like(x, 0, 2)), shapes, (torch.bool,)),
    rec("randperm", lambda x: (torch.randperm(x.numel(), device=x.device), torch.randperm(5, dtype=x.dtype)),
        shapes, (torch.float32, torch.int64, torch.uint8, torch.float16)),
    rec("bernoulli", torch.bernoulli, probs, FLOATS),
    rec("bernoulli_p", lambda x: (torch.bernoulli(x, 0.3), x.bernoulli(p=0.75)), shapes, FLOATS + INTS + (torch.bool,)),
    rec("multinomial", lambda p: (torch.multinomial(p, 2), p.multinomial(5, True)),
        lambda make: [((make(4, low=0.1, high=1),), {}), ((make(3, 4, low=0.1, high=1),), {}),
                      ((make(2, 5, noncontig=True, low=0.1, high=1),), {})], (torch.float32, torch.float64)),
    rec("normal_tensors", lambda m, s: torch.normal(m, s), lambda make: [
        ((make(2, 3), make(2, 3, low=0, high=2)), {}), ((make(4, 1, 3), make(3, low=0, high=1)), {}),
        ((make(), make(0, 2, low=0, high=1)), {})], FLOATS),
    rec("normal_float_std", lambda m: (torch.normal(m), torch.normal(m, 2.0), torch.normal(mean=m, std=0.5)), shapes,
        FLOATS),
    rec("normal_float_mean", lambda s: torch.normal(1.5, s.abs()), shapes, FLOATS),
    rec("normal_size", lambda x: (torch.normal(0.0, 1.0, (2, 3)), torch.normal(2, 3, size=x.shape, dtype=x.dtype)),
        shapes, FLOATS),
    # in-place fills, on inputs and on intermediates (made functional, then written back)
    rec("uniform_", lambda x: (torch.empty_like(x).uniform_(-2, 3), x.uniform_()), shapes, FLOATS),
    rec("normal_", lambda x: (torch.empty_like(x).normal_(1.0, 0.5), x.normal_()), shapes, FLOATS),
    rec("bernoulli_", lambda x: (torch.zeros_like(x).bernoulli_(), x.bernoulli_(0.25)), shapes, REALS + INTS + (torch.bool,)),
    # the second fill is a CPU tensor with the input's probabilities (CUDA ones on a GPU): torch
    # moves p to the filled tensor's device
    rec("bernoulli_tensor_p", lambda x: (torch.zeros(4, *x.shape, dtype=x.dtype, device=x.device).bernoulli_(x.abs() / (x.abs() + 1)),
                                         torch.zeros(4, *x.shape, dtype=x.dtype).bernoulli_(x.abs() / (x.abs() + 1))),
        shapes, FLOATS),
    rec("random_", lambda x: (torch.zeros_like(x).random_(), torch.zeros_like(x).random_(2), x.random_(-1 if x.dtype != torch.uint8 and x.dtype != torch.bool else 0, 2)),
        shapes, FLOATS + INTS + (torch.bool,)),
    rec("exponential_", lambda x: (torch.empty_like(x).exponential_(), x.exponential_(2.5)), shapes, FLOATS),
    # dropout in training (opaque) and its identity cases (decomposed)
    rec("dropout", lambda x: (F.dropout(x, 0.5), F.dropout(x * 2, p=0.2, training=True), F.dropout(x, 0.5, False),
                              F.dropout(x, 0.0), torch.dropout(x, 0.3, True)), shapes, FLOATS),
    rec("dropout_p1", lambda x: F.dropout(x, 1.0), shapes, FLOATS + INTS + (torch.bool,)),
    rec("dropout_int_identity", lambda x: F.dropout(x, 0.5, training=False), shapes, INTS + (torch.bool,)),
    rec("dropout_inplace", lambda x: F.dropout(x, 0.5, inplace=True), shapes, (torch.float32,)),
    rec("dropout1d", lambda x: (F.dropout1d(x, 0.5), F.dropout1d(x, 0.5, training=False)),
        lambda make: [((make(2, 3, 4),), {}), ((make(3, 5),), {}), ((make(2, 3, 4, noncontig=True),), {})], FLOATS),
    rec("dropout2d", lambda x: F.dropout2d(x, 0.4), lambda make: [((make(2, 3, 4, 5),), {}), ((make(3, 4, 5),), {})],
        FLOATS),
    rec("dropout3d", lambda x: F.dropout3d(x, 0.4), lambda make: [((make(2, 3, 2, 4, 5),), {}), ((make(3, 2, 4, 5),), {})],
        FLOATS),
    rec("alpha_dropout", lambda x: (F.alpha_dropout(x, 0.5, True), F.alpha_dropout(x, 0.5)), shapes, FLOATS),
    rec("feature_alpha_dropout", lambda x: (F.feature_alpha_dropout(x, 0.3, True), F.feature_alpha_dropout(x)),
        lambda make: [((make(2, 3, 4),), {}), ((make(2, 3, 4, 5),), {})], FLOATS),
]
