"""Extending thunder: a custom executor that replaces layer_norm with a user's kernel, and a
custom operator with its own meta function and grad rule.

    .venv/bin/python examples/custom_executor.py

Prints the execution traces: the executor's lines read `my_kernels.layer_norm(...)` and the custom
operator's `scaled_tanh(...)`; every other line is a torch call run by ATen.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

import thunder
from thunder.extend import OperatorExecutor, register_executor, register_operator


# 1. A custom executor: runs layer_norm with our own kernel, for float32 inputs only.
def my_layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """A hand-written layer_norm (stands in for a fused kernel from a library)."""
    dims = tuple(range(-len(normalized_shape), 0))
    var, mean = torch.var_mean(input, dims, unbiased=False, keepdim=True)
    out = (input - mean) * torch.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def float32_only(bsym):
    """The checker: bsym.args are layer_norm's arguments in signature order; args[0] is the input."""
    return bsym.args[0].dtype == thunder._C.DType.float32


my_kernels = register_executor(OperatorExecutor("my_kernels"))
my_kernels.register_implementation(F.layer_norm, my_layer_norm, checker=float32_only)


# 2. A custom operator: meta (shapes and dtypes on torch's meta device), implementation, grad.
scaled_tanh = register_operator(
    "scaled_tanh",
    meta=lambda x, scale: torch.empty_like(x),
    impl=lambda x, scale: torch.tanh(x) * scale,
    grad=lambda x, scale, g: (g * scale * (1 - torch.tanh(x) ** 2), None),
)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return scaled_tanh(self.fc(self.norm(x)), 2.0)


def main():
    torch.manual_seed(0)
    model = Block(64)
    x = torch.randn(8, 64, requires_grad=True)

    tmodel = thunder.jit(model, executors=[my_kernels])  # ATen runs what my_kernels does not claim
    out = tmodel(x)
    out.sum().backward()
    grad = x.grad.clone()

    x.grad = None
    expected = model(x)
    expected.sum().backward()
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(grad, x.grad)

    trace = thunder.last_traces(tmodel)[-1]
    print(trace)
    text = str(trace)
    assert "my_kernels.layer_norm(" in text and "scaled_tanh(" in text
    print("matches eager (forward and grad); layer_norm ran on my_kernels, scaled_tanh with its own grad rule")


if __name__ == "__main__":
    main()
