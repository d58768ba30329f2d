"""The autograd glue: a specialization whose inputs require grad runs its forward trace as the
forward of one torch.autograd.Function and its backward trace as that Function's backward, so a
compiled function trains inside ordinary PyTorch code (optimizers, accumulation, clipping)."""

import torch

from thunder.runtime.torch_types import FROM_DTYPE

DOUBLE_BACKWARD_MESSAGE = (
    "thunder.jit: backward with create_graph=True (double backward) through a compiled function is not "
    "supported yet; compute higher-order gradients outside thunder.jit"
)


class GradPlan:
    """What one differentiated specialization runs: the forward and backward functions, and which
    outputs take a cotangent."""

    __slots__ = ("forward", "backward", "n_saved", "cotangent_positions", "nondiff_positions", "n_tensor_outputs",
                 "leaf_is_tensor", "single_output", "constants")

    def __init__(self, forward, backward, n_saved, cotangent_positions, leaf_is_tensor, single_output, constants):
        self.forward = forward
        self.backward = backward
        self.n_saved = n_saved
        self.cotangent_positions = tuple(cotangent_positions)
        self.n_tensor_outputs = sum(leaf_is_tensor)
        self.nondiff_positions = tuple(i for i in range(self.n_tensor_outputs) if i not in set(cotangent_positions))
        self.leaf_is_tensor = tuple(leaf_is_tensor)
        self.single_output = single_output
        # the output's non-tensor leaves, in order (fixed at trace time)
        self.constants = tuple(constants)


class ThunderGradFunction(torch.autograd.Function):
    """Forward: the forward trace (outputs, and the tensors saved for backward). Backward: the
    backward trace, from the saved tensors and the outputs' cotangents to the inputs' grads."""

    @staticmethod
    def forward(ctx, plan, *inputs):
        out, saved = plan.forward(*inputs)
        ctx.plan = plan
        ctx.save_for_backward(*saved)
        leaves = (out,) if plan.single_output else out
        tensors = tuple(x for x, is_t in zip(leaves, plan.leaf_is_tensor) if is_t)
        if plan.nondiff_positions:
            ctx.mark_non_differentiable(*(tensors[i] for i in plan.nondiff_positions))
        # an output backward never reaches (the logits beside a loss) gets no zero-filled cotangent
        # from autograd: backward stands a broadcast zero in for it, with no memory behind it
        ctx.set_materialize_grads(False)
        ctx.output_metas = tuple((t.shape, t.dtype, t.device) for t in tensors)
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        if torch.is_grad_enabled():
            raise RuntimeError(DOUBLE_BACKWARD_MESSAGE)
        plan = ctx.plan
        cotangents = []
        for i in plan.cotangent_positions:
            g = grads[i]
            if g is None:
                shape, dtype, device = ctx.output_metas[i]
                g = torch.zeros((), dtype=dtype, device=device).expand(shape)
            cotangents.append(g)
        return (None, *plan.backward(*ctx.saved_tensors, *cotangents))


def make_grad_function(plan):
    """The function the cache calls: same inputs and same output structure as an execution
    function, its outputs attached to autograd through ThunderGradFunction."""
    apply = ThunderGradFunction.apply
    if plan.single_output and plan.leaf_is_tensor == (True,):
        def run(*inputs):
            return apply(plan, *inputs)[0]
        return run
    leaf_is_tensor = plan.leaf_is_tensor

    def run_general(*inputs):
        tensors, constants = iter(apply(plan, *inputs)), iter(plan.constants)
        out = tuple(next(tensors) if is_t else next(constants) for is_t in leaf_is_tensor)
        return out[0] if plan.single_output else out

    return run_general


def saved_bytes(saved):
    """Bytes of the tensors a specialization saves for backward (from the proxies' metadata)."""
    total = 0
    for p in saved:
        n = 1
        for d in p.shape:
            n *= d
        total += n * FROM_DTYPE[p.dtype].itemsize
    return total


def recompute_vjp(fn, inputs, cotangents, needs):
    """prims.recompute_vjp: the gradients of an opaque call (a library call or a torch call outside
    the op table) by running it again under torch.autograd; zeros where it does not reach."""
    with torch.enable_grad():
        xs = [x.detach().requires_grad_(n) for x, n in zip(inputs, needs)]
        out = fn(*xs)
    outs = [out] if isinstance(out, torch.Tensor) else [o for o in out if isinstance(o, torch.Tensor)]
    pairs = [(o, g) for o, g in zip(outs, cotangents) if g is not None and o.requires_grad]
    wrt = [x for x, n in zip(xs, needs) if n]
    grads = [None] * len(wrt)
    if pairs:
        grads = torch.autograd.grad([o for o, _ in pairs], wrt, [g for _, g in pairs], allow_unused=True)
    return tuple(torch.zeros_like(x) if g is None else g for x, g in zip(wrt, grads))
