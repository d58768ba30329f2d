"""Sample records for the margin, embedding and likelihood losses."""

import torch
import torch.nn.functional as F

from samples_common import FLOATS, OpRecord


def signs(make, *shape, noncontig=False):
    """A target of 1s and -1s in the sample's dtype."""
    x = make(*shape, noncontig=noncontig)
    return torch.where(x > 0, 1, -1).to(x.dtype) if x.numel() else x


def ranking_samples(make):
    return [
        ((make(5), make(5), signs(make, 5)), {}),
        ((make(3, 4), make(3, 4), signs(make, 3, 4)), {"margin": 0.5, "reduction": "none"}),
        ((make(4, 1), make(4, 3, noncontig=True), signs(make, 1, 3)), {"reduction": "sum"}),  # broadcasting
        ((make(), make(), signs(make)), {}),
        ((make(0), make(0), make(0)), {"reduction": "sum"}),
    ]


def triplet_samples(make):
    return [
        ((make(4, 3), make(4, 3), make(4, 3)), {}),
        ((make(4, 3), make(4, 3), make(4, 3, noncontig=True)), {"margin": 0.3, "p": 1, "swap": True, "reduction": "none"}),
        ((make(5), make(5), make(5)), {"reduction": "sum"}),
        ((make(2, 3), make(1, 3), make(2, 3)), {"eps": 1e-3}),  # broadcasting
        ((make(0, 3), make(0, 3), make(0, 3)), {"reduction": "sum"}),
    ]


def hinge_samples(make):
    return [
        ((make(3, 4), signs(make, 3, 4)), {}),
        ((make(3, 4, noncontig=True), signs(make, 3, 4)), {"margin": 0.5, "reduction": "none"}),
        ((make(3, 4), signs(make, 4)), {"reduction": "sum"}),
        ((make(), signs(make)), {}),
        ((make(0, 2), make(0, 2)), {"reduction": "sum"}),
    ]


def multilabel_samples(make):
    p = lambda *s: make(*s, low=0, high=1)  # noqa: E731
    return [
        ((make(3, 4), p(3, 4)), {}),
        ((make(3, 4, noncontig=True), p(3, 4)), {"weight": make(4, low=0.1, high=1), "reduction": "none"}),
        ((make(2, 3, 5), p(2, 3, 5)), {"reduction": "sum"}),
        ((make(5), p(5)), {}),
        ((make(0, 3), p(0, 3)), {"reduction": "sum"}),
    ]


def cosine_embedding_samples(make):
    return [
        ((make(4, 3), make(4, 3), signs(make, 4)), {}),
        ((make(4, 3, noncontig=True), make(4, 3), signs(make, 4)), {"margin": 0.2, "reduction": "none"}),
        ((make(5), make(5), signs(make)), {"reduction": "sum"}),
        ((make(4, 3), make(1, 3), signs(make, 4)), {}),  # broadcasting
        ((make(0, 3), make(0, 3), make(0)), {"reduction": "sum"}),
    ]


def poisson_samples(make):
    pos = lambda *s, **kw: make(*s, low=0.1, high=4, **kw)  # noqa: E731
    return [
        ((make(3, 4), pos(3, 4)), {}),
        ((pos(3, 4), pos(3, 4)), {"log_input": False, "reduction": "none"}),
        ((make(3, 4, noncontig=True), pos(3, 4)), {"full": True, "reduction": "sum"}),
        ((pos(3, 4), pos(4)), {"log_input": False, "full": True, "eps": 1e-3}),
        ((make(), pos()), {}),
        ((make(0, 2), make(0, 2)), {"reduction": "sum"}),
    ]


def gaussian_samples(make):
    var = lambda *s, **kw: make(*s, low=0.05, high=2, **kw)  # noqa: E731
    return [
        ((make(3, 4), make(3, 4), var(3, 4)), {}),
        ((make(3, 4), make(3, 4), var(3)), {"full": True, "reduction": "none"}),  # homoscedastic
        ((make(3, 4, noncontig=True), make(3, 4), var(3, 1)), {"reduction": "sum"}),
        ((make(3, 4), make(3, 4), make(3, 4, low=0, high=1e-7)), {"eps": 1e-3}),  # clamped below
        ((make(2, 3), make(2, 3), 0.5), {}),
        ((make(0, 2), make(0, 2), var(0, 2)), {"reduction": "sum"}),
    ]


RECORDS = [
    OpRecord("margin_ranking_loss", F.margin_ranking_loss, ranking_samples),
    OpRecord("triplet_margin_loss", F.triplet_margin_loss, triplet_samples, decomp_tol=4.0),
    OpRecord("hinge_embedding_loss", F.hinge_embedding_loss, hinge_samples),
    OpRecord("soft_margin_loss", F.soft_margin_loss,
             lambda make: [(args, {k: v for k, v in kw.items() if k != "margin"}) for args, kw in hinge_samples(make)]),
    OpRecord("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss, multilabel_samples),
    OpRecord("cosine_embedding_loss", F.cosine_embedding_loss, cosine_embedding_samples, decomp_tol=4.0),
    OpRecord("poisson_nll_loss", F.poisson_nll_loss, poisson_samples),
    OpRecord("gaussian_nll_loss", F.gaussian_nll_loss, gaussian_samples),
]

