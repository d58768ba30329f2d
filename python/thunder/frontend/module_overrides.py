"""Module methods that thunder traces in a form of its own.

nn.BatchNorm with momentum=None averages its running stats cumulatively with the factor
`1.0 / float(num_batches_tracked)`: reading the counter's value is impossible while tracing (its
value differs on every call). While tracing, `_BatchNorm.forward` is replaced by a copy that
keeps the factor a zero-dim float64 tensor (`1.0 / num_batches_tracked`), which the batch_norm op
takes as its momentum; the kernel turns it into the same double eager computes. Calls on real
tensors (another thread running eager code meanwhile) go to torch's own forward.
"""

import contextlib

import torch
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

_original_forward = _BatchNorm.forward


def _batch_norm_forward(self, input):
    from thunder.frontend.proxies import TensorProxy

    counter = getattr(self, "num_batches_tracked", None)
    if not (self.momentum is None and self.training and self.track_running_stats and isinstance(counter, TensorProxy)):
        return _original_forward(self, input)
    self._check_input_dim(input)
    counter.add_(1)
    factor = 1.0 / counter.to(torch.float64)
    return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias, True, factor, self.eps)


_depth = 0  # traces in progress (a compiled function may be traced while another one is)


@contextlib.contextmanager
def module_overrides():
    """Installs thunder's module methods for the duration of a trace."""
    global _depth
    _depth += 1
    _BatchNorm.forward = _batch_norm_forward
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _BatchNorm.forward = _original_forward
