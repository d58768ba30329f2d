"""The fused CPU code generator against torch: regions of every prim of a traced function, compiled
into one kernel and run on the same inputs as eager."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F

from thunder.runtime import cpu_fusion as cf


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    # each test compiles into a fresh cache folder, so disk hits and rebuilds are the test's own
    monkeypatch.setenv("THUNDER_CACHE_DIR", str(tmp_path / "cache"))
    cf.clear_memory_cache()


def check(fn, *args, rtol=None, atol=None, equal_nan=True):
    fused = cf.fuse(fn, *args)
    got, want = fused(*args), fn(*args)
    if isinstance(want, torch.Tensor):
        got, want = (got,), (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        torch.testing.assert_close(g, w, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return fused


def chain(x, y):
    a = x * 0.5 + y
    b = torch.tanh(a) * 2 - torch.relu(x)
    return torch.exp(-b.abs()) / (1 + torch.sigmoid(y)) + torch.maximum(x, y)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_elementwise_chain(dtype):
    x, y = torch.randn(37, 53, dtype=dtype), torch.randn(37, 53, dtype=dtype)
    check(chain, x, y)


def test_large_chain_runs_on_threads():
    x, y = torch.randn(1 << 18), torch.randn(1 << 18)
    check(chain, x, y)


def test_threads_take_uneven_chunks():
    # ranges that do not split evenly into the pool's chunks, for elementwise and reduction kernels
    x = torch.randn(300, 1001)
    check(lambda x: torch.softmax(x, -1), x)
    check(lambda x: torch.tanh(x * 2) + 1, x)
    check(lambda x: torch.logsumexp(x, 0), x, rtol=1e-5, atol=1e-5)


def test_unary_math():
    x = torch.rand(64) * 0.9 + 0.05
    check(lambda x: (torch.log(x) + torch.log1p(x) + torch.log2(x) + torch.log10(x) + torch.sqrt(x) + torch.sin(x)
                     + torch.cos(x) + torch.tan(x) + torch.asin(x) + torch.acos(x) + torch.atan(x) + torch.sinh(x)
                     + torch.cosh(x) + torch.asinh(x) + torch.atanh(x) + torch.erf(x) + torch.erfc(x)
                     + torch.expm1(x) + torch.lgamma(x) + torch.floor(x * 10) + torch.ceil(x * 10)
                     + torch.round(x * 10) + torch.trunc(x * 10) + torch.acosh(x + 1)), x, rtol=1e-5, atol=1e-5)


def test_binary_float():
    x, y = torch.randn(50), torch.randn(50)
    check(lambda x, y: (torch.fmod(x, y), torch.copysign(x, y), torch.atan2(x, y), torch.hypot(x, y),
                        torch.minimum(x, y), x ** y.abs(), x ** 2, x.abs() ** 0.5, x ** 3, x ** -1,
                        x < y, x <= y, x == y, x != y, x > y, x >= y, torch.where(x > y, x, 2.0)), x, y)


def test_integers_and_bool():
    x = torch.randint(-100, 100, (40,))
    y = torch.randint(1, 7, (40,))
    check(lambda x, y: (x + y * 3 - 1, x & y, x | y, x ^ y, torch.maximum(x, y), torch.minimum(x, y), x.abs(), -x,
                        x ** 2, x > y, (x > 0) & (y > 2), torch.where(x > 0, x, y)), x, y)
    check(lambda x, y: (x * y + 7, x.to(torch.float32) / 3, x == y), x.to(torch.int32), y.to(torch.int32))
    b = torch.rand(30) > 0.5
    check(lambda a, b: (a | b, a ^ b, ~a, a.to(torch.float32) + 1), b, torch.rand(30) > 0.3)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_types(dtype):
    x, y = torch.randn(300, dtype=dtype), torch.randn(300, dtype=dtype)
    # computed in float32 and rounded once per torch-level op, as the prims say
    check(lambda x, y: (x * y + x, torch.exp(x) - y, torch.tanh(x), x.to(torch.float32) * 3, torch.maximum(x, y),
                        x > y, torch.softmax(x.view(10, 30), -1)), x, y)


def test_half_conversions_exact():
    # every float16 and bfloat16 bit pattern converts both ways as torch converts
    bits = torch.arange(-(1 << 15), 1 << 15, dtype=torch.int32).to(torch.int16)
    for dtype in (torch.float16, torch.bfloat16):
        h = bits.view(dtype)
        check(lambda h: h.to(torch.float32), h)
        f = h.to(torch.float32) * 1.001
        check(lambda f: f.to(dtype), f)


def test_conversions():
    x = torch.randn(100) * 300
    check(lambda x: (x.to(torch.int64), x.to(torch.int32), x.to(torch.uint8), x.to(torch.bool), x.to(torch.float64)), x)


def test_broadcasting():
    x, b, c = torch.randn(6, 7), torch.randn(7), torch.randn(6, 1)
    check(lambda x, b, c: x * b + c, x, b, c)
    check(lambda b, c: b + c, b, c)
    check(lambda x: x + 1.5, torch.randn(()))


def test_non_contiguous_inputs():
    x = torch.randn(9, 12)
    y = torch.randn(12, 9)
    fused = cf.fuse(lambda x, y: x * 2 + y, x, y.t().contiguous())
    torch.testing.assert_close(fused(x, y.t()), x * 2 + y.t())
    torch.testing.assert_close(fused(x, torch.randn(9, 24)[:, ::2]), fused(x, torch.randn(9, 24)[:, ::2].contiguous()),
                               rtol=10, atol=10)  # shapes only: values differ, the call must not fail
    z = torch.randn(9, 24)[:, ::2]
    torch.testing.assert_close(fused(x, z), x * 2 + z)
    e = torch.randn(12).expand(9, 12)
    torch.testing.assert_close(fused(x, e), x * 2 + e)


def test_views_in_region():
    x = torch.randn(6, 8)
    check(lambda x: (x.t() * 2).exp(), x)
    check(lambda x: x[1:5, ::3] + 1, x)
    check(lambda x: (x.reshape(2, 3, 8) * 2).sum(1), x)
    check(lambda x: (x + 1).reshape(48), x)


@pytest.mark.parametrize("shape,dim", [((16, 100), -1), ((16, 100), 0), ((4, 5, 6), (0, 2)), ((4, 5, 6), (1, 2)),
                                       ((300,), 0), ((7, 1), -1)])
def test_reductions(shape, dim):
    x = torch.randn(shape, dtype=torch.float64)
    check(lambda x: (x.sum(dim), x.amax(dim), x.amin(dim)), x)
    if isinstance(dim, int):
        check(lambda x: x.prod(dim), x)
    check(lambda x: (x.sum(dim, keepdim=True) * x.exp()).sum(dim), x.to(torch.float32), rtol=1e-4, atol=1e-4)
    i = torch.randint(-5, 5, shape)
    check(lambda i: (i.sum(dim), i.amax(dim)), i)


def test_full_reduction():
    x = torch.randn(100000)
    check(lambda x: x.sum(), x, rtol=1e-4, atol=1e-3)
    check(lambda x: (x * x).amax(), x)


@pytest.mark.parametrize("shape", [(8, 10), (64, 1000), (3, 5, 257)])
def test_normalizations(shape):
    x = torch.randn(shape)
    n = shape[-1]
    w, b = torch.randn(n), torch.randn(n)
    check(lambda x: torch.softmax(x, -1), x)
    check(lambda x: torch.log_softmax(x, -1), x, rtol=1e-5, atol=1e-5)
    check(lambda x: torch.logsumexp(x, -1), x)
    check(lambda x, w, b: F.gelu(F.layer_norm(x, (n,), w, b)), x, w, b, rtol=1e-4, atol=1e-5)
    check(lambda x, w: F.rms_norm(x, (n,), w, eps=1e-6), x, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dim", [-1, 0, (0, 2)])
def test_row_buffers(dim):
    # exp(x - max) is computed once per element and kept in a row buffer for the later loops
    x = torch.randn(6, 7, 9)
    region = cf.region_of(lambda x: torch.softmax(x, -1), x)
    src = cf.kernel_source(region)
    assert "row0[" in src and src.count("exp_f(") == 2 + 1  # once per variant, and its definition

    def two_sums(x):
        e = (x - x.amax(dim, keepdim=True)).exp()
        return e / e.sum(dim, keepdim=True), (e * x).sum(dim), e.sum(dim)

    check(two_sums, x, rtol=1e-5, atol=1e-6)
    fused = cf.fuse(two_sums, x)
    xt = torch.randn(9, 7, 6).permute(2, 1, 0)  # strided variant
    for g, w in zip(fused(xt), two_sums(xt)):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


def test_softmax_half():
    x = torch.randn(32, 100, dtype=torch.bfloat16)
    check(lambda x: torch.softmax(x, -1), x)


def test_nan_and_inf():
    x = torch.tensor([[1.0, float("nan"), 3.0], [float("inf"), -float("inf"), 0.0], [1.0, 2.0, 3.0]])
    y = torch.tensor([[float("nan"), 0.0, 5.0], [1.0, 2.0, float("nan")], [3.0, 2.0, 1.0]])
    check(lambda x, y: (torch.maximum(x, y), torch.minimum(x, y), x.amax(-1), x.amin(-1), x.sum(-1), x * 0,
                        torch.softmax(x, -1)), x, y)


def test_empty_tensors():
    check(lambda x: x * 2 + 1, torch.randn(0, 8))
    check(lambda x: x.sum(-1), torch.randn(4, 0))
    check(lambda x: (x * 2).sum(0), torch.randn(0, 3))


def test_unsupported_region_is_reported():
    x = torch.randn(4, 8)
    region = cf.region_of(lambda x: (x.sum(0), x.sum(1)), x)
    assert "different" in cf.unsupported(region)
    with pytest.raises(NotImplementedError, match="cpu fusion"):
        cf.compile_region(region)


def test_bad_inputs_are_rejected():
    x = torch.randn(4, 8)
    fused = cf.fuse(lambda x: x * 2, x)
    with pytest.raises(ValueError, match=r"expected input 0 to be a tensor cpu f32\[4, 8\]"):
        fused(torch.randn(4, 9))
    with pytest.raises(ValueError):
        fused(x.double())
    with pytest.raises(TypeError):
        fused(x, x)


def test_source_is_deterministic_and_cached():
    x = torch.randn(4, 8)
    a = cf.region_of(chain, x, x)
    b = cf.region_of(chain, x, x)
    assert cf.kernel_source(a) == cf.kernel_source(b)
    before = cf.cache_stats()
    k1 = cf.compile_region(a)
    k2 = cf.compile_region(b)
    after = cf.cache_stats()
    assert after["compiles"] - before["compiles"] == 1
    assert after["memory_hits"] - before["memory_hits"] == 1
    assert k1.cache_path == k2.cache_path and os.path.isfile(k1.cache_path)
    assert k1.cache_path.startswith(os.environ["THUNDER_CACHE_DIR"])
    cf.clear_memory_cache()
    cf.compile_region(a)
    assert cf.cache_stats()["disk_hits"] - after["disk_hits"] == 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_corrupt_cache_entry_is_rebuilt(damage):
    x = torch.randn(5, 6)
    region = cf.region_of(chain, x, x)
    path = cf.compile_region(region).cache_path
    data = open(path, "rb").read()
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
    else:
        data = b"not a shared object"
    # a new file in its place: the loaded one stays mapped, as in another process that loaded it
    open(path + ".damaged", "wb").write(data)
    os.replace(path + ".damaged", path)
    cf.clear_memory_cache()
    before = cf.cache_stats()
    kernel = cf.compile_region(region)
    after = cf.cache_stats()
    assert after["corrupt"] - before["corrupt"] == 1 and after["compiles"] - before["compiles"] == 1
    torch.testing.assert_close(kernel(x, x)[0], chain(x, x))
    assert open(path, "rb").read() != data


def test_concurrent_compiles_from_two_processes(tmp_path):
    script = textwrap.dedent("""
        import sys, torch
        from thunder.runtime import cpu_fusion as cf
        x = torch.randn(33, 17)
        f = cf.fuse(lambda x: torch.softmax(x * 3 + 1, -1), x)
        torch.testing.assert_close(f(x), torch.softmax(x * 3 + 1, -1))
        print(cf.cache_stats()["compiles"] + cf.cache_stats()["disk_hits"])
    """)
    env = dict(os.environ, THUNDER_CACHE_DIR=str(tmp_path / "shared"))
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
        assert out.decode().strip() == "1"
    entries = os.listdir(tmp_path / "shared" / "cpu")
    assert len(entries) == 1 and entries[0].endswith(".so"), entries  # no temporary files left behind


@pytest.mark.parametrize("omp", ["1", "0"])
def test_threaded_kernels_run_in_a_forked_child(tmp_path, omp):
    # kernels split on torch's OpenMP threads in the parent (THUNDER_CPU_OMP=0: our own pool);
    # a forked child, where OpenMP cannot run parallel regions, must still run them
    script = textwrap.dedent("""
        import os, torch
        from thunder.runtime import cpu_fusion as cf
        x = torch.randn(512, 1000)
        f = cf.fuse(lambda x: torch.softmax(x, -1), x)
        want = torch.softmax(x, -1)  # ATen's OpenMP threads have run in the parent
        torch.testing.assert_close(f(x), want)
        out = {out!r}
        pid = os.fork()
        if pid == 0:  # no ATen parallel ops here: they would hang
            with open(out, "wb") as fh:
                fh.write(f(x).numpy().tobytes())
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert status == 0, status
        with open(out, "rb") as fh:
            got = torch.frombuffer(bytearray(fh.read()), dtype=torch.float32).reshape(want.shape)
        torch.testing.assert_close(got, want)
        print("ok")
    """).format(out=str(tmp_path / "child.bin"))
    env = dict(os.environ, THUNDER_CACHE_DIR=str(tmp_path / "cache"), THUNDER_CPU_OMP=omp)
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("THUNDER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cf.cache_dir() == str(tmp_path / "xdg" / "thunder")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cf.cache_dir() == os.path.expanduser("~/.cache/thunder")


def test_can_fuse():
    x = torch.randn(4, 8)
    region = cf.region_of(lambda x: torch.softmax(x, -1), x)
    assert all(cf.can_fuse(b) for b in region.subsymbols)
    # integer division by zero raises in torch: the generator declines it
    import thunder

    jf = thunder.jit(lambda a, b: a // b, decompose=True)
    jf(torch.tensor([1]), torch.tensor([2]))
    trace = thunder.last_traces(jf)[-1]
    assert not all(cf.can_fuse(b) for b in trace.bound_symbols if b.sym.name.startswith("prims."))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64])
def test_large_outputs_reuse_pooled_buffers(dtype):
    x = (torch.randn(1 << 19) * 10).to(dtype)
    fused = cf.fuse(lambda x: (x * 3 + 1, x > 2), x)
    cf.clear_pool()
    before = cf.pool_stats()
    a, m = fused(x)  # both pooled (at least 256 KiB)
    torch.testing.assert_close(a, x * 3 + 1)
    assert torch.equal(m, x > 2) and a.is_contiguous() and a.dtype == dtype
    kept = a.clone()
    b, _ = fused(x + 1)  # a is alive: b must not share its memory
    assert a.data_ptr() != b.data_ptr()
    torch.testing.assert_close(a, kept)
    torch.testing.assert_close(b, (x + 1) * 3 + 1)
    ptr = b.data_ptr()
    del b, _
    c, _ = fused(x)  # b's buffer came back to the pool and is reused
    assert c.data_ptr() == ptr
    torch.testing.assert_close(c, x * 3 + 1)
    s = cf.pool_stats()
    assert s["reused"] > before["reused"]
    c.add_(1)  # an ordinary tensor: in-place ops and autograd work on it
    torch.testing.assert_close(c, x * 3 + 2)


def test_large_matmul_outputs_reuse_pooled_buffers():
    from thunder.runtime import aten_forms

    a, b = torch.randn(12, 64, 128), torch.randn(128, 512)
    cf.clear_pool()
    before = cf.pool_stats()
    out = aten_forms.matmul(a, b)
    torch.testing.assert_close(out, torch.matmul(a, b))
    ptr = out.data_ptr()
    del out
    again = aten_forms.matmul(a, b)  # the freed output's buffer, reused
    assert again.data_ptr() == ptr and cf.pool_stats()["reused"] > before["reused"]
    torch.testing.assert_close(again, torch.matmul(a, b))
    # a product autograd records keeps ATen's own output and its graph
    aw = a.clone().requires_grad_()
    aten_forms.matmul(aw, b).sum().backward()
    torch.testing.assert_close(aw.grad, torch.ones(12, 64, 512) @ b.t())


def test_pooled_outputs_of_narrow_dtypes():
    x = torch.randn(1 << 21)  # 2 MiB outputs of one-byte dtypes
    for dtype in (torch.uint8, torch.int8):
        torch.testing.assert_close(cf.fuse(lambda x: (x * 100).to(dtype), x)(x), (x * 100).to(dtype))
    assert torch.equal(cf.fuse(lambda x: x > 0.5, x)(x), x > 0.5)


def test_pool_limit():
    x = torch.randn(1 << 19)
    fused = cf.fuse(lambda x: x * 3 + 1, x)
    limit = cf.pool_stats()["limit_bytes"]
    try:
        cf.set_pool_limit(0)
        assert cf.pool_stats()["held_bytes"] == 0
        a = fused(x)
        del a
        assert cf.pool_stats()["held_bytes"] == 0  # freed, not kept
        cf.set_pool_limit(limit)
        a = fused(x)
        del a
        assert cf.pool_stats()["held_bytes"] >= x.numel() * 4
        cf.clear_pool()
        assert cf.pool_stats()["held_bytes"] == 0
    finally:
        cf.set_pool_limit(limit)


def test_exp_of_masked_and_far_negative_arguments():
    # -inf (a masked score), arguments below expf's vector range, subnormal results, NaN and inf
    x = torch.cat([torch.randn(4000) * 40, torch.tensor([-float("inf"), float("inf"), float("nan"), -103.9, -87.5,
                                                          -104.5, 88.7, 88.8, -0.0])])
    check(lambda x: torch.exp(x * 1.0) + 0.0, x)
    scores = torch.randn(6, 16, 16)
    mask = torch.ones(16, 16, dtype=torch.bool).tril()
    check(lambda s, m: torch.softmax(torch.where(m, s, float("-inf")), -1), scores, mask)


def test_positions_fitting_32_bits_are_held_in_int32():
    # cross-entropy's backward compares class positions (an iota) with the targets: the positions
    # are int32_t in the kernel, widened exactly where they meet the int64 targets
    import thunder

    logits = torch.randn(40, 300, requires_grad=True)
    targets = torch.randint(0, 300, (40,))
    jf = thunder.jit(F.cross_entropy)
    jf(logits, targets).backward()
    got = logits.grad.clone()
    logits.grad = None
    F.cross_entropy(logits, targets).backward()
    torch.testing.assert_close(got, logits.grad)
    trace = thunder.last_backward_traces(jf)[-1]
    region = next(b for b in trace.bound_symbols if any(s.sym.name == "prims.iota" for s in b.subsymbols))
    assert "const int32_t" in cf.kernel_source(region)


def test_repeated_values_in_a_region_are_computed_once():
    # a recomputed forward beside its backward: the same prims twice in one region
    def f(x, g):
        a = torch.erf(x * 0.7071067811865476)
        b = torch.erf(x * 0.7071067811865476)
        return x * 0.5 * (1 + a), g * (0.5 * (1 + b))

    x, g = torch.randn(64, 32), torch.randn(64, 32)
    fused = check(f, x, g)
    src = cf.kernel_source(fused.region)
    assert src.count("= erff(strip_buf") == 2  # once per variant


def test_vector_math_calls_run_in_strips():
    # log1p of exp of a value, and a tanh beside them: the calls run in loops of their own over
    # strip arrays, the second round (log1p, whose argument reads exp's result) after the first
    def f(x):
        return torch.log1p(torch.exp(x) * 0.5) + torch.tanh(x) * x

    for n in (5, 512, 1000, 4096 + 3):
        x = torch.randn(n)
        fused = check(f, x)
    src = cf.kernel_source(fused.region)
    exp_call, tanh_call, log1p_call = (src.index(f"= {fn}(strip_buf") for fn in ("exp_f", "tanhf", "log1pf"))
    assert exp_call < log1p_call and tanh_call < log1p_call


def test_reshaped_output_of_a_reduction_region():
    # a layer norm whose output is also handed out reshaped for a matmul
    def f(x, w, b, g):
        c = x - x.sum(-1, keepdim=True) / 32
        y = c * torch.rsqrt((c * c).sum(-1, keepdim=True) / 32 + 1e-5) * w + b
        return y.reshape(48, 32), (g + y).reshape(48, 32) * 2

    x, w, b, g = torch.randn(3, 16, 32), torch.randn(32), torch.randn(32), torch.randn(3, 16, 32)
    region = cf.region_of(f, x, w, b, g)
    assert cf.unsupported(region) is None
    check(f, x, w, b, g, rtol=1e-5, atol=1e-5)


def test_full_is_computed_in_the_kernel():
    import thunder

    def f(x):
        return torch.where(x > 0, x * 2, torch.zeros_like(x)) + torch.full_like(x, 3.0)

    jf = thunder.jit(f)
    x = torch.randn(8, 8)
    torch.testing.assert_close(jf(x), f(x))
    text = str(thunder.last_traces(jf)[-1])
    assert "prims.full" in text and "torch.full" not in text.split("cpu_fusion")[0]


def gelu_backward_with_bias_grad(x, g):
    d = g * (0.5 * (1 + torch.erf(x * 0.7071067811865476)) + x * torch.exp(-0.5 * x * x) * 0.3989422804014327)
    return F.gelu(x), d, d.sum((0, 1)), g.sum((0, 1))


def layer_norm_backward_with_weight_grads(x, w, gy):
    xh = (x - x.mean(-1, keepdim=True)) * torch.rsqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-5)
    return xh * w, (gy * xh).sum((0, 1)), gy.sum((0, 1))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_column_sums_in_an_elementwise_kernel(dtype):
    # a bias's gradient summed while the kernel computes it, not by a second pass over it
    x, g = torch.randn(6, 50, 48, dtype=dtype), torch.randn(6, 50, 48, dtype=dtype)
    fused = check(gelu_backward_with_bias_grad, x, g, rtol=1e-5, atol=1e-4)
    assert "thunder_kernel_finish" in cf.kernel_source(fused.region)
    # strided operands take the other variant
    xt = torch.randn(6, 48, 50, dtype=dtype).transpose(1, 2)
    got, want = fused(xt, g), gelu_backward_with_bias_grad(xt, g)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_column_sums_beside_row_reductions(dtype):
    # a layer norm's weight and bias gradients in the kernel of its row reductions
    x, w, gy = torch.randn(3, 700, 64, dtype=dtype), torch.randn(64, dtype=dtype), torch.randn(3, 700, 64, dtype=dtype)
    fused = check(layer_norm_backward_with_weight_grads, x, w, gy, rtol=1e-5, atol=1e-4)
    assert "thunder_kernel_finish" in cf.kernel_source(fused.region)


def test_column_sums_do_not_depend_on_threads():
    # rows add up in fixed blocks and blocks in order, however threads split them
    x, g = torch.randn(9, 333, 40), torch.randn(9, 333, 40)
    fused = cf.fuse(gelu_backward_with_bias_grad, x, g)
    threads = cf._C.cpu_fusion_threads()
    try:
        results = []
        for n in (1, 2, 3):
            cf.set_threads(n)
            results.append(fused(x, g))
    finally:
        cf.set_threads(threads)
    for r in results[1:]:
        for a, b in zip(r, results[0]):
            assert torch.equal(a, b)


def test_a_sum_the_region_reads_on_is_an_ordinary_reduction():
    # logsumexp over the leading dim: its sum is read by the log, so it is no column sum
    x = torch.randn(40, 33)
    check(lambda x: torch.logsumexp(x, 0) + x.sum(0), x, rtol=1e-5, atol=1e-5)


def test_gpt_backward_sums_gradients_in_its_kernels():
    # bias and layer-norm weight gradients come out of the kernels that compute their operands;
    # the packed q, k, v bias gradient (another width than the kernels' rows) stays on ATen, and
    # its layer norm's backward stays one kernel
    import sys

    import thunder

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models"))
    from nanogpt import GPT, GPTConfig

    torch.manual_seed(0)
    model = GPT(GPTConfig(block_size=16, vocab_size=50, n_layer=2, n_head=2, n_embd=32))
    idx = torch.randint(0, 50, (2, 16))
    jm = thunder.jit(model)
    _, loss = jm(idx, idx)
    loss.backward()
    got = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    _, want_loss = model(idx, idx)
    want_loss.backward()
    torch.testing.assert_close(loss, want_loss)
    for n, p in model.named_parameters():
        torch.testing.assert_close(got[n], p.grad, rtol=1e-4, atol=1e-5)
    trace = thunder.last_backward_traces(jm)[-1]
    aten_sums = [b for b in trace.bound_symbols if b.sym.name == "prims.sum"]
    assert all(b.args[0].shape[-1] == 96 or len(b.args[1]) == 1 for b in aten_sums), str(trace)
    in_kernels = [s for b in trace.bound_symbols if b.sym.name.startswith("cpu_fusion") for s in b.subsymbols
                  if s.sym.name == "prims.sum" and len(s.args[1]) == 2]
    # per block: two biases of the MLP, the attention projection's bias, two norms' weights and biases
    assert len(in_kernels) >= 2 * 7, str(trace)


def test_column_sums_over_no_rows_are_zeros():
    # an empty range still runs the finishing step, which writes the sums
    def f(x):
        y = torch.exp(x) * 2
        return y, y.sum((0, 1))

    check(f, torch.randn(0, 5, 32))
    check(f, torch.randn(3, 0, 32))


def test_float_erf_in_kernels_is_accurate():
    # the kernels' float erf (libmvec's vector erff, called over strip arrays): within 2 ulp of the
    # exact value (held in float64) over a dense sweep, never beyond +-1, +-1 from 4 on (where erf
    # rounds to it), exact at 0, NaN for NaN
    edges = [0.0, -0.0, 1e-30, -1e-30, 1e-8, 3.6, 3.97, 4.0, 10.0, -10.0, float("inf"), float("-inf"), float("nan")]
    x = torch.cat([torch.linspace(-6, 6, 400_001), torch.tensor(edges)])
    got = cf.fuse(lambda t: torch.erf(t) * 1.0, x)(x)
    want = torch.erf(x.double())
    finite = want.isfinite()
    w = want.float().abs()
    spacing = (torch.nextafter(w, torch.tensor(float("inf"))) - w).double()
    ulp = ((got.double() - want).abs() / spacing)[finite]
    assert ulp.max() <= 2, (ulp.max(), x[finite][ulp.argmax()])
    assert got[finite].abs().max() <= 1
    assert torch.equal(got[x.abs() >= 4], torch.sign(x[x.abs() >= 4]))
    assert got[x == 0].eq(0).all() and got[-1].isnan()
