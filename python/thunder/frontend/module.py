"""ThunderModule: the compiled form of an nn.Module, sharing the original's parameters and buffers."""

import torch

from thunder.frontend.jit import ThunderFunction


class ThunderModule(torch.nn.Module):
    """Runs `module`'s forward through thunder. Parameters and buffers are the original module's
    own objects (by identity), so optimizers, state_dict and load_state_dict act on both; they enter
    each trace as inputs, so updating them needs no recompile."""

    def __init__(self, module, *, cache="constant values", decompose=False, fallback=True, executors=None,
                 disable_passes=(), rng="eager"):
        super().__init__()
        self._model = module
        self._compiled = ThunderFunction(module, cache=cache, decompose=decompose, fallback=fallback, executors=executors,
                                         disable_passes=disable_passes, module=module, rng=rng)

    def forward(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        # straight to the compiled function: nn.Module's call machinery costs microseconds per
        # call, and the hooks that matter live on the original module, where they are traced
        return self._compiled(*args, **kwargs)

    # the original's names, without a "_model." prefix
    def named_parameters(self, *args, **kwargs):
        return self._model.named_parameters(*args, **kwargs)

    def named_buffers(self, *args, **kwargs):
        return self._model.named_buffers(*args, **kwargs)

    def named_modules(self, *args, **kwargs):
        return self._model.named_modules(*args, **kwargs)

    def state_dict(self, *args, **kwargs):
        return self._model.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return self._model.load_state_dict(state_dict, strict=strict, assign=assign)

    def get_submodule(self, target):
        return self._model.get_submodule(target)

    def get_parameter(self, target):
        return self._model.get_parameter(target)

    def get_buffer(self, target):
        return self._model.get_buffer(target)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._model, name)

    def __repr__(self):
        return f"ThunderModule({self._model!r})"
