"""thunder.jit with CUDA tensors (skipped without a GPU)."""

import pytest
import torch
import torch.nn.functional as F

import thunder

pytestmark = pytest.mark.cuda


def test_mlp_on_cuda_matches_eager():
    def fn(x, w1, b1, w2):
        return F.linear(F.gelu(F.linear(x, w1, b1)), w2).sum(-1)

    args = [t.cuda() for t in (torch.randn(4, 8), torch.randn(16, 8), torch.randn(16), torch.randn(3, 16))]
    cfn = thunder.jit(fn)
    torch.testing.assert_close(cfn(*args), fn(*args))
    assert '"cuda:0 f32[4, 8]"' in str(thunder.last_traces(cfn)[-1])


def test_moving_to_cuda_recompiles():
    cfn = thunder.jit(lambda a: a.exp() * 2)
    x = torch.randn(3)
    cfn(x)
    out = cfn(x.cuda())
    assert out.device.type == "cuda" and thunder.cache_misses(cfn) == 2
    torch.testing.assert_close(out.cpu(), x.exp() * 2)


def test_mixed_devices_are_an_error():
    def fn(a, b):
        return a + b

    with pytest.raises(RuntimeError, match="add: expected all tensors to be on the same device, got cpu and cuda:0"):
        thunder.jit(fn)(torch.randn(2), torch.randn(2).cuda())


def test_bfloat16_linear_on_cuda():
    x, w = torch.randn(8, 32, device="cuda", dtype=torch.bfloat16), torch.randn(16, 32, device="cuda", dtype=torch.bfloat16)
    cfn = thunder.jit(F.linear)
    torch.testing.assert_close(cfn(x, w), F.linear(x, w), atol=0, rtol=0)


def test_integer_matmul_on_cuda_is_rejected_at_trace_time():
    a = torch.ones(2, 2, dtype=torch.int64, device="cuda")
    with pytest.raises(RuntimeError, match="matmul: integer tensors are not supported on cuda, got int64"):
        thunder.jit(torch.matmul)(a, a)
