"""Sample records for the margin, embedding and likelihood losses, and for unfold/fold,
embedding_bag, instance_norm and local_response_norm."""

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


def unfold_samples(make):
    return [
        ((make(2, 3, 5, 6), 2), {}),
        ((make(1, 2, 6, 7), (2, 3)), {"dilation": (2, 1), "padding": 1, "stride": (2, 3)}),
        ((make(3, 4, 4), 3), {"padding": (1, 0)}),  # unbatched
        ((make(2, 2, 5, 5, noncontig=True), 2), {"stride": 2}),
        ((make(0, 2, 3, 3), 2), {}),
    ]


def fold_samples(make):
    return [
        ((make(2, 3 * 4, 20), (5, 6), 2), {}),
        ((make(1, 2 * 6, 9), (6, 7), (2, 3)), {"dilation": (2, 1), "padding": 1, "stride": (2, 3)}),
        ((make(3 * 9, 8), 4, 3), {"padding": (1, 0)}),  # unbatched
        ((make(2, 2 * 4, 4, noncontig=True), (4, 4), 2), {"stride": 2}),
        ((make(0, 4, 4), (3, 3), 2), {}),
    ]


def bag_index(*shape, high=6):
    return torch.randint(0, high, shape)


def embedding_bag_samples(make):
    w = make(6, 3)
    return [
        ((bag_index(4, 3), w), {}),
        ((bag_index(4, 3), w), {"mode": "sum", "per_sample_weights": make(4, 3)}),
        ((bag_index(4, 3), w), {"mode": "max"}),
        ((bag_index(7), w, torch.tensor([0, 2, 2, 5])), {}),  # an empty bag
        ((bag_index(7), w, torch.tensor([0, 3, 7])), {"mode": "sum", "include_last_offset": True}),
        ((bag_index(7), w, torch.tensor([0, 1, 1, 4])), {"mode": "max"}),
        ((bag_index(7), w, torch.tensor([0, 4])), {"mode": "sum", "per_sample_weights": make(7)}),
        ((torch.tensor([[0, 2, 2], [2, 2, 2]]), w), {"padding_idx": 2}),
        ((torch.tensor([0, 2, 2, 1, 2]), w, torch.tensor([0, 2, 3])), {"mode": "max", "padding_idx": -4}),
        ((torch.tensor([0, 2, 5, 1]), w, torch.tensor([0, 2])), {"mode": "sum", "padding_idx": 5}),
        ((bag_index(2, 3).int(), make(6, 3, noncontig=True)), {}),
        ((bag_index(0), w, torch.tensor([0, 0])), {"mode": "sum"}),
    ]


def instance_norm_samples(make):
    c3 = lambda: make(3, low=0.5, high=2)  # noqa: E731
    return [
        ((make(2, 3, 4),), {}),
        ((make(2, 3, 4, 5),), {"weight": c3(), "bias": c3(), "eps": 1e-3}),
        ((make(2, 3, 5, noncontig=True), make(3), c3()), {}),  # running stats, updated
        ((make(2, 3, 4, 2), make(3), c3()), {"use_input_stats": False, "weight": c3()}),
        ((make(1, 3, 2, 2, 2),), {"momentum": 0.3}),
    ]


def lrn_samples(make):
    return [
        ((make(2, 5, 4), 3), {}),
        ((make(2, 6, 3, noncontig=True), 2), {"alpha": 0.01, "beta": 0.5, "k": 2.0}),
        ((make(0, 3, 4), 2), {}),
    ]


def lrn_nd_samples(make):
    """4-D and larger inputs (torch has no float16/bfloat16 kernel for them on CPU)."""
    return [
        ((make(2, 6, 3, 4), 2), {"alpha": 0.01, "beta": 0.5, "k": 2.0}),
        ((make(1, 4, 2, 2, 3, noncontig=True), 4), {}),
    ]


RECORDS += [
    OpRecord("unfold", F.unfold, unfold_samples),
    OpRecord("fold", F.fold, fold_samples),
    OpRecord("embedding_bag", F.embedding_bag, embedding_bag_samples),
    OpRecord("instance_norm", F.instance_norm, instance_norm_samples, decomp_tol=4.0),
    OpRecord("local_response_norm", F.local_response_norm, lrn_samples, decomp_tol=4.0),
    OpRecord("local_response_norm_nd", F.local_response_norm, lrn_nd_samples, (torch.float32, torch.float64),
             decomp_tol=4.0),
]
