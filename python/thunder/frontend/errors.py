"""User-facing errors raised while tracing, and the source locations they point at."""

import linecache
import os
import sys
import sysconfig

import torch

import thunder

_THUNDER_DIR = os.path.dirname(os.path.abspath(thunder.__file__))
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))
_STDLIB_DIRS = tuple({os.path.abspath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib")})


class UnsupportedOpError(NotImplementedError):
    """A torch call that the op table does not cover."""


class UnsupportedConstructError(NotImplementedError):
    """Python code thunder cannot compile faithfully (writing a global, say)."""


class DataDependentError(RuntimeError):
    """Python needed a tensor's value (bool(t), t.item(), ...) while tracing, where only metadata exists."""


# whether torch.autocast is on for any device type (calls under it take the Python path, which
# keys the cache on the autocast state)
any_autocast_enabled = getattr(torch._C, "_is_any_autocast_enabled", lambda: torch.is_autocast_enabled())


def is_internal_file(filename):
    """Whether a source file belongs to thunder or torch (not the user's program)."""
    fname = os.path.abspath(filename)
    return fname.startswith(_THUNDER_DIR) or fname.startswith(_TORCH_DIR) or filename.startswith("<thunder")


def is_library_file(filename):
    """Whether a source file is thunder's, torch's or Python's standard library: code whose
    globals the bytecode review does not guard."""
    if is_internal_file(filename) or filename.startswith("<frozen"):
        return True
    path = os.path.abspath(filename)
    # third-party packages (a model library, say) live under the standard library's folder too
    return path.startswith(_STDLIB_DIRS) and "-packages" + os.sep not in path


def user_frame():
    """The innermost frame outside thunder and torch: the user's call site."""
    f = sys._getframe(1)
    while f is not None and is_internal_file(f.f_code.co_filename):
        f = f.f_back
    return f


def user_location():
    """(file, line) of the innermost frame outside thunder and torch: the user's call site."""
    f = user_frame()
    if f is None:
        return "<unknown>", 0
    return f.f_code.co_filename, f.f_lineno


def where(loc):
    """'  at file:line: source text' for appending to a message."""
    file, line = loc
    text = linecache.getline(file, line).strip()
    return f"\n  at {file}:{line}" + (f": {text}" if text else "")


def with_location(exc, loc):
    """A copy of `exc` (same type) whose message ends with the user's source location."""
    new = type(exc)(f"{exc}{where(loc)}")
    return new
