"""User-facing errors raised while tracing, and the source locations they point at."""

import linecache
import os
import sys

import torch

import thunder

_THUNDER_DIR = os.path.dirname(os.path.abspath(thunder.__file__))
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))


class UnsupportedOpError(NotImplementedError):
    """A torch call that the op table does not cover."""


class DataDependentError(RuntimeError):
    """Python needed a tensor's value (bool(t), t.item(), ...) while tracing, where only metadata exists."""


def user_location():
    """(file, line) of the innermost frame outside thunder and torch: the user's call site."""
    f = sys._getframe(1)
    while f is not None:
        fname = os.path.abspath(f.f_code.co_filename)
        if not (fname.startswith(_THUNDER_DIR) or fname.startswith(_TORCH_DIR)):
            return f.f_code.co_filename, f.f_lineno
        f = f.f_back
    return "<unknown>", 0


def where(loc):
    """'  at file:line: source text' for appending to a message."""
    file, line = loc
    text = linecache.getline(file, line).strip()
    return f"\n  at {file}:{line}" + (f": {text}" if text else "")


def with_location(exc, loc):
    """A copy of `exc` (same type) whose message ends with the user's source location."""
    new = type(exc)(f"{exc}{where(loc)}")
    return new
