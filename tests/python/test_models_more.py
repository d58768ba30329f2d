"""More real architectures through thunder.jit(module): a Llama-style decoder with a KV cache, a
BERT-style encoder and a ResNet, each forward against eager and a few optimizer steps against eager."""

import copy
import os
import sys

import pytest
import torch

import thunder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models"))
from bert import BertConfig, BertForSequenceClassification  # noqa: E402
from llama import Llama, LlamaConfig  # noqa: E402
from resnet import ResNet  # noqa: E402

TOL = {"rtol": 1e-4, "atol": 1e-5}


def train(model, batches, steps, opt_cls=torch.optim.AdamW, lr=1e-3):
    """Runs `steps` optimizer steps; model(*batch) returns the loss or a tuple with it second."""
    opt = opt_cls(model.parameters(), lr=lr)
    losses = []
    for i in range(steps):
        opt.zero_grad()
        out = model(*batches[i % len(batches)])
        loss = out[1] if isinstance(out, tuple) else out
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def assert_trains_like_eager(model, batches, steps, **kw):
    """Losses and final parameters match eager's. Gradients come from thunder's own rules, equal
    to torch's up to rounding; AdamW's first steps are nearly sign(grad) * lr, which turns the
    rounding noise of near-zero gradients (an attention key's bias, whose exact gradient is zero)
    into full-size steps, so these tests train with SGD."""
    ref = copy.deepcopy(model)
    losses = train(thunder.jit(model), batches, steps, **kw)
    ref_losses = train(ref, batches, steps, **kw)
    torch.testing.assert_close(losses, ref_losses, **TOL)
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, **TOL, msg=name)


def traced_ops(tm):
    return {b.sym.name for b in thunder.last_traces(tm)[0].bound_symbols}


# ---- Llama ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("gqa", ["expand", "repeat_interleave", "sdpa"])
def test_llama_forward_and_kv_cache_generation_match_eager(gqa):
    torch.manual_seed(0)
    model = Llama(LlamaConfig(gqa=gqa)).eval()
    tm = thunder.jit(model)
    prompt, targets = torch.randint(0, 128, (2, 8)), torch.randint(0, 128, (2, 8))
    logits, loss, caches = tm(prompt, targets)
    ref_logits, ref_loss, ref_caches = model(prompt, targets)
    torch.testing.assert_close(logits, ref_logits)
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(caches, ref_caches)
    expected = {"repeat_interleave": "repeat_interleave", "sdpa": "scaled_dot_product_attention"}.get(gqa, "expand")
    assert {"outer", "hstack", "rsqrt", "silu", "cat", expected} <= traced_ops(tm)

    # greedy decoding, one token at a time: the caches go in and the grown caches come back
    tok, ref_tok = logits[:, -1:].argmax(-1), ref_logits[:, -1:].argmax(-1)
    for pos in range(8, 10):
        logits, _, caches = tm(tok, None, pos, caches)
        ref_logits, _, ref_caches = model(ref_tok, None, pos, ref_caches)
        torch.testing.assert_close(logits, ref_logits)
        torch.testing.assert_close(caches, ref_caches)
        tok, ref_tok = logits[:, -1:].argmax(-1), ref_logits[:, -1:].argmax(-1)
    assert caches[0][0].shape == (2, 2, 10, 16)
    # the cached run gives the full sequence's last logits
    full = torch.cat([prompt, torch.randint(0, 128, (2, 1))], dim=1)
    last, _, _ = tm(full)
    step, _, _ = tm(full[:, 8:], None, 8, tm(full[:, :8])[2])
    torch.testing.assert_close(step[:, -1], last[:, -1], **TOL)


def test_llama_bfloat16_forward_matches_eager():
    torch.manual_seed(0)
    model = Llama(LlamaConfig()).eval().to(torch.bfloat16)
    tm = thunder.jit(model)
    idx = torch.randint(0, 128, (2, 8))
    logits, _, caches = tm(idx)
    ref_logits, _, ref_caches = model(idx)
    assert logits.dtype == torch.float32 and caches[0][0].dtype == torch.bfloat16
    torch.testing.assert_close(logits, ref_logits)
    torch.testing.assert_close(caches, ref_caches)


def test_llama_training_matches_eager():
    torch.manual_seed(0)
    model = Llama(LlamaConfig(gqa="repeat_interleave")).eval()
    batches = [(torch.randint(0, 128, (2, 8)), torch.randint(0, 128, (2, 8))) for _ in range(2)]
    assert_trains_like_eager(model, batches, steps=4, opt_cls=torch.optim.SGD, lr=0.1)


# ---- BERT ----------------------------------------------------------------------------------------


def bert_batch(batch=3, seq=8, labels=3):
    ids = torch.randint(1, 128, (batch, seq))
    mask = torch.ones(batch, seq, dtype=torch.long)
    mask[1, 5:] = 0  # padding
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    types = torch.zeros(batch, seq, dtype=torch.long)
    types[:, seq // 2:] = 1
    return ids, mask, types, torch.randint(0, labels, (batch,))


def test_bert_forward_matches_eager():
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig()).eval()
    tm = thunder.jit(model)
    batch = bert_batch()
    logits, loss = tm(*batch)
    ref_logits, ref_loss = model(*batch)
    torch.testing.assert_close(logits, ref_logits)
    torch.testing.assert_close(loss, ref_loss)
    assert {"embedding", "layer_norm", "gelu", "softmax", "tanh", "cross_entropy"} <= traced_ops(tm)
    # default mask and token types: buffers sliced and expanded inside the model
    logits, loss = tm(batch[0])
    assert loss is None
    torch.testing.assert_close(logits, model(batch[0])[0])


def test_bert_training_matches_eager():
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig()).eval()
    batches = [bert_batch() for _ in range(2)]
    assert_trains_like_eager(model, batches, steps=4, opt_cls=torch.optim.SGD, lr=0.1)


# ---- ResNet --------------------------------------------------------------------------------------


def test_resnet_forward_matches_eager():
    torch.manual_seed(0)
    model = ResNet().eval()
    for m in model.modules():  # non-trivial running statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    tm = thunder.jit(model)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(tm(x), model(x), **TOL)
    assert {"conv2d", "batch_norm", "relu", "max_pool2d", "adaptive_avg_pool2d", "flatten", "linear"} <= traced_ops(tm)


class WithLoss(torch.nn.Module):
    """A classifier and its cross-entropy loss, so one call trains it."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x, y):
        return torch.nn.functional.cross_entropy(self.m(x), y)


def test_resnet_training_in_eval_mode_matches_eager():
    torch.manual_seed(0)
    model = ResNet().eval()  # eval-mode batch norm: its weight and bias still train

    batches = [(torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,))) for _ in range(2)]
    assert_trains_like_eager(WithLoss(model), batches, steps=3, opt_cls=torch.optim.SGD, lr=0.05)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_resnet_training_mode_matches_eager_values_and_buffers(momentum):
    # train-mode batch norm normalizes with batch statistics and updates running_mean/running_var
    # (unbiased) and num_batches_tracked in place; momentum=None averages cumulatively
    torch.manual_seed(0)
    model = ResNet().train()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = momentum

    batches = [(torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,))) for _ in range(2)]
    wrapped = WithLoss(model)
    ref = copy.deepcopy(wrapped)
    assert_trains_like_eager(wrapped, batches, steps=3, opt_cls=torch.optim.SGD, lr=0.05)
    train(ref, batches, 3, opt_cls=torch.optim.SGD, lr=0.05)
    for (name, b), rb in zip(wrapped.named_buffers(), ref.buffers()):
        torch.testing.assert_close(b, rb, **TOL, msg=name)
    assert int(model.bn1.num_batches_tracked) == 3


# ---- RoPE with complex numbers (the original Llama implementation) -------------------------------


def _precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device)
    freqs = torch.outer(t, freqs).float()
    return torch.polar(torch.ones_like(freqs), freqs)


def _apply_rotary_emb(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    shape = [d if i == 1 or i == xq_.ndim - 1 else 1 for i, d in enumerate(xq_.shape)]
    freqs_cis = freqs_cis.view(*shape)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_llama_complex_rope_matches_eager(dtype):
    torch.manual_seed(0)
    bsz, seqlen, heads, head_dim = 2, 6, 4, 8
    xq, xk = torch.randn(bsz, seqlen, heads, head_dim, dtype=dtype), torch.randn(bsz, seqlen, 2, head_dim, dtype=dtype)

    def rope(xq, xk, start: int):
        freqs_cis = _precompute_freqs_cis(head_dim, 16)[start : start + seqlen]
        return _apply_rotary_emb(xq, xk, freqs_cis)

    cfn = thunder.jit(rope, fallback=False)
    for start in (0, 3):
        torch.testing.assert_close(cfn(xq, xk, start), rope(xq, xk, start))
    names = {b.sym.name for b in thunder.last_traces(cfn)[0].bound_symbols}
    assert {"polar", "view_as_complex", "view_as_real"} <= names
