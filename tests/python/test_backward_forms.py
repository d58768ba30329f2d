"""The forms backward takes for common training ops: library backward kernels on saved values
(attention, embedding), a select instead of a scatter for one index per row (cross-entropy), and
one concatenation for the pieces of a split. Gradients are checked against eager; the traces are
checked for the form."""

import pytest
import torch
import torch.nn.functional as F

import thunder


def grads_of(fn, inputs, seed=1):
    for x in inputs:
        x.grad = None
    out = fn(*inputs)
    torch.manual_seed(seed)
    # the same values whatever the output's strides (randn_like follows them)
    (out * torch.randn(out.shape, dtype=out.dtype)).sum().backward()
    return out.detach(), [None if x.grad is None else x.grad.clone() for x in inputs]


def check_against_eager(fn, inputs, **tol):
    """fn's output and the inputs' grads under thunder.jit match eager's; returns the jitted fn."""
    expected_out, expected = grads_of(fn, inputs)
    jf = thunder.jit(fn)
    out, got = grads_of(jf, inputs)
    torch.testing.assert_close(out, expected_out, **tol)
    for g, e in zip(got, expected):
        assert (g is None) == (e is None)
        if e is not None:
            torch.testing.assert_close(g, e, **tol)
    return jf


def backward_text(jf):
    return str(thunder.last_backward_traces(jf)[0])


def leaf(*shape, dtype=torch.float64, requires_grad=True, seed=0):
    torch.manual_seed(seed)
    return torch.randn(*shape, dtype=dtype).requires_grad_(requires_grad)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("case", ["causal", "float_mask", "bool_mask", "scale", "plain"])
def test_cpu_attention_backward_runs_a_kernel_on_saved_values(dtype, case):
    # without a mask, thunder's own attention kernel (short sequences); with one, torch's flash
    q, k, v = leaf(2, 3, 5, 8, dtype=dtype), leaf(2, 3, 7, 8, dtype=dtype, seed=1), leaf(2, 3, 7, 8, dtype=dtype, seed=2)
    inputs = [q, k, v]
    if case == "causal":
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)  # noqa: E731
    elif case == "float_mask":
        # a learned additive bias: its gradient comes from the saved log-sum-exp
        inputs.append(leaf(3, 5, 7, dtype=dtype, seed=3))
        fn = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    elif case == "bool_mask":
        torch.manual_seed(4)
        keep = torch.rand(5, 7) > 0.3
        keep[:, 0] = True
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep)  # noqa: E731
    elif case == "scale":
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=0.3)  # noqa: E731
    else:
        fn = F.scaled_dot_product_attention
    tol = {} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-4}
    jf = check_against_eager(fn, inputs, **tol)
    fwd = str(thunder.last_traces(jf)[0])
    kernel = "prims.sdpa_flash_cpu" if case.endswith("mask") else "prims.sdpa_cpu"
    assert f"{kernel}(" in str(thunder.last_traces(jf)[-1]), fwd
    text = backward_text(jf)
    assert f"{kernel}_backward(" in text and "recompute_vjp" not in text, text


@pytest.mark.parametrize("causal", [False, True])
def test_long_sequences_use_the_flash_kernel(causal):
    q, k, v = leaf(1, 1, 520, 8), leaf(1, 1, 520, 8, seed=1), leaf(1, 1, 520, 8, seed=2)
    jf = check_against_eager(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal), [q, k, v])
    assert "prims.sdpa_flash_cpu_backward(" in backward_text(jf)


@pytest.mark.parametrize("causal", [False, True])
def test_cpu_attention_kernel_on_strided_heads(causal):
    # q, k and v as a GPT splits them: strided views of one [B, T, 3 * H * E] tensor; odd sizes
    torch.manual_seed(0)
    B, T, H, E = 3, 13, 2, 5
    qkv = torch.randn(B, T, 3 * H * E, dtype=torch.float64, requires_grad=True)

    def fn(qkv):
        q, k, v = (t.view(B, T, H, E).transpose(1, 2) for t in qkv.split(H * E, dim=2))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return y.transpose(1, 2).reshape(B, T, H * E)

    jf = check_against_eager(fn, [qkv])
    assert "prims.sdpa_cpu_backward(" in backward_text(jf)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_on_a_packed_projection_runs_on_the_packed_tensor(dtype, causal):
    # nanoGPT's attention: a linear makes [B, T, 3C], split into q, k, v heads; the execution
    # traces hand the kernels that tensor itself and get its gradient back whole
    torch.manual_seed(0)
    B, T, H, E = 3, 11, 2, 5
    x = torch.randn(B, T, H * E, dtype=dtype, requires_grad=True)
    w = torch.randn(3 * H * E, H * E, dtype=dtype, requires_grad=True)
    bias = torch.randn(3 * H * E, dtype=dtype, requires_grad=True)

    def fn(x, w, bias):
        q, k, v = F.linear(x, w, bias).split(H * E, dim=2)
        q, k, v = (t.view(B, T, H, E).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return y.transpose(1, 2).reshape(B, T, H * E)

    # without a mask the key bias's gradient is zero but for rounding (softmax ignores a shift of
    # every score in a row): float32 sums of a few dozen rows leave ~1e-5 of it
    tol = {} if dtype == torch.float64 else {"atol": 5e-5, "rtol": 1e-4}
    jf = check_against_eager(fn, [x, w, bias], **tol)
    forward, backward = str(thunder.last_traces(jf)[-1]), str(thunder.last_backward_traces(jf)[-1])
    assert "prims.sdpa_cpu_packed(" in forward and "prims.sdpa_cpu(" not in forward, forward
    assert "prims.sdpa_cpu_packed_backward(" in backward and "prims.cat(" not in backward, backward
    assert "prims.slice(" not in forward + backward


def test_heads_of_a_projection_taken_out_of_order_stay_views():
    # k before q in the packed tensor: not the kernels' packed layout, so the calls stay as they were
    torch.manual_seed(0)
    B, T, H, E = 2, 6, 2, 4
    qkv = torch.randn(B, T, 3 * H * E, dtype=torch.float64, requires_grad=True)

    def fn(qkv):
        k, q, v = (t.view(B, T, H, E).transpose(1, 2) for t in qkv.split(H * E, dim=2))
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    jf = check_against_eager(fn, [qkv])
    assert "prims.sdpa_cpu(" in str(thunder.last_traces(jf)[-1])
    assert "prims.sdpa_cpu_backward(" in str(thunder.last_backward_traces(jf)[-1])


@pytest.mark.parametrize("case", ["broadcast_batch", "gqa", "value_head_size", "rank3"])
def test_attention_outside_the_flash_kernel_recomputes_through_torch(case):
    if case == "broadcast_batch":
        inputs = [leaf(2, 3, 5, 8), leaf(1, 3, 7, 8, seed=1), leaf(1, 3, 7, 8, seed=2)]
        fn = F.scaled_dot_product_attention
    elif case == "gqa":
        inputs = [leaf(2, 4, 5, 8), leaf(2, 2, 7, 8, seed=1), leaf(2, 2, 7, 8, seed=2)]
        fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True)  # noqa: E731
    elif case == "value_head_size":
        inputs = [leaf(2, 3, 5, 8), leaf(2, 3, 7, 8, seed=1), leaf(2, 3, 7, 4, seed=2)]
        fn = F.scaled_dot_product_attention
    else:
        inputs = [leaf(3, 5, 8), leaf(3, 7, 8, seed=1), leaf(3, 7, 8, seed=2)]
        fn = F.scaled_dot_product_attention
    jf = check_against_eager(fn, inputs)
    assert "recompute_vjp" in backward_text(jf)
    assert "sdpa_flash_cpu" not in str(thunder.last_traces(jf)[-1])


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_backward_is_torch_dense_backward(kwargs):
    weight = leaf(6, 4)
    idx = torch.tensor([[0, 2, 2, 5], [1, 5, 0, 2]])
    jf = check_against_eager(lambda w: F.embedding(idx, w, **kwargs), [weight])
    text = backward_text(jf)
    assert "prims.embedding_backward(" in text and "scatter_add" not in text, text


@pytest.mark.parametrize("kwargs", [{}, {"ignore_index": 3}, {"label_smoothing": 0.1}, {"reduction": "sum"}])
def test_cross_entropy_backward_selects_instead_of_scattering(kwargs):
    logits = leaf(6, 5)
    targets = torch.tensor([0, 3, 4, 3, 1, 2])
    jf = check_against_eager(lambda x: F.cross_entropy(x, targets, **kwargs) * torch.ones(()), [logits])
    text = backward_text(jf)
    # one entry per row: the gradient is an elementwise select against the row positions
    assert "scatter_add" not in text and "prims.iota(" in text, text


def test_gather_with_several_entries_per_row_still_scatters():
    x = leaf(3, 4)
    index = torch.tensor([[0, 0], [1, 3], [2, 2]])
    jf = check_against_eager(lambda x: torch.gather(x, 1, index), [x])
    assert "scatter_add" in backward_text(jf)


def test_split_pieces_get_one_concatenation_in_backward():
    x = leaf(2, 3, 12)

    def fn(x):
        q, k, v = x.split(4, dim=-1)
        return q * k.sin() + v

    jf = check_against_eager(fn, [x])
    text = backward_text(jf)
    assert text.count("prims.cat(") == 1 and "prims.pad(" not in text, text


@pytest.mark.parametrize("used", [(0, 1), (1, 2), (0, 2), (2, 0, 1)])
def test_partly_used_or_reordered_chunks_have_exact_gradients(used):
    x = leaf(4, 9)

    def fn(x):
        parts = x.chunk(3, dim=1)
        out = parts[used[0]] * 2.0
        for i in used[1:]:
            out = out * parts[i].cos()
        return out

    jf = check_against_eager(fn, [x])
    text = backward_text(jf)
    adjacent = sorted(used) in ([0, 1], [1, 2], [0, 1, 2])
    # adjacent pieces join into one concatenation; pieces with a gap between them are added
    assert ("prims.cat(" in text) == adjacent, text


def test_overlapping_slices_are_added():
    x = leaf(10)
    jf = check_against_eager(lambda x: x[:6] * x[4:], [x])
    assert "prims.cat(" not in backward_text(jf)


@pytest.mark.parametrize("used", [0, 1])
def test_an_output_backward_never_reaches_gets_no_zero_filled_cotangent(used):
    def fn(x):
        return (x.sin() * x).tanh(), (x.cos() + 1.0) * x.exp()

    x = leaf(64, 33, dtype=torch.float32)
    x.grad = None
    fn(x)[used].sum().backward()
    expected = x.grad.clone()
    jf = thunder.jit(fn)
    x.grad = None
    outs = jf(x)
    outs[used].sum().backward()
    torch.testing.assert_close(x.grad, expected)
    # the other output still takes a cotangent when backward does reach it
    x.grad = None
    sum(o.sum() for o in jf(x)).backward()
    torch.testing.assert_close(x.grad, torch.autograd.grad(sum(o.sum() for o in fn(x)), x)[0])


def test_products_of_strided_heads_match_eager():
    # q @ k^T on heads viewed out of one [B, T, 3 * H * E] tensor: 4-D products whose batch dims do
    # not fold run as one bmm per batch entry (runtime/aten_forms.py), forward and backward
    torch.manual_seed(0)
    B, T, H, E = 2, 6, 3, 4
    qkv = torch.randn(B, T, 3 * H * E, dtype=torch.float64, requires_grad=True)

    def fn(qkv):
        q, k, v = (t.view(B, T, H, E).transpose(1, 2) for t in qkv.split(H * E, dim=2))
        return torch.softmax(q @ k.transpose(-2, -1) * 0.5, -1) @ v

    check_against_eager(fn, [qkv])
    from thunder.runtime.aten_forms import matmul

    a, b = torch.randn(2, 6, 3, 4).transpose(1, 2), torch.randn(2, 6, 3, 4).permute(0, 2, 3, 1)
    torch.testing.assert_close(matmul(a, b), torch.matmul(a, b))
    a.requires_grad_()
    assert matmul(a, b).grad_fn is not None  # under autograd it is torch.matmul itself


def test_inference_attention_runs_the_cpu_kernel_where_it_applies():
    # without autograd nothing decomposes the torch-level call: the cpu_attention executor claims
    # it where the kernel applies, and masked attention stays torch's
    q, k, v = (leaf(2, 3, 9, 8, dtype=torch.float32, requires_grad=False, seed=s) for s in range(3))
    mask = torch.rand(9, 9) > 0.3

    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    def masked(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    for f, runs_kernel in ((fn, True), (masked, False)):
        jf = thunder.jit(f)
        torch.testing.assert_close(jf(q, k, v), f(q, k, v), rtol=1e-5, atol=1e-5)
        assert ("cpu_attention.scaled_dot_product_attention(" in str(thunder.last_traces(jf)[-1])) == runs_kernel
    jf = thunder.jit(fn, executors=["aten"])
    jf(q, k, v)
    assert "cpu_attention" not in str(thunder.last_traces(jf)[-1])


def test_cat_of_pieces_side_by_side_in_one_buffer_is_that_buffer():
    from thunder.runtime.aten_forms import cat as aten_cat
    from thunder.runtime.aten_forms import joined as cat

    buf = torch.randn(2, 5, 3, 2, 4)  # [B, T, 3, H, E]: q, k and v's heads side by side
    pieces = [buf[:, :, i].reshape(2, 5, 8) for i in range(3)]
    out = cat(pieces, 2)
    torch.testing.assert_close(out, torch.cat(pieces, 2), rtol=0, atol=0)
    assert out.untyped_storage().data_ptr() == buf.untyped_storage().data_ptr() and out.is_contiguous()
    # out of order, with a gap, overlapping or strided differently: a copy, as torch.cat makes
    x = torch.randn(4, 6)
    for parts, dim in [((pieces[1], pieces[0]), 2), ((x[:, :2], x[:, 3:]), 1), ((x[:, :3], x[:, 2:5]), 1),
                       ((x[:2].t(), x[2:].t()), 0), ((x[:, :3], x[:, 3:]), 1)]:
        got = cat(parts, dim)
        torch.testing.assert_close(got, torch.cat(parts, dim), rtol=0, atol=0)
        assert got.untyped_storage().data_ptr() != x.untyped_storage().data_ptr() or got.is_contiguous()
    # the column halves of a row-major matrix, or its rows, joined back: the matrix itself
    for parts, dim in [((x[:, :3], x[:, 3:]), 1), ((x[:1], x[1:3], x[3:]), 0)]:
        got = cat(parts, dim)
        assert got.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        torch.testing.assert_close(got, x, rtol=0, atol=0)
        # prims.cat joins only the attention kernel's gradient buffers by a view: a user's tensor
        # (an input, say) is copied, so no output aliases it
        user = aten_cat(parts, dim)
        assert user.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
        torch.testing.assert_close(user, x, rtol=0, atol=0)
