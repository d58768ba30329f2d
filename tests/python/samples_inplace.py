"""Sample records for the ops torch offers only in place (copy_, fill_, zero_) and for index_fill
and index_put, whose in-place forms are the common ones."""

import torch

from samples_common import ALL, FLOATS, INTS, OpRecord


def _copy(x, src):
    y = x * 1
    y.copy_(src)
    return y


def _zero(x):
    y = x * 1
    y.zero_()
    return y


def copy_samples(make):
    return [
        ((make(3, 4), make(3, 4, noncontig=True)), {}),
        ((make(3, 4), make(4)), {}),  # broadcast
        ((make(2, 3), make(2, 3).to(torch.float64)), {}),  # cast
        ((make(), make()), {}),
        ((make(0, 2), make(2)), {}),
    ]


def fill_samples(make):
    return [
        ((make(3, 4), 2), {}),
        ((make(2, 3, noncontig=True), make()), {}),
        ((make(0, 3), 1), {}),
    ]


def index_fill_samples(make):
    return [
        ((make(4, 3), 0, torch.tensor([0, 2]), 1), {}),
        ((make(2, 5), -1, torch.tensor([4, 1, 1]), make()), {}),
        ((make(3, 4, noncontig=True), 1, torch.tensor(2), 0), {}),
    ]


def index_put_samples(make):
    return [
        ((make(4, 3), (torch.tensor([0, 2]),), make(2, 3)), {}),
        ((make(4, 3), (torch.tensor([3, 1]), torch.tensor([0, 2])), make(2)), {}),
        ((make(3, 4, noncontig=True), (torch.tensor([1]),), make(4)), {}),
    ]


RECORDS = [
    OpRecord("copy", _copy, copy_samples, ALL),
    OpRecord("fill", torch.fill, fill_samples, FLOATS + INTS),
    OpRecord("zero", _zero, lambda make: [((make(3, 2),), {}), ((make(),), {})], ALL),
    OpRecord("index_fill", torch.index_fill, index_fill_samples, FLOATS + INTS),
    OpRecord("index_put", torch.index_put, index_put_samples, ALL),
]
