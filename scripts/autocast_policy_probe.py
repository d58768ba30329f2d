"""Checks thunder's autocast lists (python/thunder/frontend/autocast.py) against eager autocast.

For each probe op it runs eager under torch.autocast with float32 and with low-precision inputs,
derives the policy torch applied ("lower", "fp32", "promote" or none), and compares it with the
list entry; it also runs the op through thunder.jit under autocast and compares output dtypes.

    python scripts/autocast_policy_probe.py [--device cuda] [--dtype float16]
"""

import argparse
import sys

import torch
import torch.nn.functional as F

import thunder
from thunder.frontend.autocast import POLICIES


def probes(device):
    t = torch.randint(0, 4, (4,), device=device)
    return {
        "matmul": lambda x: x @ x, "mm": lambda x: torch.mm(x, x), "bmm": lambda x: torch.bmm(x[None], x[None]),
        "addmm": lambda x: torch.addmm(x, x, x), "baddbmm": lambda x: torch.baddbmm(x[None], x[None], x[None]),
        "linear": lambda x: F.linear(x, x), "conv2d": lambda x: F.conv2d(x[None, None], x[None, None]),
        "conv_transpose2d": lambda x: F.conv_transpose2d(x[None, None], x[None, None]),
        "scaled_dot_product_attention": lambda x: F.scaled_dot_product_attention(x[None], x[None], x[None]),
        "einsum": lambda x: torch.einsum("ij,jk->ik", x, x),
        "softmax": lambda x: x.softmax(-1), "log_softmax": lambda x: x.log_softmax(-1),
        "layer_norm": lambda x: F.layer_norm(x, (4,)), "group_norm": lambda x: F.group_norm(x[None], 2),
        "exp": lambda x: x.exp(), "log": lambda x: x.abs().log(), "pow": lambda x: x.pow(2), "sum": lambda x: x.sum(),
        "prod": lambda x: x.prod(), "cumsum": lambda x: x.cumsum(0), "mse_loss": lambda x: F.mse_loss(x, x),
        "l1_loss": lambda x: F.l1_loss(x, x), "cross_entropy": lambda x: F.cross_entropy(x, t),
        "nll_loss": lambda x: F.nll_loss(x, t), "smooth_l1_loss": lambda x: F.smooth_l1_loss(x, x),
        "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, x.sigmoid()),
        "norm": lambda x: x.norm(), "rsqrt": lambda x: x.abs().rsqrt(), "reciprocal": lambda x: x.reciprocal(),
        "tan": lambda x: x.tan(), "cosh": lambda x: x.cosh(), "softplus": lambda x: F.softplus(x),
        "logsumexp": lambda x: x.logsumexp(0), "gelu": lambda x: F.gelu(x), "mean": lambda x: x.mean(),
        "addcmul": lambda x: torch.addcmul(x, x, x), "atan2": lambda x: torch.atan2(x, x),
        "linalg_vector_norm": lambda x: torch.linalg.vector_norm(x),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="bfloat16")
    a = ap.parse_args()
    low = getattr(torch, a.dtype)
    x = torch.randn(4, 4, device=a.device)
    table = POLICIES[a.device]
    bad = 0
    for name, f in probes(a.device).items():
        with torch.autocast(a.device, dtype=low):
            try:
                hi, lo = f(x).dtype, f(x.to(low)).dtype
            except Exception as e:  # noqa: BLE001
                print(f"{name}: eager fails under autocast ({type(e).__name__})")
                continue
            observed = "lower" if hi == low else "fp32" if lo == torch.float32 else None
            try:
                got = thunder.jit(f)(x).dtype
            except Exception as e:  # noqa: BLE001
                got = f"error {type(e).__name__}: {e}"
        listed = table.get(name)
        ok = (observed == listed or (observed is None and listed == "promote")) and got == hi
        bad += not ok
        print(f"{'ok ' if ok else 'BAD'} {name}: eager {observed}, listed {listed}; eager f32 -> {hi}, thunder -> {got}")
    print(f"{bad} mismatches on {a.device} ({torch.__version__})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
