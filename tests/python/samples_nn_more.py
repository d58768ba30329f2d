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
