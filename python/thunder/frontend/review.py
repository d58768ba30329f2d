"""Bytecode review: which globals and closure variables the traced code reads, and writes it must not do.

While a function is traced, a trace hook sees every Python frame that runs outside thunder and
torch. For each code object, its bytecode says which globals and free variables it loads and
whether it stores to a global or to a captured (nonlocal) variable. Reads become guards (a
changed value recompiles) or, for tensors, lifted inputs read afresh on every call; writes are
rejected with the user's source line.
"""

import builtins
import dis
import functools
import sys
from dataclasses import dataclass, field

from thunder.frontend import errors


@dataclass(frozen=True)
class CodeInfo:
    global_loads: tuple  # names
    global_stores: tuple  # (name, line)
    nonlocal_stores: tuple  # (name, line)


@functools.lru_cache(maxsize=4096)
def code_info(code):
    loads, gstores, nstores = [], [], []
    line = code.co_firstlineno
    for ins in dis.get_instructions(code):
        if ins.positions is not None and ins.positions.lineno is not None:
            line = ins.positions.lineno
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            loads.append(ins.argval)
        elif ins.opname in ("STORE_GLOBAL", "DELETE_GLOBAL"):
            gstores.append((ins.argval, line))
        elif ins.opname in ("STORE_DEREF", "DELETE_DEREF") and ins.argval in code.co_freevars:
            nstores.append((ins.argval, line))
    return CodeInfo(tuple(dict.fromkeys(loads)), tuple(gstores), tuple(nstores))


@dataclass
class GlobalRead:
    """A global name read by traced code: where to read it again, and its value at trace time."""

    namespace: dict
    name: str
    value: object
    is_builtin: bool = False

    def current(self):
        if self.is_builtin:
            return self.namespace.get(self.name, _MISSING)
        return self.namespace.get(self.name, _MISSING)


@dataclass
class CellRead:
    """A closure variable of the compiled function, and its value at trace time."""

    cell: object
    name: str
    value: object

    def current(self):
        try:
            return self.cell.cell_contents
        except ValueError:
            return _MISSING


_MISSING = object()


@dataclass
class Review:
    """What the traced code read and wrote, collected by a trace hook while tracing runs."""

    reads: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def hook(self, frame, event, arg):
        if event != "call":
            return None
        code = frame.f_code
        # a module body runs on import: its globals are its own to write
        if code.co_name == "<module>" or errors.is_library_file(code.co_filename):
            return None
        info = code_info(code)
        for name, line in info.global_stores:
            self.violations.append(f"writes the global variable '{name}'" + errors.where((code.co_filename, line)))
        for name, line in info.nonlocal_stores:
            self.violations.append(
                f"writes the captured variable '{name}' (nonlocal)" + errors.where((code.co_filename, line))
            )
        g = frame.f_globals
        for name in info.global_loads:
            key = (id(g), name)
            if key in self._seen:
                continue
            self._seen.add(key)
            if name in g:
                self.reads.append(GlobalRead(g, name, g[name]))
            else:
                b = g.get("__builtins__", builtins)
                b = b if isinstance(b, dict) else b.__dict__
                if name in b:
                    self.reads.append(GlobalRead(b, name, b[name], is_builtin=True))
        return None

    def add_closure(self, fn):
        """The compiled function's own closure cells."""
        code = getattr(fn, "__code__", None)
        cells = getattr(fn, "__closure__", None)
        if code is None or not cells:
            return
        for name, cell in zip(code.co_freevars, cells):
            try:
                self.reads.append(CellRead(cell, name, cell.cell_contents))
            except ValueError:
                pass

    def __enter__(self):
        self._previous = sys.gettrace()
        sys.settrace(self.hook)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._previous)
        return False
