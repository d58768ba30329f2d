"""thunder.jit on nn.Modules: shared parameters, state, modes, hooks, training."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


def test_module_matches_eager_and_shares_parameters():
    model = MLP()
    tm = thunder.jit(model)
    assert isinstance(tm, thunder.ThunderModule) and isinstance(tm, nn.Module)
    x = torch.randn(3, 8)
    torch.testing.assert_close(tm(x), model(x))
    assert [n for n, _ in tm.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert all(a is b for a, b in zip(tm.parameters(), model.parameters()))
    assert tm.state_dict().keys() == model.state_dict().keys()
    assert tm.fc1 is model.fc1


def test_parameters_are_inputs_not_constants():
    model = MLP()
    tm = thunder.jit(model)
    x = torch.randn(3, 8)
    tm(x)
    trace = thunder.last_traces(tm)[-1]
    assert [i.name for i in trace.inputs] == ["x", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"]
    with torch.no_grad():
        model.fc1.weight.mul_(2)  # an optimizer-style in-place update
    torch.testing.assert_close(tm(x), model(x))
    assert thunder.cache_misses(tm) == 1


def test_optimizer_steps_need_no_recompile_and_grads_reach_the_original():
    torch.manual_seed(0)
    model, ref = MLP(), MLP()
    ref.load_state_dict(model.state_dict())
    tm = thunder.jit(model)
    opt, ref_opt = torch.optim.SGD(model.parameters(), lr=0.1), torch.optim.SGD(ref.parameters(), lr=0.1)
    x, y = torch.randn(5, 8), torch.randn(5, 4)
    for _ in range(3):
        for m, o in ((tm, opt), (ref, ref_opt)):
            o.zero_grad()
            F.mse_loss(m(x), y).backward() if hasattr(F, "mse_loss") else None
            o.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q)
    assert thunder.cache_misses(tm) == 1 and thunder.cache_hits(tm) == 2


def test_load_state_dict_through_the_thunder_module():
    model, other = MLP(), MLP()
    tm = thunder.jit(model)
    x = torch.randn(2, 8)
    tm(x)
    tm.load_state_dict(other.state_dict())
    torch.testing.assert_close(tm(x), other(x))
    torch.testing.assert_close(model.fc1.weight, other.fc1.weight)


def test_tied_weights_are_one_input():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4, bias=False)
            self.b = nn.Linear(4, 4, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    model = Tied()
    tm = thunder.jit(model)
    x = torch.randn(2, 4)
    out = tm(x)
    torch.testing.assert_close(out, model(x))
    assert [i.name for i in thunder.last_traces(tm)[0].inputs] == ["x", "a_weight"]
    out.sum().backward()
    g = model.a.weight.grad.clone()
    model.a.weight.grad = None
    model(x).sum().backward()
    torch.testing.assert_close(g, model.a.weight.grad)


def test_buffers_and_plain_tensor_attributes():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", torch.tensor([2.0, 3.0]))
            self.offset = torch.tensor([1.0, 1.0])  # a plain attribute, not a buffer

        def forward(self, x):
            return x * self.scale + self.offset

    model = Scaled()
    tm = thunder.jit(model)
    x = torch.randn(2)
    torch.testing.assert_close(tm(x), model(x))
    assert "scale" in [i.name for i in thunder.last_traces(tm)[0].inputs]
    model.scale.fill_(5.0)
    torch.testing.assert_close(tm(x), model(x))
    assert thunder.cache_misses(tm) == 1


def test_train_eval_switch_recompiles():
    class Modal(nn.Module):
        def forward(self, x):
            return x * 2 if self.training else x * 3

    model = Modal()
    tm = thunder.jit(model)
    x = torch.ones(2)
    assert torch.equal(tm(x), x * 2)
    tm.eval()
    assert not model.training
    assert torch.equal(tm(x), x * 3)
    model.train()
    assert torch.equal(tm(x), x * 2)
    assert thunder.cache_misses(tm) == 2 and thunder.cache_hits(tm) == 1


def test_module_list_and_dict():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(3))
            self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 3)})

        def forward(self, x, head):
            for layer in self.layers:
                x = torch.tanh(layer(x))
            return self.heads[head](x) + self.layers[-1].bias.sum()

    model = Stack()
    tm = thunder.jit(model)
    x = torch.randn(2, 4)
    for head in ("a", "b", "a"):
        torch.testing.assert_close(tm(x, head), model(x, head))
    assert thunder.cache_misses(tm) == 2


def test_hooks_are_traced():
    model = MLP()
    calls = []
    model.fc1.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    model.fc2.register_forward_hook(lambda mod, args, out: out + 1)
    model.register_forward_hook(lambda mod, args, out: calls.append(out.shape))
    tm = thunder.jit(model)
    x = torch.randn(3, 8)
    got = tm(x)
    torch.testing.assert_close(got, model(x))
    assert calls == [torch.Size([3, 4]), torch.Size([3, 4])]


def test_failed_compile_leaves_the_module_as_it_was():
    class Bad(MLP):
        def forward(self, x):
            return torch.nonzero(self.fc1(x))

    model = Bad()
    params = {n: p for n, p in model.named_parameters()}
    with pytest.raises(NotImplementedError, match="torch.nonzero is not supported"):
        thunder.jit(model)(torch.randn(2, 8))
    assert all(p is params[n] for n, p in model.named_parameters())
    assert all(type(p) is nn.Parameter for p in model.parameters())


def test_kwargs_to_forward_and_repr():
    class KW(nn.Module):
        def forward(self, x, *, scale=1.0, bias=None):
            y = x * scale
            return y if bias is None else y + bias

    tm = thunder.jit(KW())
    x, b = torch.randn(3), torch.randn(3)
    torch.testing.assert_close(tm(x, scale=2.0, bias=b), x * 2.0 + b)
    assert repr(tm).startswith("ThunderModule(KW")
    assert [i.name for i in thunder.last_traces(tm)[0].inputs] == ["x", "bias"]


def _module_cases():
    torch.manual_seed(0)
    image = torch.randn(2, 3, 5, 6)
    bags = torch.randint(0, 10, (9,))
    return [
        ("instance_norm", lambda: nn.InstanceNorm2d(3, affine=True), (image,)),
        ("instance_norm_running", lambda: nn.InstanceNorm2d(3, track_running_stats=True), (image,)),
        ("unfold", lambda: nn.Unfold(2, padding=1, stride=2), (image,)),
        ("fold", lambda: nn.Fold((5, 6), 2), (torch.randn(2, 12, 20),)),
        ("embedding_bag", lambda: nn.EmbeddingBag(10, 4, mode="max"), (bags, torch.tensor([0, 4, 4]))),
        ("local_response_norm", lambda: nn.LocalResponseNorm(2), (image,)),
    ]


@pytest.mark.parametrize("name,make,args", _module_cases(), ids=[c[0] for c in _module_cases()])
def test_more_nn_modules_train_and_eval_like_eager(name, make, args):
    """Forward, gradients and buffers (instance norm's running stats) agree with eager over two
    training steps and one evaluation step."""
    torch.manual_seed(0)
    model = make()
    ref = make()
    ref.load_state_dict(model.state_dict())
    tm = thunder.jit(model)
    for training in (True, True, False):
        tm.train(training), ref.train(training)
        inputs = [a.clone().requires_grad_(a.is_floating_point()) for a in args]
        ref_inputs = [a.clone().requires_grad_(a.is_floating_point()) for a in args]
        out, expected = tm(*inputs), ref(*ref_inputs)
        torch.testing.assert_close(out, expected)
        if training:
            cot = torch.randn_like(expected)
            out.backward(cot), expected.backward(cot)
            for a, b in zip(inputs + list(model.parameters()), ref_inputs + list(ref.parameters())):
                if a.grad is not None or b.grad is not None:
                    torch.testing.assert_close(a.grad, b.grad)
        for (n, a), (_, b) in zip(model.named_buffers(), ref.named_buffers()):
            torch.testing.assert_close(a, b, atol=0, rtol=0, msg=n)


@pytest.mark.skipif(not __import__("thunder.runtime", fromlist=["cpu_fusion_executor"]).cpu_fusion_executor.available(),
                    reason="built without the CPU code generator")
def test_training_batch_norm_fuses_and_its_running_stats_are_eager_exact():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()).train()
    ref = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()).train()
    ref.load_state_dict(model.state_dict())
    tm = thunder.jit(model)
    for _ in range(2):
        x = torch.randn(2, 3, 8, 8)
        torch.testing.assert_close(tm(x), ref(x))
        for (name, a), b in zip(model.named_buffers(), ref.buffers()):
            assert torch.equal(a, b), name
    trace = thunder.last_traces(tm)[-1]
    regions = [b for b in trace.bound_symbols if thunder._C.is_fusion_region(b)]
    fused = {s.sym.name for r in regions for s in r.subsymbols}
    # the normalization and the ReLU in one kernel; only the running stats are a library call
    assert len(regions) == 1 and {"prims.sum", "prims.pow", "prims.where"} <= fused
    assert "prims.batch_norm_running_stats(" in str(trace) and "batch_norm_update" not in str(trace)
