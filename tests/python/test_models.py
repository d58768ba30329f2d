"""Small real architectures through thunder.jit(module): forward and training against eager."""

import copy
import os
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models"))
from nanogpt import GPT, GPTConfig  # noqa: E402


def train(model, batches, steps, lr=1e-3):
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    for i in range(steps):
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        loss = model(x, y)
        loss = loss[1] if isinstance(loss, tuple) else loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_gpt_forward_matches_eager():
    torch.manual_seed(0)
    model = GPT(GPTConfig()).eval()
    tm = thunder.jit(model)
    idx, tgt = torch.randint(0, 128, (2, 16)), torch.randint(0, 128, (2, 16))
    logits, loss = tm(idx, tgt)
    ref_logits, ref_loss = model(idx, tgt)
    torch.testing.assert_close(logits, ref_logits)
    torch.testing.assert_close(loss, ref_loss)
    logits, loss = tm(idx)
    assert loss is None and thunder.cache_misses(tm) == 2


def test_gpt_training_matches_eager():
    torch.manual_seed(0)
    # eval: dropout p=0 anyway; keeps train/eval flags fixed. No biases: the key projection's bias
    # has a gradient of zero in exact arithmetic (softmax ignores a shift), so eager's and
    # thunder's differ only by rounding noise, which AdamW normalizes into full-size steps.
    model = GPT(GPTConfig(n_layer=2, bias=False)).eval()
    ref = copy.deepcopy(model)
    batches = [(torch.randint(0, 128, (4, 16)), torch.randint(0, 128, (4, 16))) for _ in range(3)]
    losses = train(thunder.jit(model), batches, steps=50)
    ref_losses = train(ref, batches, steps=50)
    torch.testing.assert_close(losses, ref_losses, rtol=1e-4, atol=1e-5)
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5, msg=name)


def test_mlp_training_matches_eager():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.LayerNorm(32), nn.Linear(32, 4))
    ref = copy.deepcopy(model)

    class WithLoss(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x, y):
            return F.cross_entropy(self.m(x), y)

    batches = [(torch.randn(8, 16), torch.randint(0, 4, (8,))) for _ in range(4)]
    losses = train(thunder.jit(WithLoss(model)), batches, steps=50)
    ref_losses = train(WithLoss(ref), batches, steps=50)
    torch.testing.assert_close(losses, ref_losses, rtol=1e-4, atol=1e-5)
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_gpt_on_the_meta_device_traces_without_compute():
    with torch.device("meta"):
        model = GPT(GPTConfig(n_layer=4, n_embd=128, n_head=4, vocab_size=512, block_size=32))
    tm = thunder.jit(model)
    logits, _ = tm(torch.zeros(2, 32, dtype=torch.long, device="meta"))
    assert logits.shape == (2, 32, 512) and logits.device.type == "meta"
    assert len(thunder.last_traces(tm)[0].bound_symbols) > 4 * 10


@pytest.mark.cuda
def test_gpt_forward_on_cuda():
    torch.manual_seed(0)
    model = GPT(GPTConfig()).eval().cuda()
    tm = thunder.jit(model)
    idx = torch.randint(0, 128, (2, 16), device="cuda")
    torch.testing.assert_close(tm(idx)[0], model(idx)[0])
