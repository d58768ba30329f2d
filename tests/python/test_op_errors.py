"""Error inputs of the op table: each call must fail under thunder.jit as it fails in eager, with
torch's exception type and torch's message (thunder adds the user's line after it)."""

import re

import pytest
import torch
import torch.nn.functional as F

import thunder

x1, x2, x3 = torch.randn(2, 3, 8), torch.randn(1, 2, 5, 6), torch.randn(1, 2, 4, 5, 6)
ints = lambda *s: torch.ones(*s, dtype=torch.int64)  # noqa: E731

ERRORS = [
    # pools beyond 2-D
    ("max_pool1d_rank", lambda: F.max_pool1d(x2, 2)),
    ("max_pool1d_pad", lambda: F.max_pool1d(x1, 2, padding=2)),
    ("max_pool1d_small", lambda: F.max_pool1d(torch.randn(2, 3, 2), 4)),
    ("max_pool1d_k0", lambda: F.max_pool1d(x1, 0)),
    ("max_pool1d_indices_small", lambda: F.max_pool1d(torch.randn(2, 3, 2), 4, return_indices=True)),
    ("avg_pool1d_rank", lambda: F.avg_pool1d(x2, 2)),
    ("avg_pool1d_pad", lambda: F.avg_pool1d(x1, 2, padding=2)),
    ("avg_pool1d_small", lambda: F.avg_pool1d(torch.randn(2, 3, 2), 4)),
    ("avg_pool1d_tuple", lambda: F.avg_pool1d(x1, (2, 2))),
    ("max_pool3d_rank", lambda: F.max_pool3d(torch.randn(3, 4), 2)),
    ("max_pool3d_pad", lambda: F.max_pool3d(x3, 2, padding=2)),
    ("max_pool3d_small", lambda: F.max_pool3d(x3, 5)),
    ("max_pool3d_kernel", lambda: F.max_pool3d(x3, (2, 2))),
    ("avg_pool3d_pad", lambda: F.avg_pool3d(x3, 2, padding=2)),
    ("avg_pool3d_small", lambda: F.avg_pool3d(x3, 5)),
    ("avg_pool3d_divisor", lambda: F.avg_pool3d(x3, 2, divisor_override=0)),
    ("avg_pool3d_rank", lambda: F.avg_pool3d(torch.randn(3, 4), 2)),
    ("adaptive_avg_pool1d_rank", lambda: F.adaptive_avg_pool1d(x2, 2)),
    ("adaptive_avg_pool1d_negative", lambda: F.adaptive_avg_pool1d(x1, -1)),
    ("adaptive_avg_pool1d_empty", lambda: F.adaptive_avg_pool1d(torch.randn(2, 3, 0), 2)),
    ("adaptive_avg_pool1d_tuple", lambda: F.adaptive_avg_pool1d(x1, (2, 3))),
    ("adaptive_avg_pool3d_rank", lambda: F.adaptive_avg_pool3d(torch.randn(3, 4), 2)),
    ("adaptive_avg_pool3d_empty", lambda: F.adaptive_avg_pool3d(torch.randn(1, 2, 0, 3, 3), 2)),
    ("adaptive_avg_pool3d_negative", lambda: F.adaptive_avg_pool3d(x3, (2, -1, 2))),
    ("adaptive_max_pool2d_rank", lambda: F.adaptive_max_pool2d(torch.randn(3), 2)),
    ("adaptive_max_pool2d_empty", lambda: F.adaptive_max_pool2d(torch.randn(1, 2, 0, 3), 2)),
    # convolutions beyond 2-D
    ("conv3d_channels", lambda: F.conv3d(x3, torch.randn(3, 3, 2, 2, 2))),
    ("conv3d_rank", lambda: F.conv3d(x2, torch.randn(3, 2, 2, 2, 2))),
    ("conv3d_kernel", lambda: F.conv3d(x3, torch.randn(3, 2, 5, 2, 2))),
    ("conv3d_stride", lambda: F.conv3d(x3, torch.randn(3, 2, 2, 2, 2), stride=(1, 2))),
    ("conv_transpose1d_channels", lambda: F.conv_transpose1d(x1, torch.randn(2, 2, 3))),
    ("conv_transpose1d_output_padding", lambda: F.conv_transpose1d(x1, torch.randn(3, 2, 2), output_padding=1)),
    ("conv_transpose3d_output_padding", lambda: F.conv_transpose3d(x3, torch.randn(2, 2, 2, 2, 2), output_padding=1)),
    # complex numbers
    ("imag_of_real", lambda: torch.imag(x1)),
    ("view_as_real_of_real", lambda: torch.view_as_real(x1)),
    ("view_as_complex_last_dim", lambda: torch.view_as_complex(x1)),
    ("view_as_complex_int", lambda: torch.view_as_complex(ints(3, 2))),
    ("view_as_complex_zero_dim", lambda: torch.view_as_complex(torch.tensor(1.0))),
    ("complex_dtypes", lambda: torch.complex(torch.randn(2), torch.randn(2, dtype=torch.float64))),
    ("complex_ints", lambda: torch.complex(ints(2), ints(2))),
    ("polar_broadcast", lambda: torch.polar(torch.randn(2), torch.randn(3))),
    # activations and pixel shuffles
    ("celu_alpha_zero", lambda: F.celu(x1, alpha=0.0)),
    ("softshrink_negative", lambda: F.softshrink(x1, -1.0)),
    ("prelu_channels", lambda: F.prelu(x1, torch.randn(2))),
    ("prelu_weight_rank", lambda: F.prelu(x1, torch.randn(3, 1))),
    ("threshold_uint8_overflow", lambda: F.threshold(torch.ones(3, dtype=torch.uint8), 0, -256)),
    ("full_uint8_negative_float", lambda: torch.full((2,), -0.5, dtype=torch.uint8)),
    ("full_int8_fraction_overflow", lambda: torch.full((2,), 127.5, dtype=torch.int8)),
    ("threshold_bool", lambda: F.threshold(torch.ones(3, dtype=torch.bool), 0, 1)),
    ("pixel_shuffle_rank", lambda: F.pixel_shuffle(torch.randn(4, 4), 2)),
    ("pixel_shuffle_channels", lambda: F.pixel_shuffle(torch.randn(1, 5, 2, 2), 2)),
    ("pixel_shuffle_factor", lambda: F.pixel_shuffle(torch.randn(1, 4, 2, 2), 0)),
    ("pixel_unshuffle_height", lambda: F.pixel_unshuffle(torch.randn(1, 1, 3, 4), 2)),
    ("pixel_unshuffle_width", lambda: F.pixel_unshuffle(torch.randn(1, 1, 4, 3), 2)),
    # losses and distances
    ("huber_loss_delta", lambda: F.huber_loss(x1, x1, delta=0.0)),
    ("huber_loss_reduction", lambda: F.huber_loss(x1, x1, reduction="avg")),
    ("kl_div_reduction", lambda: F.kl_div(x1, x1, reduction="avg")),
    ("cosine_similarity_ints", lambda: F.cosine_similarity(ints(2, 3), ints(2, 3))),
    # batch_norm in training mode
    ("batch_norm_one_value", lambda: F.batch_norm(torch.randn(1, 3), torch.zeros(3), torch.ones(3), training=True)),
    ("batch_norm_stats_size", lambda: F.batch_norm(x1, torch.zeros(4), torch.ones(4), training=True)),
    # scans and sorted-sequence lookups
    ("cummax_dim", lambda: torch.cummax(torch.randn(3), 2)),
    ("logcumsumexp_int", lambda: torch.logcumsumexp(ints(3), 0)),
    ("logcumsumexp_dim", lambda: torch.logcumsumexp(torch.randn(3), 1)),
    ("searchsorted_dims", lambda: torch.searchsorted(torch.randn(2, 3), torch.randn(3, 3))),
    ("searchsorted_side", lambda: torch.searchsorted(torch.randn(3), torch.randn(3), side="middle")),
    ("searchsorted_side_right", lambda: torch.searchsorted(torch.randn(3), torch.randn(3), side="left", right=True)),
    ("searchsorted_sorter_dtype", lambda: torch.searchsorted(torch.randn(3), torch.randn(3), sorter=ints(3).int())),
    ("bucketize_2d", lambda: torch.bucketize(torch.randn(3), torch.randn(2, 3))),
    # products and differences
    ("cdist_int", lambda: torch.cdist(ints(2, 3), ints(2, 3))),
    ("cdist_cols", lambda: torch.cdist(torch.randn(2, 3), torch.randn(2, 4))),
    ("cdist_rank", lambda: torch.cdist(torch.randn(3), torch.randn(3))),
    ("cdist_p", lambda: torch.cdist(torch.randn(2, 3), torch.randn(2, 3), p=-1)),
    ("cdist_half", lambda: torch.cdist(torch.randn(2, 3).half(), torch.randn(2, 3).half())),
    ("cdist_mode", lambda: torch.cdist(torch.randn(2, 3), torch.randn(2, 3), compute_mode="foo")),
    ("tensordot_sizes", lambda: torch.tensordot(torch.randn(2, 3), torch.randn(4, 5), dims=1)),
    ("tensordot_negative", lambda: torch.tensordot(torch.randn(2, 3), torch.randn(3, 5), dims=-1)),
    ("tensordot_dtype", lambda: torch.tensordot(torch.randn(2, 3), torch.randn(3, 5).double(), dims=1)),
    ("tensordot_lists", lambda: torch.tensordot(torch.randn(2, 3), torch.randn(3, 5), dims=([1, 0], [0]))),
    ("diff_zero_dim", lambda: torch.diff(torch.tensor(1.0))),
    ("diff_order", lambda: torch.diff(torch.randn(3), n=-1)),
    ("diff_prepend_rank", lambda: torch.diff(torch.randn(3, 4), prepend=torch.randn(3))),
    ("diff_prepend_size", lambda: torch.diff(torch.randn(3, 4), dim=0, prepend=torch.randn(1, 3))),
    ("cross_size", lambda: torch.cross(torch.randn(3, 4), torch.randn(3, 4), dim=1)),
    ("cross_no_dim_of_3", lambda: torch.cross(torch.randn(2, 4), torch.randn(2, 4))),
    ("cross_bool", lambda: torch.cross(torch.ones(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool), dim=0)),
    ("linalg_cross_dtype", lambda: torch.linalg.cross(torch.randn(3), torch.randn(3).double())),
    ("linalg_cross_broadcast", lambda: torch.linalg.cross(torch.randn(2, 3), torch.randn(4, 3))),
    ("linalg_cross_rank", lambda: torch.linalg.cross(torch.randn(2, 3), torch.randn(3))),
    # im2col, bags, norms
    ("unfold_rank", lambda: F.unfold(torch.randn(1, 2, 3, 3, 3), 2)),
    ("unfold_too_big", lambda: F.unfold(torch.randn(1, 2, 3, 3), 4)),
    ("unfold_kernel", lambda: F.unfold(torch.randn(1, 2, 3, 3), 0)),
    ("unfold_dilation", lambda: F.unfold(torch.randn(1, 2, 3, 3), 2, dilation=0)),
    ("unfold_padding", lambda: F.unfold(torch.randn(1, 2, 3, 3), 2, padding=-1)),
    ("fold_rank", lambda: F.fold(torch.randn(3), (4, 4), 2)),
    ("fold_channels", lambda: F.fold(torch.randn(1, 5, 9), (4, 4), 2)),
    ("fold_blocks", lambda: F.fold(torch.randn(1, 4, 8), (4, 4), 2)),
    ("fold_stride", lambda: F.fold(torch.randn(1, 4, 9), (4, 4), 2, stride=0)),
    ("embedding_bag_mode", lambda: F.embedding_bag(ints(1, 2), torch.randn(3, 2), mode="prod")),
    ("embedding_bag_offsets_2d", lambda: F.embedding_bag(ints(1, 2), torch.randn(3, 2), ints(1))),
    ("embedding_bag_no_offsets", lambda: F.embedding_bag(ints(2), torch.randn(3, 2))),
    ("embedding_bag_weights_mode", lambda: F.embedding_bag(ints(1, 2), torch.randn(3, 2), per_sample_weights=torch.randn(1, 2))),
    ("embedding_bag_weights_shape",
     lambda: F.embedding_bag(ints(1, 2), torch.randn(3, 2), mode="sum", per_sample_weights=torch.randn(1, 3))),
    ("embedding_bag_float_index", lambda: F.embedding_bag(torch.ones(1, 2), torch.randn(3, 2))),
    ("embedding_bag_weight_rank", lambda: F.embedding_bag(ints(2), torch.randn(3), ints(1))),
    ("embedding_bag_padding_idx", lambda: F.embedding_bag(ints(2), torch.randn(3, 2), ints(1), padding_idx=3)),
    ("instance_norm_one_element", lambda: F.instance_norm(torch.randn(2, 3, 1))),
    ("instance_norm_stats_size", lambda: F.instance_norm(torch.randn(2, 3, 4), torch.zeros(4), torch.ones(4))),
    ("local_response_norm_rank", lambda: F.local_response_norm(torch.randn(3, 4), 2)),
    ("local_response_norm_half_4d", lambda: F.local_response_norm(torch.randn(1, 3, 2, 2).half(), 2)),
    # margin, embedding and likelihood losses
    ("margin_ranking_loss_dims", lambda: F.margin_ranking_loss(torch.randn(3), torch.randn(3), torch.randn(3, 1))),
    ("margin_ranking_loss_reduction", lambda: F.margin_ranking_loss(torch.randn(3), torch.randn(3), torch.randn(3), reduction="x")),
    ("triplet_margin_loss_dims", lambda: F.triplet_margin_loss(torch.randn(2, 3), torch.randn(2, 3), torch.randn(3))),
    ("triplet_margin_loss_margin", lambda: F.triplet_margin_loss(x1, x1, x1, margin=0.0)),
    ("poisson_nll_loss_reduction", lambda: F.poisson_nll_loss(x1, x1, reduction="x")),
    ("gaussian_nll_loss_var_size", lambda: F.gaussian_nll_loss(x1, x1, torch.ones(2, 4, 8))),
    ("gaussian_nll_loss_reduction", lambda: F.gaussian_nll_loss(x1, x1, torch.ones_like(x1), reduction="x")),
    ("gaussian_nll_loss_negative_float", lambda: F.gaussian_nll_loss(x1, x1, -1.0)),
    ("hinge_embedding_loss_reduction", lambda: F.hinge_embedding_loss(x1, x1, reduction="x")),
    ("soft_margin_loss_reduction", lambda: F.soft_margin_loss(x1, x1, reduction="x")),
    ("soft_margin_loss_sizes", lambda: F.soft_margin_loss(torch.randn(3, 2), torch.randn(3, 3))),
    ("multilabel_soft_margin_loss_reduction", lambda: F.multilabel_soft_margin_loss(x1, x1, reduction="x")),
    ("cosine_embedding_loss_dims", lambda: F.cosine_embedding_loss(x1, x1, torch.randn(2))),
    ("cosine_embedding_loss_0d_target", lambda: F.cosine_embedding_loss(x1, x1, torch.tensor(1.0))),
    ("cosine_embedding_loss_target", lambda: F.cosine_embedding_loss(torch.randn(3, 2), torch.randn(3, 2), torch.randn(3, 1))),
    ("cosine_embedding_loss_sizes", lambda: F.cosine_embedding_loss(torch.randn(3, 2), torch.randn(3, 3), torch.randn(3))),
]


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_matches_eager(name, call):
    with pytest.raises(Exception) as eager:
        call()
    with pytest.raises(Exception) as compiled:
        thunder.jit(lambda: call())()
    assert type(compiled.value) is type(eager.value)
    # thunder names the op where torch names its CPU kernel ("threshold_cpu")
    expected = re.sub(r'^"(\w+?)_cpu"', r'"\1"', str(eager.value).splitlines()[0])
    assert str(compiled.value).startswith(expected), f"\n  torch:   {expected}\n  thunder: {compiled.value}"
