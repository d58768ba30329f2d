"""The op harness: every sample of every op, compiled vs eager, as torch-level ops and as prims."""

import pytest
import torch
from torch.utils._pytree import tree_flatten, tree_map

import thunder
from samples import sample_cases
from thunder.runtime.torch_types import FROM_DTYPE

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
    cfn = thunder.jit(rec.fn)
    seed(rec)
    got = cfn(*args, **kwargs)
    torch.testing.assert_close(got, expected, equal_nan=True, **exact(device))
    assert_meta_matches(cfn, got)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_decomposition_matches_eager(case, device):
    rec = case[1]
    args, kwargs, expected = on_device(case, device)
    cfn = thunder.jit(rec.fn, decompose=True)
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
    table = {s.name for s in thunder._C.op_table() if not s.is_prim}
    assert table - covered == set()


def test_docs_ops_md_is_generated_from_the_table():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "scripts" / "gen_ops_md.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# One case per op and dtype through the reference fusion executor: every region the partitioner
# makes runs its prims through ATen, so a wrong region (a missing input or output, a bad order)
# shows up as an error or a wrong result.
FUSION_CASES = list({(c[1].name, c[2]): c for c in reversed(CASES)}.values())[::-1]


@pytest.mark.parametrize("case", FUSION_CASES, ids=[c[0] for c in FUSION_CASES])
def test_fused_regions_match_eager(case):
    rec = case[1]
    args, kwargs, expected = on_device(case, "cpu")
    cfn = thunder.jit(rec.fn, executors=["reference_fusion"])
    seed(rec)
    got = cfn(*args, **kwargs)
    tol = {"atol": 0, "rtol": 0} if rec.random else decomposition_tolerance(expected, rec.decomp_tol)
    torch.testing.assert_close(got, expected, equal_nan=True, **tol)
    assert_meta_matches(cfn, got)
