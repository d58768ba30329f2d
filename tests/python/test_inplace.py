"""In-place updates: functional in the trace, written back so callers see what eager shows."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder

STATE = torch.zeros(3)


def run_both(fn, *tensors):
    """Runs fn eagerly and compiled on separate copies; returns both (results, inputs after)."""
    eager_in = [t.clone() for t in tensors]
    jit_in = [t.clone() for t in tensors]
    eager_out = fn(*eager_in)
    jit_out = thunder.jit(fn)(*jit_in)
    return (eager_out, eager_in), (jit_out, jit_in)


def test_inplace_methods_and_operators_update_inputs():
    def fn(x, y):
        x.add_(y, alpha=2)
        y *= 3
        x.sub_(1).mul_(y)
        return x + 0, y.exp_()

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(4), torch.randn(4))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_inplace_on_intermediates_needs_no_write_back():
    def fn(x):
        y = x * 2
        y += 1
        y.tanh_()
        return y

    cfn = thunder.jit(fn)
    x = torch.randn(3)
    torch.testing.assert_close(cfn(x), fn(x))
    assert "copy_" not in str(thunder.last_traces(cfn)[-1])


def test_write_back_appears_in_the_trace():
    cfn = thunder.jit(lambda x: x.mul_(2))
    x = torch.ones(2)
    out = cfn(x)
    assert torch.equal(x, torch.full((2,), 2.0)) and torch.equal(out, x)
    text = str(thunder.last_traces(cfn)[-1])
    assert "  prims.set_grad_enabled(False)\n  prims.copy_(x, t0)\n" in text


def test_inplace_keeps_the_dtype_and_checks_the_cast():
    def cmp(x):
        return x.lt_(0.5)

    (e_out, e_in), (j_out, j_in) = run_both(cmp, torch.rand(5))
    torch.testing.assert_close(j_in, e_in)
    assert j_out.dtype == torch.float32

    def bad(x):
        return x.add_(1.5)

    x = torch.ones(2, dtype=torch.int64)
    with pytest.raises(RuntimeError) as eager:
        bad(x.clone())
    with pytest.raises(RuntimeError) as compiled:
        thunder.jit(bad)(x)
    assert str(compiled.value).startswith(str(eager.value))
    assert torch.equal(x, torch.ones(2, dtype=torch.int64))


def test_inplace_shape_must_not_grow():
    def fn(x, y):
        return x.add_(y)

    x, y = torch.ones(3), torch.ones(2, 3)
    with pytest.raises(RuntimeError) as eager:
        fn(x.clone(), y)
    with pytest.raises(RuntimeError) as compiled:
        thunder.jit(fn)(x, y)
    assert str(compiled.value).startswith(str(eager.value))


def test_inplace_flag_of_functional_ops():
    def fn(x):
        F.relu(x, inplace=True)
        return x * 2

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(6))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_out_argument():
    def fn(a, b, c):
        torch.mul(a, b, out=c)
        return c + 1

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(3), torch.randn(3), torch.zeros(3))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_buffer_updates_in_forward_are_written_back():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("calls", torch.zeros(()))
            self.register_buffer("total", torch.zeros(3))

        def forward(self, x):
            self.calls.add_(1)
            self.total += x
            return x * self.calls

    model, ref = Counter(), Counter()
    tm = thunder.jit(model)
    for i in range(3):
        x = torch.randn(3)
        torch.testing.assert_close(tm(x), ref(x))
    torch.testing.assert_close(model.calls, ref.calls)
    torch.testing.assert_close(model.total, ref.total)
    assert thunder.cache_misses(tm) == 1


def test_parameter_update_under_no_grad_in_forward():
    class Decay(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(2))

        def forward(self, x):
            with torch.no_grad():
                self.w.mul_(0.5)
            return x * 2

    model = Decay()
    thunder.jit(model)(torch.ones(2))
    torch.testing.assert_close(model.w.detach(), torch.full((2,), 0.5))
    assert isinstance(model.w, nn.Parameter)


def test_global_tensor_updated_in_place():
    def fn(x):
        STATE.add_(x)
        return STATE * 1

    before = STATE.clone()
    x = torch.ones(3)
    out = thunder.jit(fn)(x)
    torch.testing.assert_close(STATE, before + 1)
    torch.testing.assert_close(out, before + 1)


def test_updates_through_views_of_inputs_reach_the_input():
    def fn(x):
        v = x.t()
        v.add_(1)
        x.view(-1)[3] = 0
        x.transpose(0, 1)[0] += 1
        x.reshape(2, 6)[1].mul_(2)
        x.narrow(1, 1, 2).fill_(5)
        x.diagonal().zero_()
        x.unsqueeze(0).squeeze(0).permute(1, 0)[2, 1] = -3
        return x * 1

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(4, 3))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_other_views_of_the_base_see_the_update():
    def fn(x):
        a, b, c = x.view(2, 6), x.t(), x.narrow(0, 1, 2)
        parts = x.split(1, 1)
        b[0].mul_(10)  # a view of a view
        parts[2].sub_(1)
        first, second = x.unbind(0)[:2]
        second.add_(first)
        return a + 0, b + 0, c + 0, x.movedim(0, 1) + 0

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(4, 3))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_updates_through_views_of_intermediates_and_copies():
    def fn(x, idx):
        y = x * 1
        v = y.transpose(0, 1)
        v.mul_(2)
        z = y.t().reshape(-1)  # reshape of a transposed tensor copies in eager: y must not change
        z.add_(100)
        w = y[idx]  # an index tensor copies too
        w.fill_(0)
        return y + 1, z, w

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(3, 2), torch.tensor([0, 2]))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_writing_into_an_expanded_view_raises_like_torch():
    def fn(x):
        e = x[:1].expand(3, 4)
        e.add_(1)
        return x

    x = torch.zeros(3, 4)
    with pytest.raises(RuntimeError) as err:
        fn(x.clone())
    with pytest.raises(RuntimeError) as e:
        thunder.jit(fn)(x)
    assert str(err.value) in str(e.value)
    assert "test_inplace.py" in str(e.value) and "e.add_(1)" in str(e.value)
    assert torch.equal(x, torch.zeros(3, 4))


def test_updating_a_view_of_an_intermediate_and_reading_only_the_view():
    def fn(x):
        y = x * 1
        v = y.reshape(4)
        v.mul_(2)
        return v

    x = torch.arange(4.0).reshape(2, 2)
    torch.testing.assert_close(thunder.jit(fn)(x), fn(x))


def test_setitem_on_inputs_and_intermediates():
    def fn(x, v):
        y = x * 1
        y[0] = 5
        y[:, 1] = v
        y[y > 3] = 0  # a boolean mask with a scalar: a where
        x[1, 1:] = 7
        x[..., -1] += 1
        return y

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(3, 4), torch.randn(3))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_setitem_with_index_tensors_and_broadcast_values():
    def fn(x, idx):
        x[idx] = torch.arange(4.0)
        x[[0, 2], 1] = -1.0
        return x

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.zeros(3, 4), torch.tensor([2, 0]))
    torch.testing.assert_close(j_out, e_out)


def test_setitem_errors():
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[5\] cannot be broadcast to "
                                            r"indexing result of shape \[3\]"):
        thunder.jit(lambda x: x.__setitem__(0, torch.ones(5)))(torch.zeros(2, 3))


def test_updates_through_indexing_views_reach_the_base():
    def fn(x):
        x[0][1] = 3  # setitem on a view made by indexing
        row = x[1]
        row.mul_(2)  # an in-place update of that view
        x[2, :2] += 10  # getitem, add_, setitem
        return x * 1

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.ones(3, 3))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_inplace_only_methods_on_inputs():
    def fn(x, src, idx):
        x.index_copy_(0, idx, src[:2])
        x.index_add_(1, idx, src[:, :2], alpha=2)
        x.index_fill_(1, idx[:1], -1.0)
        x.masked_fill_(x > 1.5, 1.5)
        x.scatter_(0, idx.view(1, 2).expand(1, 2), src[:1, :2])
        x.scatter_add_(1, idx.view(1, 2).repeat(3, 1), src[:, :2])
        x.clamp_(-2, 2)
        x.cumsum_(0)
        x.index_put_((idx,), src[:2] * 0.5)
        src.copy_(x[:, :1])  # broadcast into src
        return x * 1

    args = (torch.randn(3, 4), torch.randn(3, 4), torch.tensor([2, 0]))
    (e_out, e_in), (j_out, j_in) = run_both(fn, *args)
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)


def test_copy_fill_and_zero_cast_and_broadcast_like_eager():
    def fn(a, b, c, v):
        a.copy_(torch.arange(4.0) * 1.7)  # float into int: truncated like eager
        b.fill_(v)  # a zero-dim tensor value
        b[0].fill_(7)
        c.zero_()
        return a + 0, b + 0

    args = (torch.zeros(2, 4, dtype=torch.int32), torch.randn(3, 2), torch.randn(5), torch.tensor(2.5))
    (e_out, e_in), (j_out, j_in) = run_both(fn, *args)
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)
    assert j_in[0].dtype == torch.int32


def test_kv_cache_buffer_updated_with_index_copy():
    class KVCache(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("k", torch.zeros(1, 2, 6, 4))

        def forward(self, input_pos, k):
            self.k.index_copy_(2, input_pos, k)
            return self.k.sum(2)

    eager, compiled = KVCache(), KVCache()
    jm = thunder.jit(compiled)
    for step in range(4):
        pos, k = torch.tensor([step]), torch.randn(1, 2, 1, 4)
        torch.testing.assert_close(jm(pos, k), eager(pos, k))
        torch.testing.assert_close(compiled.k, eager.k)
    assert thunder.cache_misses(jm) == 1


def test_inplace_methods_that_change_metadata_are_refused_with_the_line():
    def fn(x):
        x.t_()
        return x

    with pytest.raises(thunder.UnsupportedOpError) as e:
        thunder.jit(fn)(torch.zeros(2, 3))
    assert "torch.Tensor.t_" in str(e.value) and "test_inplace.py" in str(e.value) and "x.t_()" in str(e.value)


def test_index_put_accumulate_is_refused_with_the_line():
    def fn(x, i):
        return x.index_put_((i,), torch.ones(2), accumulate=True)

    with pytest.raises(NotImplementedError, match=r"accumulate=True is not supported yet(.|\n)*test_inplace.py"):
        thunder.jit(fn)(torch.zeros(4), torch.tensor([1, 1]))


def test_views_made_before_an_update_of_their_base_read_the_new_values():
    def fn(x):
        e = x.expand(2, 3)  # read-only view
        first = x[0]
        x.mul_(2)
        x[1] = 7
        return e + 0, first + 0

    (e_out, e_in), (j_out, j_in) = run_both(fn, torch.randn(3))
    torch.testing.assert_close(j_out, e_out)
    torch.testing.assert_close(j_in, e_in)
