"""The op harness: every sample of every op, compiled vs eager, as torch-level ops and as prims."""

import pytest
import torch
from torch.utils._pytree import tree_flatten, tree_map

import thunder
from samples import sample_cases
from samples_common import FLOATS as FLOAT_DTYPES
from thunder.runtime.torch_types import FROM_DTYPE
from thunder.runtime import cpu_fusion_executor

torch.manual_seed(0)  # samples are made at collection time
CASES = list(sample_cases())


def assert_meta_matches(cfn, result):
    """The execution trace's output proxies predict exactly the shapes and dtypes torch returned."""
    outs, _ = tree_flatten(thunder.last_traces(cfn)[-1].output)
    results, _ = tree_flatten(result)
    assert len(outs) == len(results)
    for proxy, real in zip(outs, results):
        assert tuple(proxy.shape) == tuple(real.shape)
        assert FROM_DTYPE[proxy.dtype] == real.dtype
        assert proxy.device == str(real.device)


def decomposition_tolerance(expected, scale_defaults=1.0):
    """Prims compute float16/bfloat16 ops in float32 and round once; torch's kernels may round an
    intermediate. Allow two units in the last place of the largest result; elsewhere the dtype's
    default tolerance, times the record's `decomp_tol` (for ops whose kernels sum in another
    order, such as the norms' statistics)."""
    if not isinstance(expected, torch.Tensor) or expected.dtype not in (torch.float16, torch.bfloat16):
        if scale_defaults == 1.0 or not isinstance(expected, torch.Tensor) or not expected.is_floating_point():
            return {}
        rtol, atol = {torch.float32: (1.3e-6, 1e-5), torch.float64: (1e-7, 1e-7)}[expected.dtype]
        return {"rtol": rtol * scale_defaults, "atol": atol * scale_defaults}
    eps = torch.finfo(expected.dtype).eps
    finite = expected.detach().abs()[torch.isfinite(expected)]  # NaN and inf compare by identity
    scale = finite.max().item() if finite.numel() else 1.0
    return {"rtol": 2 * eps, "atol": 2 * eps * max(scale, 1.0)}


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def seed(rec):
    """Random ops draw from torch's default generator: eager and compiled calls start from the same
    state, so compiled code that draws the same numbers in the same order matches bit for bit."""
    if rec.random:
        torch.manual_seed(0)


def on_device(case, device):
    """The case's arguments on `device` and torch's eager result (skipping what torch itself does
    not support there: some dtypes, and mixed-dtype norm parameters, which only CPU kernels take)."""
    _, rec, dtype, args, kwargs = case
    if device != "cpu":
        if dtype in rec.not_on_cuda:
            pytest.skip(f"torch does not support {rec.name} for {dtype} on {device}")
        move = lambda x: x.to(device) if isinstance(x, torch.Tensor) else x  # noqa: E731
        args, kwargs = tree_map(move, args), tree_map(move, kwargs)
        try:
            seed(rec)
            return args, kwargs, rec.fn(*args, **kwargs)
        except RuntimeError as e:
            pytest.skip(f"torch rejects this sample on {device}: {str(e).splitlines()[0]}")
    seed(rec)
    return args, kwargs, rec.fn(*args, **kwargs)


def exact(device):
    """ATen results are compared bit for bit on CPU; CUDA libraries (cuDNN) may pick a different
    algorithm per call, so there the dtype's default tolerance applies."""
    return {"atol": 0, "rtol": 0} if device == "cpu" else {}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_op_matches_eager(case, device):
    rec = case[1]
    args, kwargs, expected = on_device(case, device)
    # the torch-level op's ATen call, bit for bit (fused kernels: test_fused_regions_match_eager)
    cfn = thunder.jit(rec.fn, executors=["aten"])
    seed(rec)
    got = cfn(*args, **kwargs)
    torch.testing.assert_close(got, expected, equal_nan=True, **exact(device))
    assert_meta_matches(cfn, got)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_decomposition_matches_eager(case, device):
    rec = case[1]
    args, kwargs, expected = on_device(case, device)
    cfn = thunder.jit(rec.fn, decompose=True, executors=["aten"])
    seed(rec)
    got = cfn(*args, **kwargs)
    # random ops stay opaque calls, so their draws are exact here too
    tol = {"atol": 0, "rtol": 0} if rec.random and device == "cpu" else decomposition_tolerance(expected, rec.decomp_tol)
    torch.testing.assert_close(got, expected, equal_nan=True, **tol)
    assert_meta_matches(cfn, got)


def test_every_torch_name_in_the_table_resolves():
    from thunder.frontend.interception import unresolved_names

    assert unresolved_names() == []


def test_every_torch_level_op_has_a_sample():
    from samples import RECORDS

    covered = set()
    for rec in RECORDS:
        for case in sample_cases():
            if case[1] is rec:
                cfn = thunder.jit(rec.fn)
                cfn(*case[3], **case[4])
                covered |= {b.sym.name for b in thunder.last_traces(cfn)[0].bound_symbols}
                break
    # the philox forms are traced only with rng="philox": test_rng_philox.py covers each of them
    table = {s.name for s in thunder._C.op_table() if not s.is_prim and not s.decompose_only}
    assert table - covered == set()


def test_docs_ops_md_is_generated_from_the_table():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "gen_ops_md.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ---- gradients ----------------------------------------------------------------------------------
# Every float64 sample, and the first sample of every other float dtype: thunder's grad transform
# gives torch.autograd's gradients for random cotangents.
GRAD_CASES = [c for c in CASES if c[2] in FLOAT_DTYPES and not c[1].random and (c[2] == torch.float64 or c[0].endswith("-0"))]
# Samples whose gradients differ from torch's today (see docs/design.md, Autodiff, known gaps):
# none at present; an entry here is a strict xfail, so a fixed gap fails until it is removed.
KNOWN_GRAD_GAPS = set()
GRAD_PARAMS = [
    pytest.param(c, id=c[0], marks=pytest.mark.xfail(strict=True, reason="known gradient gap")) if c[0] in KNOWN_GRAD_GAPS
    else pytest.param(c, id=c[0])
    for c in GRAD_CASES
]


def grad_tolerance(dtype, expected):
    """float64 and float32: torch's defaults; float16/bfloat16 gradients are computed in float32 and
    rounded once where torch's kernels may round intermediates: a few units in the last place of
    the largest gradient."""
    if dtype not in (torch.float16, torch.bfloat16):
        return {}
    eps = torch.finfo(dtype).eps
    finite = expected.detach().abs()[torch.isfinite(expected)]
    scale = finite.max().item() if finite.numel() else 1.0
    return {"rtol": 4 * eps, "atol": 4 * eps * max(scale, 1.0)}


def with_grad(args, kwargs, first_only):
    """Copies of the arguments whose float tensors (or only the first one) require grad, and
    those tensors."""
    leaves = []

    def copy(x):
        if isinstance(x, torch.Tensor) and x.is_floating_point() and not (first_only and leaves):
            x = x.detach().clone().requires_grad_()
            leaves.append(x)
        return x

    return tree_map(copy, args), tree_map(copy, kwargs), leaves


def vjp(fn, args, kwargs, cotangents=None, first_only=False):
    """fn's outputs that require grad, the cotangents used (random ones made when not given) and
    the gradients of the inputs (None where an input gets none)."""
    args, kwargs, leaves = with_grad(args, kwargs, first_only)
    outs = [o for o in tree_flatten(fn(*args, **kwargs))[0] if isinstance(o, torch.Tensor) and o.requires_grad]
    if cotangents is None:
        cotangents = [torch.randn_like(o) for o in outs]
    if not outs:
        return outs, cotangents, [None] * len(leaves)
    return outs, cotangents, torch.autograd.grad(outs, leaves, cotangents, allow_unused=True)


@pytest.mark.parametrize("case", GRAD_PARAMS)
def test_grad_matches_eager(case):
    _, rec, dtype, args, kwargs = case
    torch.manual_seed(0)
    first_only = False
    try:
        outs, cotangents, expected = vjp(rec.fn, args, kwargs)
    except (RuntimeError, TypeError) as e:
        # torch differentiates some ops for their first input only (norms' running statistics,
        # losses' weights); an op it cannot differentiate at all has nothing to compare with
        first_only = True
        try:
            outs, cotangents, expected = vjp(rec.fn, args, kwargs, first_only=True)
        except (RuntimeError, TypeError):
            pytest.skip(f"torch.autograd does not differentiate this sample: {str(e).splitlines()[0]}")
    # the VJP rules on ATen; fused forward and backward traces: test_fused_regions_match_eager's
    # training cases, test_autograd.py and the model tests
    got_outs, _, got = vjp(thunder.jit(rec.fn, executors=["aten"]), args, kwargs, cotangents, first_only)
    # the same outputs carry gradients (integer and bool results, comparisons, argmax do not)
    assert [tuple(o.shape) for o in got_outs] == [tuple(o.shape) for o in outs]
    for g, e in zip(got, expected):
        if e is None or g is None:  # None means zeros to autograd
            assert (e is None and g is None) or not (g if e is None else e).any()
            continue
        torch.testing.assert_close(g, e, equal_nan=True, **grad_tolerance(dtype, e))


# One case per op and dtype through each fusion executor: the reference one runs every region's
# prims through ATen, so a wrong region (a missing input or output, a bad order) shows up as an
# error or a wrong result; cpu_fusion (the CPU default) runs them as generated kernels. One case
# per op and dtype, not every sample: each region shape is a kernel compile on CI's empty cache.
FUSION_CASES = list({(c[1].name, c[2]): c for c in reversed(CASES)}.values())[::-1]
FUSION_EXECUTORS = ["reference_fusion"] + (["cpu_fusion"] if cpu_fusion_executor.available() else [])


@pytest.mark.parametrize("executor", FUSION_EXECUTORS)
@pytest.mark.parametrize("case", FUSION_CASES, ids=[c[0] for c in FUSION_CASES])
def test_fused_regions_match_eager(case, executor):
    rec = case[1]
    args, kwargs, expected = on_device(case, "cpu")
    cfn = thunder.jit(rec.fn, executors=[executor])
    seed(rec)
    got = cfn(*args, **kwargs)
    tol = {"atol": 0, "rtol": 0} if rec.random else decomposition_tolerance(expected, rec.decomp_tol)
    torch.testing.assert_close(got, expected, equal_nan=True, **tol)
    assert_meta_matches(cfn, got)
