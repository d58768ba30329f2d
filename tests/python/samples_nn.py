"""Sample records for the nn family of the op table: softmax, normalization, activations,
embedding and one_hot, losses, and the library calls (convolution, pooling, interpolate, attention)."""

import torch
import torch.nn.functional as F

from samples_common import FLOATS, INTS, OpRecord, unary_samples

HALF = (torch.float16, torch.bfloat16)
SIGNED = (torch.int64, torch.int32)


def idx(*shape, high=5, dtype=torch.int64):
    return torch.randint(0, high, shape, dtype=dtype)


def softmax_samples(make):
    return [
        ((make(2, 3), 1), {}),
        ((make(), 0), {}),
        ((make(0, 3), 0), {}),
        ((make(4, 5, noncontig=True), -1), {}),
        ((make(3, 4, 5), None), {}),  # implicit dim (0 for 3-D), deprecated but accepted
    ]


def norm_param(make, *shape):
    """A parameter for a norm: float32 when the input is float16/bfloat16 (torch's mixed mode)."""
    p = make(*shape)
    return p.float() if p.dtype in HALF else p


def layer_norm_samples(make):
    return [
        ((make(2, 3, 4), [4]), {}),
        ((make(2, 3, 4), (3, 4), make(3, 4), make(3, 4)), {"eps": 1e-3}),
        ((make(0, 4), [4], make(4)), {}),
        ((make(3, 5, noncontig=True), [5], None, norm_param(make, 5)), {}),
    ]


def rms_norm_samples(make):
    return [
        ((make(2, 3, 4), [4]), {}),
        ((make(2, 3, 4), [3, 4], make(3, 4)), {"eps": 1e-6}),
        ((make(5, 6, noncontig=True), (6,), torch.randn(6)), {}),  # float32 weight for every input dtype
    ]


def group_norm_samples(make):
    return [
        ((make(2, 4, 3), 2), {}),
        ((make(2, 6, 2, 2), 3, make(6), make(6)), {"eps": 1e-3}),
        ((make(3, 4), 2, norm_param(make, 4)), {}),
    ]


def batch_norm_samples(make):
    var = lambda n: make(n, low=0.1, high=2)  # noqa: E731
    return [
        ((make(2, 4, 3), make(4), var(4)), {}),
        ((make(5, 3), make(3), var(3), make(3), make(3)), {"eps": 1e-3}),
        ((make(2, 4, 2, 2), None, None, norm_param(make, 4), norm_param(make, 4)), {"training": True}),
        ((make(6, 2, noncontig=True), None, None), {"training": True, "momentum": 0.2}),
    ]


def batch_norm_update(x, running_mean, running_var, *args, **kwargs):
    """Training with running stats: the output and the updated stats (copies, so that the eager
    and the compiled call start from the same stats)."""
    m, v = running_mean.clone(), running_var.clone()
    return F.batch_norm(x, m, v, *args, training=True, **kwargs), m, v


def batch_norm_update_samples(make):
    var = lambda n: norm_param(make, n).abs() + 0.5  # noqa: E731
    return [
        ((make(4, 3), norm_param(make, 3), var(3)), {}),
        ((make(2, 4, 3, 2), norm_param(make, 4), var(4), norm_param(make, 4), norm_param(make, 4)),
         {"momentum": 0.3, "eps": 1e-3}),
        ((make(3, 2, 5, noncontig=True), norm_param(make, 2), var(2)), {"momentum": 1.0}),
    ]


def normalize_samples(make):
    return [
        ((make(3, 4),), {}),
        ((make(3, 4),), {"p": 1, "dim": 0}),
        ((make(2, 3, 4),), {"p": float("inf"), "dim": -1}),
        ((make(2, 3),), {"p": 3.0, "eps": 1e-6}),
        ((make(),), {"dim": 0}),
    ]


def ce_samples(make):
    t = idx(4)
    t_ignored = torch.tensor([0, -100, 3, 2])
    probs = lambda *s: make(*s, low=0, high=1)  # noqa: E731
    return [
        ((make(4, 5), t), {}),
        ((make(4, 5), t), {"reduction": "none"}),
        ((make(4, 5), t_ignored, make(5, low=0.1, high=1)), {"reduction": "mean"}),
        ((make(4, 5), t), {"reduction": "sum", "label_smoothing": 0.2}),
        ((make(4, 5), torch.tensor([0, 1, 2, 1])), {"label_smoothing": 0.1, "ignore_index": 1, "weight": make(5, low=0.1, high=1)}),
        ((make(3, 4, 2), idx(3, 2, high=4)), {"reduction": "none"}),
        ((make(5), torch.tensor(2)), {}),
        ((make(4, 5), probs(4, 5)), {}),
        ((make(2, 5, 3), probs(2, 5, 3), make(5)), {"reduction": "none", "label_smoothing": 0.3}),
        ((make(4, 5), idx(4).to(torch.uint8)), {"reduction": "sum"}),
    ] + empty_mean_sample(make)


def empty_mean_sample(make):
    """The mean over no samples is NaN; the harness's float16/bfloat16 tolerance cannot take a NaN."""
    x = make(0, 5)
    return [] if x.dtype in HALF else [((x, idx(0)), {})]


def nll_samples(make):
    return [
        ((make(4, 5), idx(4)), {}),
        ((make(4, 5), torch.tensor([0, -100, 3, 2]), make(5, low=0.1, high=1)), {}),
        ((make(4, 5), torch.tensor([0, 3, 3, 2])), {"ignore_index": 3, "reduction": "none"}),
        ((make(2, 5, 3, 2), idx(2, 3, 2)), {"reduction": "sum"}),
        ((make(5), torch.tensor(4)), {}),
        ((make(5), torch.tensor([1])), {"reduction": "none"}),
        ((make(0, 5), idx(0)), {"reduction": "sum"}),
        ((make(4, 5), idx(4)), {"size_average": False}),  # the legacy pair still selects a reduction
    ] + empty_mean_sample(make)


def pointwise_loss_samples(make):
    return [
        ((make(3, 4), make(3, 4)), {}),
        ((make(3, 4), make(3, 4)), {"reduction": "none"}),
        ((make(3, 4, noncontig=True), make(3, 4)), {"reduction": "sum"}),
        ((make(0, 2), make(0, 2)), {"reduction": "sum"}),
        ((make(), make()), {}),
    ]


def weighted_loss_samples(make):
    return [
        ((make(3, 4), make(3, 4)), {"weight": make(3, 4, low=0.1, high=1)}),
        ((make(3, 4), make(3, 4)), {"weight": make(3, 4), "reduction": "none"}),
    ]


def bce_samples(make):
    p = lambda *s: make(*s, low=0.05, high=0.95)  # noqa: E731
    return [
        ((p(3, 4), p(3, 4)), {}),
        ((p(3, 4), p(3, 4), make(4)), {"reduction": "none"}),
        ((p(2, 3), p(2, 3)), {"reduction": "sum", "weight": torch.rand(2, 1, dtype=torch.float64)}),
        ((p(), p()), {}),
    ]


def bce_logits_samples(make):
    p = lambda *s: make(*s, low=0, high=1)  # noqa: E731
    return [
        ((make(3, 4), p(3, 4)), {}),
        ((make(3, 4), p(3, 4)), {"pos_weight": make(4, low=0.5, high=2), "reduction": "none"}),
        ((make(3, 4), p(3, 4)), {"weight": make(3, 1), "pos_weight": torch.rand(4, dtype=torch.float64)}),
        ((make(2, 3), p(2, 3).double()), {"reduction": "sum"}),  # the loss takes the target's dtype
    ]


def conv1d_samples(make):
    return [
        ((make(2, 3, 8), make(4, 3, 3), make(4)), {}),
        ((make(2, 4, 9), make(6, 2, 2)), {"stride": 2, "padding": 1, "groups": 2}),
        ((make(1, 3, 7), make(2, 3, 2)), {"padding": "same", "dilation": 3}),  # odd total padding
        ((make(3, 8), make(4, 3, 3)), {"padding": "valid", "dilation": (2,)}),  # unbatched
    ]


def conv2d_samples(make):
    return [
        ((make(2, 3, 6, 6), make(4, 3, 3, 3), make(4)), {}),
        ((make(1, 4, 7, 6, noncontig=True), make(6, 2, 3, 2)), {"stride": (2, 1), "padding": (1, 0), "groups": 2}),
        ((make(1, 2, 6, 6), make(3, 2, 2, 3)), {"padding": "same"}),
        ((make(2, 5, 5), make(3, 2, 3, 3)), {"dilation": 2, "padding": 2}),
        ((make(0, 2, 4, 4), make(3, 2, 2, 2)), {}),
    ]


def conv_transpose2d_samples(make):
    return [
        ((make(2, 3, 4, 4), make(3, 2, 3, 3), make(2)), {}),
        ((make(1, 4, 3, 5), make(4, 3, 2, 3)), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
        ((make(2, 3, 3), make(2, 2, 3, 3)), {"stride": (1, 2), "dilation": 2}),
    ]


def conv3d_samples(make):
    return [
        ((make(1, 2, 4, 5, 4), make(3, 2, 2, 3, 2), make(3)), {}),
        ((make(1, 4, 5, 5, 5, noncontig=True), make(4, 2, 3, 3, 3)), {"stride": (2, 1, 2), "padding": 1, "groups": 2}),
        ((make(2, 4, 4, 4), make(2, 2, 3, 2, 2)), {"padding": "same", "dilation": (1, 2, 1)}),  # unbatched
        ((make(0, 2, 3, 3, 3), make(2, 2, 2, 2, 2)), {}),
    ]


def conv_transpose1d_samples(make):
    return [
        ((make(2, 3, 5), make(3, 2, 3), make(2)), {}),
        ((make(1, 4, 6, noncontig=True), make(4, 3, 2)), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
        ((make(3, 4), make(3, 2, 3)), {"dilation": 2}),  # unbatched
    ]


def conv_transpose3d_samples(make):
    return [
        ((make(1, 2, 3, 3, 2), make(2, 3, 2, 2, 2), make(3)), {}),
        ((make(1, 2, 2, 3, 2), make(2, 1, 3, 2, 2)), {"stride": (2, 1, 2), "padding": (1, 0, 0), "output_padding": (1, 0, 1)}),
    ]


def max_pool_samples(make):
    return [
        ((make(1, 2, 6, 6), 2), {}),
        ((make(2, 3, 7, 5), 3), {"stride": 2, "padding": 1, "ceil_mode": True}),
        ((make(2, 7, 7, noncontig=True), (3, 2)), {"dilation": 2, "stride": (1, 2)}),
    ]


def max_pool1d_samples(make):
    return [
        ((make(2, 3, 8), 2), {}),
        ((make(2, 3, 9, noncontig=True), 3), {"stride": 2, "padding": 1, "ceil_mode": True}),
        ((make(3, 7), (3,)), {"dilation": 2}),  # unbatched
        ((make(0, 2, 5), 2), {}),
    ]


def max_pool3d_samples(make):
    return [
        ((make(1, 2, 4, 4, 4), 2), {}),
        ((make(1, 2, 5, 6, 5, noncontig=True), (3, 2, 3)), {"stride": 2, "padding": 1, "ceil_mode": True}),
        ((make(2, 5, 5, 5), 2), {"dilation": (1, 2, 1), "stride": 1}),
    ]


def avg_pool3d_samples(make):
    return [
        ((make(1, 2, 4, 4, 4), 2), {}),
        ((make(1, 2, 5, 6, 5), 3), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
        ((make(2, 4, 5, 4, noncontig=True), (2, 3, 2)), {"divisor_override": 5}),
    ]


def adaptive_samples(make, n):
    sizes = {1: (5,), 2: (5, 6), 3: (4, 5, 3)}[n]
    return [
        ((make(2, 3, *sizes), 3), {}),
        ((make(3, *sizes, noncontig=True), tuple(range(2, 2 + n))), {}),
        ((make(0, 2, *sizes), 2), {}),
    ]


def avg_pool_samples(make):
    return [
        ((make(1, 2, 6, 6), 2), {}),
        ((make(2, 3, 7, 5), 3), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
        ((make(2, 5, 5), (2, 3)), {"divisor_override": 4}),
    ]


def interpolate_samples(make):
    return [
        ((make(1, 2, 4, 5),), {"size": (6, 3)}),
        ((make(2, 2, 5, 5),), {"scale_factor": 1.5}),
        ((make(1, 2, 4, 5),), {"scale_factor": (1.7, 0.6), "mode": "bilinear"}),
        ((make(1, 2, 4, 5),), {"size": 7, "mode": "bilinear", "align_corners": True}),
        ((make(2, 3, 5),), {"scale_factor": 2.5, "mode": "linear", "recompute_scale_factor": True}),
        ((make(1, 2, 6, 6),), {"size": (4, 3), "mode": "area"}),
        ((make(1, 2, 4, 5),), {"scale_factor": 1.6, "mode": "nearest-exact"}),
        ((make(2, 3, 5, noncontig=True),), {"size": 8, "mode": "linear", "align_corners": True}),
        ((make(1, 2, 4, 5),), {"size": (7, 6), "mode": "bicubic"}),
        ((make(1, 2, 4, 5),), {"scale_factor": 0.7, "mode": "bicubic", "align_corners": True}),
        ((make(1, 2, 3, 4, 3),), {"scale_factor": (1.5, 2, 0.7), "mode": "trilinear"}),
        ((make(1, 2, 3, 4, 3),), {"size": 5, "mode": "trilinear", "align_corners": True}),
        ((make(1, 2, 3, 4, 3),), {"size": (4, 2, 5)}),  # nearest in 3-D
        ((make(2, 3, 7),), {"scale_factor": 0.5, "mode": "area"}),
    ]


def sdpa_samples(make):
    q, k, v = make(2, 3, 4, 8), make(2, 3, 5, 8), make(2, 3, 5, 6)
    return [
        ((q, k, v), {}),
        ((q, k, v, make(4, 5)), {}),
        ((q, k, v, torch.rand(2, 1, 4, 5) > 0.3), {"scale": 0.5}),
        ((make(2, 4, 5, 8), make(2, 4, 5, 8), make(2, 4, 5, 8)), {"is_causal": True}),
        ((make(1, 4, 3, 8), make(1, 2, 5, 8), make(1, 2, 5, 8)), {"enable_gqa": True}),
        ((make(3, 4, 8, noncontig=True), make(3, 5, 8), make(3, 5, 6)), {}),
    ]


RECORDS = [
    OpRecord("softmax", F.softmax, softmax_samples),
    OpRecord("softmax_torch_dtype", lambda x: torch.softmax(x, 1, torch.float64), lambda make: [((make(2, 3),), {})],
             FLOATS + INTS),
    OpRecord("softmax_method", lambda x: x.softmax(-1, dtype=torch.float32), lambda make: [((make(3, 4),), {})]),
    OpRecord("log_softmax", F.log_softmax, softmax_samples),
    OpRecord("log_softmax_method", lambda x: x.log_softmax(0, torch.float64), lambda make: [((make(3, 4),), {})],
             FLOATS + INTS),
    OpRecord("layer_norm", F.layer_norm, layer_norm_samples, decomp_tol=4.0),
    OpRecord("rms_norm", F.rms_norm, rms_norm_samples),
    OpRecord("group_norm", F.group_norm, group_norm_samples, decomp_tol=4.0),
    OpRecord("batch_norm", F.batch_norm, batch_norm_samples),
    OpRecord("batch_norm_update", batch_norm_update, batch_norm_update_samples),
    OpRecord("normalize", F.normalize, normalize_samples),
    OpRecord("silu", F.silu, unary_samples),
    OpRecord("leaky_relu", lambda x: F.leaky_relu(x, 0.2), unary_samples),
    OpRecord("leaky_relu_kw", lambda x: F.leaky_relu(x, negative_slope=2, inplace=False), unary_samples),
    OpRecord("elu", lambda x: F.elu(x, alpha=0.5), unary_samples),
    OpRecord("hardswish", F.hardswish, lambda make: unary_samples(make, low=-5, high=5)),
    OpRecord("hardsigmoid", F.hardsigmoid, lambda make: unary_samples(make, low=-5, high=5)),
    OpRecord("mish", F.mish, unary_samples),
    OpRecord("softplus", F.softplus, unary_samples),
    OpRecord("softplus_beta", lambda x: F.softplus(x, beta=2, threshold=5), lambda make: unary_samples(make, low=-4, high=4)),
    OpRecord("hardtanh", F.hardtanh, unary_samples, FLOATS + SIGNED),
    OpRecord("hardtanh_bounds", lambda x: F.hardtanh(x, -2.5, 1.5), unary_samples, FLOATS + SIGNED),
    OpRecord("hardtanh_uint8", lambda x: F.hardtanh(x, 2, 6.5), unary_samples, (torch.uint8,)),
    OpRecord("relu6", F.relu6, lambda make: unary_samples(make, low=-8, high=8), FLOATS + SIGNED),
    OpRecord("glu", F.glu, lambda make: [((make(3, 4),), {}), ((make(4, 3), 0), {}), ((make(2, 0, 6, noncontig=True),), {})]),
    OpRecord("logsigmoid", F.logsigmoid, lambda make: unary_samples(make, low=-30, high=30)),
    OpRecord("embedding", F.embedding,
             lambda make: [((idx(2, 3), make(5, 4)), {}), ((idx(4, dtype=torch.int32), make(5, 3)), {"padding_idx": -1}),
                           ((torch.tensor(3), make(5, 2)), {}), ((idx(0, 2), make(5, 4, noncontig=True)), {})]),
    OpRecord("one_hot", F.one_hot, lambda make: [((idx(2, 3), 5), {}), ((torch.tensor(1), 3), {}), ((idx(0), 4), {})],
             (torch.int64,)),
    OpRecord("cross_entropy", F.cross_entropy, ce_samples),
    OpRecord("nll_loss", F.nll_loss, nll_samples),
    OpRecord("mse_loss", F.mse_loss, lambda make: pointwise_loss_samples(make) + weighted_loss_samples(make)),
    OpRecord("mse_loss_broadcast", lambda x, y: F.mse_loss(x, y), lambda make: [((make(3, 4), make(4)), {})]),
    OpRecord("l1_loss", F.l1_loss, pointwise_loss_samples),
    OpRecord("l1_loss_int", lambda x, y: F.l1_loss(x, y, reduction="sum"), lambda make: [((make(3, 4), make(3, 4)), {})],
             INTS),
    OpRecord("smooth_l1_loss", F.smooth_l1_loss, pointwise_loss_samples),
    OpRecord("smooth_l1_loss_beta", lambda x, y, beta: F.smooth_l1_loss(x, y, beta=beta),
             lambda make: [((make(3, 4), make(3, 4), 0.5), {}), ((make(3, 4), make(3, 4), 0.0), {})]),
    OpRecord("binary_cross_entropy", F.binary_cross_entropy, bce_samples),
    OpRecord("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, bce_logits_samples),
    OpRecord("conv1d", F.conv1d, conv1d_samples),
    OpRecord("conv2d", F.conv2d, conv2d_samples, FLOATS + (torch.int64,), not_on_cuda=(torch.int64,)),
    OpRecord("conv_transpose2d", F.conv_transpose2d, conv_transpose2d_samples),
    OpRecord("conv3d", F.conv3d, conv3d_samples),
    OpRecord("conv_transpose1d", F.conv_transpose1d, conv_transpose1d_samples),
    OpRecord("conv_transpose3d", F.conv_transpose3d, conv_transpose3d_samples),
    OpRecord("max_pool2d", F.max_pool2d, max_pool_samples, FLOATS + (torch.int64,), not_on_cuda=(torch.int64,)),
    OpRecord("max_pool2d_torch", lambda x: torch.max_pool2d(x, 2, []), lambda make: [((make(1, 2, 4, 4),), {})]),
    OpRecord("avg_pool2d", F.avg_pool2d, avg_pool_samples),
    OpRecord("max_pool2d_indices", lambda x, *a, **k: F.max_pool2d(x, *a, return_indices=True, **k), max_pool_samples,
             FLOATS + (torch.int64,), not_on_cuda=(torch.int64,)),
    OpRecord("max_pool1d", F.max_pool1d, max_pool1d_samples),
    OpRecord("max_pool1d_indices", lambda x, *a, **k: F.max_pool1d(x, *a, return_indices=True, **k), max_pool1d_samples,
             FLOATS + (torch.int32,), not_on_cuda=(torch.int32,)),
    OpRecord("max_pool3d", F.max_pool3d, max_pool3d_samples, FLOATS + (torch.int64,), not_on_cuda=(torch.int64,)),
    OpRecord("max_pool3d_indices", lambda x, *a, **k: F.max_pool3d(x, *a, return_indices=True, **k), max_pool3d_samples,
             FLOATS + INTS, not_on_cuda=INTS),
    OpRecord("avg_pool1d", F.avg_pool1d,
             lambda make: [((make(2, 3, 8), 2), {}), ((make(3, 9, noncontig=True), 3), {"stride": 2, "padding": 1,
                                                                                         "ceil_mode": True})]),
    OpRecord("avg_pool3d", F.avg_pool3d, avg_pool3d_samples, (torch.float32, torch.float64, torch.int64),
             not_on_cuda=(torch.int64,)),
    OpRecord("adaptive_avg_pool1d", F.adaptive_avg_pool1d, lambda make: adaptive_samples(make, 1)),
    OpRecord("adaptive_avg_pool3d", F.adaptive_avg_pool3d, lambda make: adaptive_samples(make, 3)),
    OpRecord("adaptive_max_pool1d", lambda x, s: F.adaptive_max_pool1d(x, s, return_indices=True),
             lambda make: adaptive_samples(make, 1)),
    OpRecord("adaptive_max_pool2d", F.adaptive_max_pool2d,
             lambda make: adaptive_samples(make, 2) + [((make(1, 2, 7, 5), (3, None)), {"return_indices": True})]),
    OpRecord("adaptive_max_pool3d", F.adaptive_max_pool3d, lambda make: adaptive_samples(make, 3)),
    OpRecord("adaptive_avg_pool2d", F.adaptive_avg_pool2d,
             lambda make: [((make(1, 2, 7, 5), (3, None)), {}), ((make(2, 6, 6), 4), {}), ((make(0, 2, 5, 5), 2), {})]),
    OpRecord("interpolate", F.interpolate, interpolate_samples),
    OpRecord("interpolate_antialias", F.interpolate,
             lambda make: [((make(1, 2, 6, 5),), {"size": (3, 2), "mode": "bilinear", "antialias": True}),
                           ((make(1, 2, 6, 5),), {"scale_factor": 0.6, "mode": "bicubic", "antialias": True})],
             (torch.float32, torch.float64)),
    OpRecord("interpolate_uint8", F.interpolate,
             lambda make: [((make(1, 2, 4, 5),), {"scale_factor": 1.5}), ((make(1, 2, 4, 5),), {"size": 7, "mode": "nearest-exact"}),
                           ((make(1, 2, 4, 5),), {"size": (3, 6), "mode": "bilinear"})],
             (torch.uint8,), not_on_cuda=(torch.uint8,)),
    # on the CPU without a mask thunder runs its own attention kernel: other summation order, fused
    # multiply-adds
    OpRecord("scaled_dot_product_attention", F.scaled_dot_product_attention, sdpa_samples, decomp_tol=4.0),
]

RECORDS += [
    OpRecord("dropout_eval", lambda x: F.dropout(x, p=0.3, training=False), lambda make: [((make(2, 3),), {})], FLOATS),
    OpRecord("dropout_p0", lambda x: torch.dropout(x, 0.0, True), lambda make: [((make(4),), {})], FLOATS),
]
