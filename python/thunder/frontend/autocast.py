"""torch.autocast as a tracing transform.

While torch.autocast is on (around the call, or a `with torch.autocast(...)` block inside the
compiled function), each traced op gets the casts eager autocast would insert, recorded in the
trace: ops on the lower-precision list run with their floating tensors cast to the autocast dtype,
ops on the float32 list with them cast to float32, and ops on the promote list with them cast to
the widest among them. As in torch, only floating tensors of the autocast device type take part,
and float64 tensors are left alone. The execution trace then runs with autocast off, so torch does
not apply it twice.

The lists are torch's (torch/csrc/autograd/autocast_mode.cpp, documented under "Autocast Op
Reference"), keyed by op name as the op table and torch spell it, one table per device type.
`scripts/autocast_policy_probe.py` checks them against eager on a device.
"""

import torch

from thunder.frontend import interception

_CUDA_LOWER = {
    "matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm", "addmv", "addr", "mv", "chain_matmul", "multi_dot",
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
    "scaled_dot_product_attention", "einsum", "gru_cell", "lstm_cell", "rnn_tanh_cell",
    "rnn_relu_cell",
}
_CUDA_FP32 = {
    "acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal", "rsqrt", "sinh",
    "tan", "pow", "softplus", "layer_norm", "group_norm", "norm", "cosine_similarity", "poisson_nll_loss",
    "cosine_embedding_loss", "nll_loss", "hinge_embedding_loss", "kl_div", "l1_loss", "smooth_l1_loss", "huber_loss",
    "mse_loss", "margin_ranking_loss", "multilabel_margin_loss", "soft_margin_loss", "triplet_margin_loss",
    "multi_margin_loss", "binary_cross_entropy_with_logits", "dist", "pdist", "cdist", "renorm", "logsumexp",
    "softmax", "log_softmax", "cumprod", "cumsum", "prod", "sum", "cross_entropy", "softmin",
}
_CUDA_PROMOTE = {"addcdiv", "addcmul", "atan2", "bilinear", "cross", "dot", "grid_sample", "index_put",
                 "scatter_add", "tensordot"}

_CPU_LOWER = {
    "conv1d", "conv2d", "conv3d", "bmm", "mm", "linalg_vecdot", "baddbmm", "addmm", "addbmm", "linear", "matmul",
    "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu", "scaled_dot_product_attention",
    "einsum",
}
_CPU_FP32 = {
    "avg_pool3d", "binary_cross_entropy", "grid_sampler", "polar", "prod", "quantile", "nanquantile", "stft", "cdist",
    "trace", "view_as_complex", "cholesky", "cholesky_inverse", "cholesky_solve", "inverse", "lu_solve", "orgqr",
    "ormqr", "pinverse", "max_pool3d", "max_unpool2d", "max_unpool3d", "adaptive_avg_pool3d", "reflection_pad1d",
    "reflection_pad2d", "replication_pad1d", "replication_pad2d", "replication_pad3d", "mse_loss",
    "cosine_embedding_loss", "nll_loss", "hinge_embedding_loss", "poisson_nll_loss", "smooth_l1_loss",
    "cross_entropy", "l1_loss", "huber_loss", "margin_ranking_loss", "soft_margin_loss", "triplet_margin_loss",
    "multi_margin_loss", "ctc_loss", "kl_div", "multilabel_margin_loss", "binary_cross_entropy_with_logits",
}
_CPU_PROMOTE = {"stack", "cat", "index_copy"}

# device type -> {op name: "lower" | "fp32" | "promote"}
POLICIES = {}
for _dev, (_lower, _fp32, _promote) in {
    "cuda": (_CUDA_LOWER, _CUDA_FP32, _CUDA_PROMOTE),
    "cpu": (_CPU_LOWER, _CPU_FP32, _CPU_PROMOTE),
}.items():
    POLICIES[_dev] = {**{n: "promote" for n in _promote}, **{n: "fp32" for n in _fp32}, **{n: "lower" for n in _lower}}
del _dev, _lower, _fp32, _promote

_DEVICE_TYPES = ("cpu", "cuda")


def state():
    """The autocast state that decides how ops trace: None when off, else ((device type, dtype),
    ...) for every device type it is on for (part of the cache key)."""
    on = tuple((d, torch.get_autocast_dtype(d)) for d in _DEVICE_TYPES if torch.is_autocast_enabled(d))
    return on or None


class disabled:
    """Turns autocast off for the device types in `state` while an execution trace runs."""

    __slots__ = ("_state", "_ctxs")

    def __init__(self, autocast_state):
        self._state = autocast_state

    def __enter__(self):
        self._ctxs = [torch.autocast(d, enabled=False) for d, _ in self._state]
        for c in self._ctxs:
            c.__enter__()

    def __exit__(self, *exc):
        for c in reversed(self._ctxs):
            c.__exit__(*exc)
        return False


def _tensors(tree):
    from thunder.frontend.proxies import TensorProxy

    if isinstance(tree, TensorProxy):
        yield tree
    elif isinstance(tree, (tuple, list)):
        for x in tree:
            yield from _tensors(x)
    elif isinstance(tree, dict):
        for x in tree.values():
            yield from _tensors(x)


def cast_args(tracer, name, args, kwargs, loc):
    """`args` and `kwargs` with the casts eager autocast would make for op `name` (the op table's
    name, or the torch function's for the fallback), each recorded in the trace."""
    first = next(_tensors((args, kwargs)), None)
    if first is None:
        return args, kwargs
    dev = first.device.type
    if dev not in _DEVICE_TYPES or not torch.is_autocast_enabled(dev):
        return args, kwargs
    policy = POLICIES[dev].get(name)
    if policy is None or (policy == "fp32" and kwargs.get("dtype") is not None):
        return args, kwargs  # an explicit dtype= wins over autocast's float32, as in torch

    def eligible(t):
        return t.device.type == dev and t.dtype.is_floating_point and t.dtype is not torch.float64

    if policy == "lower":
        target = torch.get_autocast_dtype(dev)
    elif policy == "fp32":
        target = torch.float32
    else:
        target = torch.get_autocast_dtype(dev)
        for t in _tensors((args, kwargs)):
            if eligible(t):
                target = torch.promote_types(target, t.dtype)

    convert = interception.symbol("prims.convert_element_type")

    def visit(x):
        from thunder.frontend.proxies import TensorProxy

        if isinstance(x, TensorProxy):
            if eligible(x) and x.dtype != target:
                return tracer.proxy(tracer._record(convert, (x, target), {}, loc))
            return x
        if isinstance(x, (tuple, list)):
            return type(x)(visit(i) for i in x)
        if isinstance(x, dict):
            return {k: visit(v) for k, v in x.items()}
        return x

    return visit(args), visit(kwargs)
