"""Counter-based random numbers: the philox prims and thunder.jit(f, rng="philox")."""

import math

import pytest
import torch
import torch.nn.functional as F

import thunder
from thunder.runtime import philox

FLOATS = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def both(fn, *args, seed=0):
    """fn compiled in philox mode with the CPU default executors (fused) and with ATen alone (the
    reference), each run after torch.manual_seed(seed)."""
    out = []
    for executors in (None, ["aten"]):
        jf = thunder.jit(fn, rng="philox", executors=executors)
        torch.manual_seed(seed)
        out.append(jf(*args))
    return out


def fused_regions(jf):
    return str(thunder.pass_trace(jf, "fusion")).count("cpu_fusion")


# ---- the generator itself ----


@pytest.mark.parametrize(
    "counter, key, expected",
    [
        # Random123's known-answer vectors for Philox4x32-10 (kat_vectors)
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ],
)
def test_philox4x32_known_answers(counter, key, expected):
    words = philox.philox4x32_rounds(tuple(torch.tensor([w]) for w in counter), key)
    assert tuple(w.item() for w in words) == expected


def test_counter_and_key_layout():
    # the 64-bit counter fills the first two words, the seed the key (low word first)
    c, seed = 0x0123456789ABCDEF, 0x0FEDCBA987654321
    want = philox.philox4x32_rounds(
        (torch.tensor([c & 0xFFFFFFFF]), torch.tensor([c >> 32]), torch.tensor([0]), torch.tensor([0])),
        (seed & 0xFFFFFFFF, seed >> 32),
    )
    got = philox.philox4x32(torch.tensor([c]), seed)
    assert [w.item() for w in got] == [w.item() for w in want]


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_statistics(dtype):
    jf = thunder.jit(lambda: torch.rand(1000, 1000, dtype=dtype) + 0, rng="philox")
    u = jf().double()
    assert u.min() >= 0 and u.max() < 1
    n = u.numel()
    # mean 1/2, variance 1/12 (a few standard errors); bfloat16's 8 bits shift both slightly
    bias = 2.0**-9 if dtype == torch.bfloat16 else 2.0**-12 if dtype == torch.float16 else 0
    assert abs(u.mean().item() + bias - 0.5) < 5 * math.sqrt(1 / 12 / n)
    assert abs(u.var().item() - 1 / 12) < 2e-3
    # every bin of a 16-bin histogram holds about 1/16 of the draws, as torch.rand's do
    hist = torch.histc(u, bins=16, min=0, max=1) / n
    assert (hist - 1 / 16).abs().max() < 5 * math.sqrt(1 / 16 / n)


@pytest.mark.parametrize("dtype", FLOATS)
def test_normal_statistics(dtype):
    jf = thunder.jit(lambda: torch.randn(1000, 1000, dtype=dtype) * 1, rng="philox")
    z = jf().double()
    n = z.numel()
    assert abs(z.mean().item()) < 5 / math.sqrt(n)
    assert abs(z.var().item() - 1) < 5 * math.sqrt(2 / n) + (1e-2 if dtype == torch.bfloat16 else 0)
    # the fraction within one and two standard deviations, against torch's erf
    for k in (1.0, 2.0):
        want = torch.erf(torch.tensor(k / math.sqrt(2), dtype=torch.float64)).item()
        got = (z.abs() < k).double().mean().item()
        assert abs(got - want) < 5 * math.sqrt(want * (1 - want) / n) + (2e-3 if dtype == torch.bfloat16 else 0)
    assert torch.isfinite(z).all()


def test_normal_math_is_accurate():
    # the polynomial logarithm and sine/cosine against torch's
    x = torch.rand(100000, dtype=torch.float64) * 0.999 + 0.001
    assert (philox._log(x) - torch.log(x)).abs().max() < 1e-14
    assert (philox._log(x.float()) - torch.log(x.float())).abs().max() < 1e-6
    # the square root is the correctly rounded one (Python's math.sqrt; float32 through NumPy's)
    y = torch.rand(20000, dtype=torch.float64) * 10
    assert philox._sqrt(y).tolist() == [math.sqrt(v) for v in y.tolist()]
    import numpy as np
    assert torch.equal(philox._sqrt(y.float()), torch.from_numpy(np.sqrt(y.float().numpy())))
    s, c = philox._sincos(x)
    assert (s - torch.sin(2 * math.pi * x)).abs().max() < 1e-14
    assert (c - torch.cos(2 * math.pi * x)).abs().max() < 1e-14


# ---- fused and reference implementations agree bit for bit ----


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("draw", ["rand", "randn"])
def test_fused_matches_reference(dtype, draw):
    def fn(x):
        # an odd size (a partial last counter), and a transposed use of the draw
        r = getattr(torch, draw)(301, 333, dtype=dtype)
        return r * 2 + x, (r.t() * 3).contiguous()

    x = torch.randn(301, 333).to(dtype)
    fused, ref = both(fn, x)
    for a, b in zip(fused, ref):
        assert torch.equal(a, b)
    jf = thunder.jit(fn, rng="philox")
    jf(x)
    assert fused_regions(jf) >= 1


def test_fused_dropout_matches_reference_and_is_one_kernel():
    def fn(x, y, z):
        return F.dropout(x, 0.3) * y + z

    args = [torch.randn(301, 17) for _ in range(3)]
    fused, ref = both(fn, *args)
    assert torch.equal(fused, ref)
    jf = thunder.jit(fn, rng="philox")
    jf(*args)
    text = str(thunder.pass_trace(jf, "fusion"))
    assert text.count("cpu_fusion0(") == 1 and "cpu_fusion1" not in text
    assert "prims.uniform_philox" in text


def test_a_lone_draw_is_a_kernel_of_its_own():
    # the reference's integer tensor ops are slow: a draw with nothing to fuse still gets a kernel
    jf = thunder.jit(lambda: torch.randn(50, 60), rng="philox")
    torch.manual_seed(1)
    z = jf()
    assert fused_regions(jf) == 1
    torch.manual_seed(1)
    seed, offset = philox.seed_offset(philox.counters(3000, torch.float32), "cpu")
    assert torch.equal(z, philox.normal((50, 60), seed, offset, dtype=torch.float32, device="cpu"))


def test_reference_matches_prims_directly():
    # the trace's numbers are the reference module's for the seed and offset the trace drew
    def fn():
        return torch.rand(5, 6) + 0, torch.randn(3, 3, dtype=torch.float64) + 0

    jf = thunder.jit(fn, rng="philox")
    torch.manual_seed(4)
    u, z = jf()
    torch.manual_seed(4)
    s1, o1 = philox.seed_offset(philox.counters(30, torch.float32), "cpu")
    s2, o2 = philox.seed_offset(philox.counters(9, torch.float64), "cpu")
    assert torch.equal(u, philox.uniform((5, 6), s1, o1, dtype=torch.float32, device="cpu"))
    assert torch.equal(z, philox.normal((3, 3), s2, o2, dtype=torch.float64, device="cpu"))


# ---- seeds and streams ----


def test_reproducible_under_manual_seed_and_fresh_each_call():
    def fn(x):
        return torch.rand_like(x) + x, torch.randn(4, 4)

    jf = thunder.jit(fn, rng="philox")
    x = torch.zeros(64)
    torch.manual_seed(11)
    a = jf(x)
    b = jf(x)
    torch.manual_seed(11)
    c = jf(x)
    torch.manual_seed(12)
    d = jf(x)
    for p, q in zip(a, c):
        assert torch.equal(p, q)
    for p, q in zip(a, b):
        assert not torch.equal(p, q)
    for p, q in zip(a, d):
        assert not torch.equal(p, q)
    # two draws in one call differ from each other
    assert not torch.equal(a[0][:16].reshape(4, 4), a[1])
    assert thunder.cache_misses(jf) == 1  # seeds are values of the run, not constants of the trace


def test_different_seeds_and_offsets_give_different_numbers():
    base = philox.uniform((64,), 1, 0, dtype=torch.float32, device="cpu")
    assert not torch.equal(base, philox.uniform((64,), 2, 0, dtype=torch.float32, device="cpu"))
    # an offset of k counters shifts the stream by 4k float32 elements
    shifted = philox.uniform((64,), 1, 3, dtype=torch.float32, device="cpu")
    assert torch.equal(base[12:], shifted[:52])


def test_eager_mode_still_draws_eagers_numbers():
    def fn(x):
        return torch.rand_like(x), F.dropout(x, 0.5)

    x = torch.ones(50)
    torch.manual_seed(3)
    want = fn(x)
    torch.manual_seed(3)
    got = thunder.jit(fn)(x)
    for a, b in zip(want, got):
        assert torch.equal(a, b)


# ---- ops in philox mode ----


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_training_gradient(p):
    def fn(x, w):
        return F.dropout(x @ w, p)

    x = torch.randn(40, 16)
    w = torch.randn(16, 24, requires_grad=True)
    jf = thunder.jit(fn, rng="philox")
    y = jf(x, w)
    g = torch.randn_like(y)
    y.backward(g)
    mask = (y != 0).to(y.dtype)
    torch.testing.assert_close(y, (x @ w.detach()) * mask / (1 - p))
    torch.testing.assert_close(w.grad, x.t() @ (g * mask / (1 - p)))
    kept = mask.mean().item()
    assert abs(kept - (1 - p)) < 5 * math.sqrt(p * (1 - p) / mask.numel())


def test_dropout_mask_is_recomputed_not_saved():
    def fn(x, w):
        return F.dropout(x @ w, 0.5).sum()

    x = torch.randn(64, 32)
    w = torch.randn(32, 256, requires_grad=True)
    jf = thunder.jit(fn, rng="philox")
    jf(x, w).backward()
    saved = thunder.compile_stats(jf).saved_for_backward_bytes
    # the seed and offset (16 bytes) and x stand in for a 64 x 256 mask
    assert saved < 64 * 256
    assert saved <= x.numel() * 4 + 16


def test_nn_dropout_module_train_and_eval():
    m = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.25))
    tm = thunder.jit(m, rng="philox")
    x = torch.randn(32, 8)
    y = tm(x)
    lin = m[0](x)
    mask = (y != 0).to(y.dtype)
    torch.testing.assert_close(y, lin * mask / 0.75)
    y.sum().backward()
    torch.testing.assert_close(m[0].bias.grad, (mask / 0.75).sum(0))
    m.eval()
    torch.testing.assert_close(tm(x), m(x))


def test_dropout_edge_cases():
    def fn(x):
        return F.dropout(x, 1.0), F.dropout(x, 0.0), torch.dropout(x, 0.5, False)

    x = torch.randn(10)
    a, b, c = thunder.jit(fn, rng="philox")(x)
    assert torch.equal(a, torch.zeros(10))
    assert torch.equal(b, x) and torch.equal(c, x)

    def inplace(x):
        F.dropout(x, 0.5, inplace=True)
        return x * 1

    y = x.clone()
    out = thunder.jit(inplace, rng="philox")(y)
    assert torch.equal(out, y)  # written back into the input
    kept = y != 0
    torch.testing.assert_close(y[kept], x[kept] * 2)


def test_bernoulli():
    def fn(p):
        return torch.bernoulli(p), torch.bernoulli(p, 0.3), p.bernoulli(0.7)

    p = torch.rand(2000)
    a, b, c = thunder.jit(fn, rng="philox")(p)
    for t in (a, b, c):
        assert t.dtype == p.dtype and set(t.unique().tolist()) <= {0.0, 1.0}
    n = p.numel()
    assert abs(a.mean().item() - p.mean().item()) < 5 * 0.5 / math.sqrt(n)
    assert abs(b.mean().item() - 0.3) < 5 * math.sqrt(0.21 / n)
    assert abs(c.mean().item() - 0.7) < 5 * math.sqrt(0.21 / n)


@pytest.mark.parametrize("variant", ["plain", "causal", "bool mask", "float mask", "scale"])
def test_sdpa_dropout_matches_a_reference_with_the_same_mask(variant):
    q, k, v = torch.randn(2, 3, 8, 16), torch.randn(2, 3, 10, 16), torch.randn(2, 3, 10, 4)
    if variant == "causal":
        k, v = k[:, :, :8], v[:, :, :8]
    bool_mask = torch.rand(8, k.shape[2]) > 0.3
    bool_mask[:, 0] = True  # no row fully masked
    float_mask = torch.randn(8, k.shape[2])
    kwargs = {
        "plain": {},
        "causal": {"is_causal": True},
        "bool mask": {"attn_mask": bool_mask},
        "float mask": {"attn_mask": float_mask},
        "scale": {"scale": 0.3},
    }[variant]

    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.25, **kwargs)

    torch.manual_seed(9)
    out = thunder.jit(fn, rng="philox")(q, k, v)
    S = k.shape[2]
    torch.manual_seed(9)
    seed, offset = philox.seed_offset(philox.counters(2 * 3 * 8 * S, torch.float32), "cpu")
    keep = philox.uniform((2, 3, 8, S), seed, offset, dtype=torch.float32, device="cpu") < 0.75
    scores = q @ k.transpose(-2, -1) * kwargs.get("scale", 1 / math.sqrt(16))
    if variant == "causal":
        scores = scores.masked_fill(~torch.ones(8, 8, dtype=torch.bool).tril(), float("-inf"))
    if variant == "bool mask":
        scores = scores.masked_fill(~bool_mask, float("-inf"))
    if variant == "float mask":
        scores = scores + float_mask
    want = (scores.softmax(-1) * keep / 0.75) @ v
    torch.testing.assert_close(out, want)


def test_sdpa_dropout_gradient_against_torch_autograd_on_the_same_mask():
    q, k, v = (torch.randn(1, 2, 6, 8, dtype=torch.float64, requires_grad=True) for _ in range(3))

    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)

    torch.manual_seed(2)
    out = thunder.jit(fn, rng="philox")(q, k, v)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, (q, k, v), g)
    torch.manual_seed(2)
    seed, offset = philox.seed_offset(philox.counters(2 * 6 * 6, torch.float32), "cpu")
    keep = philox.uniform((1, 2, 6, 6), seed, offset, dtype=torch.float32, device="cpu") < 0.5
    q2, k2, v2 = (t.detach().requires_grad_() for t in (q, k, v))
    want = ((q2 @ k2.transpose(-2, -1) / math.sqrt(8)).softmax(-1) * keep / 0.5) @ v2
    torch.testing.assert_close(out, want)
    for a, b in zip(grads, torch.autograd.grad(want, (q2, k2, v2), g)):
        torch.testing.assert_close(a, b)


def test_sdpa_dropout_under_autocast_casts_as_eager_does():
    q = torch.randn(1, 2, 4, 8)

    def fn(q):
        return F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)

    with torch.autocast("cpu", dtype=torch.bfloat16):
        want = fn(q).dtype
        got = thunder.jit(fn, rng="philox")(q).dtype
    assert got == want


def test_sdpa_without_dropout_keeps_its_library_call():
    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v)

    q = torch.randn(1, 2, 4, 8)
    jf = thunder.jit(fn, rng="philox")
    torch.testing.assert_close(jf(q, q, q), fn(q, q, q))
    text = str(thunder.pass_trace(jf, "fusion"))
    # one attention call (torch's, or the CPU attention kernel's executor), not the math formula
    assert "scaled_dot_product_attention(q, k, v" in text and "philox" not in text and "matmul" not in text


def test_every_philox_form_is_traced():
    def fn(x, q):
        return (
            torch.rand(2), torch.randn(2), torch.rand_like(x), torch.randn_like(x), torch.bernoulli(x, 0.5),
            F.dropout(x, 0.5), F.scaled_dot_product_attention(q, q, q, dropout_p=0.5),
        )

    jf = thunder.jit(fn, rng="philox")
    jf(torch.rand(3), torch.randn(1, 2, 4))
    traced = {b.sym.name for b in thunder.last_traces(jf)[0].bound_symbols}
    forms = {s.name for s in thunder._C.op_table() if s.decompose_only}
    assert forms == {n + "_philox" for n in
                     ("rand", "randn", "rand_like", "randn_like", "bernoulli", "dropout", "scaled_dot_product_attention")}
    assert forms <= traced


# ---- errors ----


def test_errors():
    x = torch.randn(4)
    gen = torch.Generator()
    with pytest.raises(NotImplementedError, match="generator= is not supported"):
        thunder.jit(lambda x: torch.rand_like(x, generator=gen), rng="philox")(x)
    with pytest.raises(NotImplementedError, match="generator= is not supported"):
        thunder.jit(lambda: torch.randn(3, generator=gen), rng="philox")()
    with pytest.raises(ValueError, match="rng must be one of 'eager', 'philox', got 'mt'"):
        thunder.jit(lambda x: x, rng="mt")
    with pytest.raises(NotImplementedError, match="complex dtypes are not supported with rng='philox'"):
        thunder.jit(lambda: torch.rand(3, dtype=torch.complex64), rng="philox")()
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        thunder.jit(lambda x: F.dropout(x, 1.5), rng="philox")(x)
    with pytest.raises(NotImplementedError, match="dropout_p > 0 needs rng='philox'"):
        thunder.jit(lambda q: F.scaled_dot_product_attention(q, q, q, dropout_p=0.1))(torch.randn(1, 2, 3))


# ---- CUDA ----


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", FLOATS)
def test_cuda_reference_matches_cpu_bit_for_bit(dtype):
    seed, offset = torch.tensor(1234567890123), torch.tensor(77)
    for fn in (philox.uniform, philox.normal):
        cpu = fn((33, 65), seed, offset, dtype=dtype, device="cpu")
        cuda = fn((33, 65), seed, offset, dtype=dtype, device="cuda")
        assert cuda.device.type == "cuda"
        assert torch.equal(cuda.cpu(), cpu)


@pytest.mark.cuda
def test_cuda_dropout_gradient_and_reproducibility():
    def fn(x, w):
        return F.dropout(x @ w, 0.3)

    x = torch.randn(64, 32, device="cuda")
    w = torch.randn(32, 48, device="cuda", requires_grad=True)
    jf = thunder.jit(fn, rng="philox")
    torch.manual_seed(8)
    y = jf(x, w)
    g = torch.randn_like(y)
    y.backward(g)
    mask = (y != 0).to(y.dtype)
    torch.testing.assert_close(w.grad, x.t() @ (g * mask / 0.7))
    torch.manual_seed(8)
    assert torch.equal(jf(x, w), y)
    assert not torch.equal(jf(x, w), y)  # the generator's offset advanced


@pytest.mark.cuda
def test_cuda_seed_offset_reads_and_advances_the_cuda_generator():
    torch.cuda.manual_seed(5)
    gen = torch.cuda.default_generators[torch.cuda.current_device()]
    before = gen.get_offset()
    seed, offset = philox.seed_offset(10, "cuda")
    assert seed.item() == 5 and offset.item() == before
    assert gen.get_offset() == before + 12
