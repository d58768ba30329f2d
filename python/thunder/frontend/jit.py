"""thunder.jit: trace on a cache miss, run the cached execution function on a hit.

A call flattens its arguments into leaves. The cache maps the leaves' metadata (tensors) and
values (everything else) to specializations; a specialization also carries guards (globals and
closure variables the code read, modules' training flags) and the tensors it reads that are not
arguments (module parameters and buffers, global and closed-over tensors), fetched afresh on
every call.
"""

import dataclasses
import functools
import inspect
import itertools
import linecache
import os
import time
import warnings
from dataclasses import dataclass, field

import torch
from torch.utils._pytree import register_dataclass, tree_flatten, tree_unflatten

import thunder.prims as _prims
from thunder import _C
from thunder.frontend import autocast, errors
from thunder.frontend.proxies import TensorProxy, Tracer
from thunder.frontend.fallback import CALLABLES as fallback_callables
from thunder.frontend.review import CellRead, Review
from thunder.runtime import autograd as _autograd
from thunder.runtime import debug
from thunder.runtime import executors as _executors

_CACHE_OPTIONS = ("constant values", "symbolic values", "no caching")
_RNG_OPTIONS = ("eager", "philox")
_NUMBER_TYPES = (bool, int, float, complex)
_CONSTANT_TYPES = (*_NUMBER_TYPES, str, type(None), torch.dtype, torch.device)
# Python number types that cache="symbolic values" makes trace inputs (bools stay constants: they
# mostly pick a branch)
_SYMBOLIC_TYPES = (int, float)
_SYMBOLIC = "<symbolic>"
_ids = itertools.count()
_MISSING = object()
# how many specializations one compiled function keeps (least recently used ones go first), and
# after how many compilations it warns that it keeps recompiling
CACHE_LIMIT = 32
RECOMPILE_WARNING_AFTER = 8


def _verify_enabled():
    """THUNDER_VERIFY=1 runs the trace verifier after every pass (the test suite turns it on)."""
    return debug.verify_enabled()


def _flatten(tree):
    """tree_flatten, registering dataclass types it meets as pytree nodes (their fields are the
    children), so dataclass inputs and outputs (model output records) flatten like tuples."""
    flat, spec = tree_flatten(tree)
    new = {type(x) for x in flat if dataclasses.is_dataclass(x) and not isinstance(x, type)}
    if not new:
        return flat, spec
    for cls in new:
        try:
            register_dataclass(cls)
        except ValueError:  # registered meanwhile
            pass
    return _flatten(tree)


def _leaf_key(x, symbolic=False):
    if isinstance(x, torch.Tensor):
        return (torch.Tensor, x.shape, x.dtype, x.device, x.requires_grad)
    if symbolic and type(x) in _SYMBOLIC_TYPES:
        return (type(x), _SYMBOLIC)  # the value is checked by the specialization's number guards
    # the type is part of the key: 1, 1.0 and True are equal as dict keys but trace differently
    return (type(x), x)


def _tensor_meta(t):
    return (t.shape, t.dtype, t.device, t.requires_grad)


_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)


def _dispatch_check(x, type_only=False):
    """What the C++ dispatcher checks for one positional argument (a symbolic number whose value
    the trace does not depend on: only its type)."""
    if isinstance(x, torch.Tensor):
        return ("tensor", _TENSOR_TYPES, tuple(x.shape), x.dtype, x.device, x.requires_grad)
    if type_only:
        return ("type", type(x))
    return ("value", x)


class _Guard:
    """Re-reads a value the trace depended on and compares it with the value at trace time."""

    __slots__ = ("read", "expected", "identity", "description")

    def __init__(self, read, expected, identity, description=""):
        self.read, self.expected, self.identity, self.description = read, expected, identity, description

    def ok(self):
        v = self.read()
        if self.identity:
            return v is self.expected
        return type(v) is type(self.expected) and v == self.expected


class _Specialization:
    """One compiled specialization: its traces, guards, extra inputs and the function that runs it."""

    def __init__(self, traces, fn, arg_positions, extra_inputs, guards, out_spec, single_output):
        self.traces = traces
        self.fn = fn
        self.arg_positions = arg_positions
        # (getter, metadata at trace time) for every non-argument tensor input, in trace order
        self.extra_inputs = extra_inputs
        self.guards = guards
        self.out_spec = out_spec
        self.single_output = single_output
        # nothing to check beyond what the C++ dispatcher checks
        self.n_leaves = None  # set by the compiler: the number of flattened input leaves
        self.prologue = None  # PrologueTrace
        # symbolic numbers: the argument positions that are number inputs of the trace, and
        # {position: (value, (file, line))} for those whose value the trace depends on
        self.symbolic = frozenset()
        self.number_guards = {}
        self.autocast = None  # the autocast state it was traced under (autocast.state())
        self.stats = {}
        self.tick = 0

    def matches(self, flat):
        for i, (v, _) in self.number_guards.items():
            if type(flat[i]) is not type(v) or flat[i] != v:
                return False
        for g in self.guards:
            if not g.ok():
                return False
        for get, meta in self.extra_inputs:
            t = get()
            if not isinstance(t, torch.Tensor) or _tensor_meta(t) != meta:
                return False
        return True

    def __call__(self, flat):
        inputs = [flat[i] for i in self.arg_positions]
        inputs += [get() for get, _ in self.extra_inputs]
        if self.autocast is not None:
            with autocast.disabled(self.autocast):  # the trace holds autocast's casts already
                out = self.fn(*inputs)
        else:
            out = self.fn(*inputs)
        return tree_unflatten([out] if self.single_output else list(out), self.out_spec)


def _leaf_names(fn, args, kwargs, n_leaves):
    """A readable name for every flattened input leaf, after the function's parameter names."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        names = []
        for name, value in bound.arguments.items():
            leaves, _ = tree_flatten(value)
            names += [name] if len(leaves) == 1 else [f"{name}_{i}" for i in range(len(leaves))]
        if len(names) == n_leaves:
            return names
    except (TypeError, ValueError):
        pass
    return [f"arg{i}" for i in range(n_leaves)]


def _backward_label(header):
    """A backward pass's name in compile_stats: its header, marked once as backward."""
    return header if "(backward)" in header else f"{header} (backward)"


def _python_function(trace, tag, executors=()):
    source = str(trace)
    filename = f"<thunder trace {tag}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"torch": torch, "prims": _prims, **fallback_callables}
    _executors.bind(trace, executors, ns)
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - our own generated trace
    return ns[trace.fn_name]


def _describe_leaf(key):
    if key[0] is torch.Tensor:
        shape, dtype, device, rg = key[1:]
        return f"a tensor {str(device)} {str(dtype).removeprefix('torch.')}{list(shape)}" + (
            " requiring grad" if rg else ""
        )
    if key[1] is _SYMBOLIC:
        return f"a symbolic {key[0].__name__}"
    return f"{key[0].__name__} {key[1]!r}"


class PrologueTrace:
    """The checks a call must pass to reuse a specialization, printed as Python.

    Plain positional calls are checked by the C++ dispatcher; other calls by the Python cache
    key. Both check exactly what this text lists."""

    def __init__(self, names, flat, extra_names, extra, reads, has_module, symbolic=(), number_guards=None):
        self.lines = []
        number_guards = number_guards or {}
        for i, (name, x) in enumerate(zip(names, flat)):
            if isinstance(x, torch.Tensor):
                self.lines.append(_tensor_check(name, x))
            elif i in number_guards:
                file, line = number_guards[i][1]
                self.lines.append(f"check_value({name}, {type(x).__name__}, {x!r})  # symbolic, but the trace "
                                  f"depends on its value at {file}:{line}")
            elif i in symbolic:
                self.lines.append(f"check_type({name}, {type(x).__name__})  # symbolic: an input of the trace")
            else:
                self.lines.append(f"check_value({name}, {type(x).__name__}, {x!r})")
        for name, (_, t) in zip(extra_names, extra):
            self.lines.append(_tensor_check(name, t) + "  # read afresh on every call")
        for r in reads:
            if isinstance(r.value, torch.Tensor):
                continue
            how = "is" if not isinstance(r.value, _CONSTANT_TYPES) else "=="
            shown = r.value if how == "==" else f"<{type(r.value).__name__} {getattr(r.value, '__name__', '')}>".replace(" >", ">")
            kind = "closure variable" if isinstance(r, CellRead) else "global"
            self.lines.append(f"check_{kind.replace(' ', '_')}({r.name!r}, {how!r}, {shown!r})" if how == "==" else
                              f"check_{kind.replace(' ', '_')}({r.name!r}, {how!r}, {shown})")
        if has_module:
            self.lines.append("check_training_flags()  # every submodule's train/eval mode")
        self.inputs = [n for i, (n, x) in enumerate(zip(names, flat)) if isinstance(x, torch.Tensor) or i in symbolic]
        self.inputs += list(extra_names)

    def __str__(self):
        body = "\n".join("  " + line for line in self.lines)
        return (
            "# Constructed by Prologue\n"
            "def prologue(*args, **kwargs):\n"
            f"{body}\n"
            f"  return ({', '.join(self.inputs)}{',' if len(self.inputs) == 1 else ''})\n"
        )

    __repr__ = __str__


def _tensor_check(name, t):
    return (
        f"check_tensor({name}, shape={list(t.shape)}, dtype={t.dtype}, device='{t.device}', "
        f"requires_grad={t.requires_grad})"
    )


class _ModuleState:
    """A module's parameters and buffers, swapped for proxies while its forward is traced."""

    def __init__(self, module):
        self.module = module
        self.modules = list(module.modules())
        # every (owner dict, key, qualified name), tied tensors listed once per place
        self.slots = []
        for prefix, mod in module.named_modules(remove_duplicate=True):
            for kind in ("_parameters", "_buffers"):
                d = getattr(mod, kind)
                for key, t in d.items():
                    if t is not None:
                        self.slots.append((d, key, f"{prefix}.{key}" if prefix else key))

    def training_flags(self):
        return tuple(m.training for m in self.modules)


class ThunderFunction:
    """A compiled function: call it like the original."""

    def __init__(self, fn, *, cache="constant values", decompose=False, fallback=True, executors=None,
                 disable_passes=(), module=None, rng="eager"):
        if not callable(fn):
            raise TypeError(f"thunder.jit: expected a function, a callable or an nn.Module, got {type(fn).__name__}")
        if cache not in _CACHE_OPTIONS:
            raise ValueError(f"thunder.jit: cache must be one of {', '.join(map(repr, _CACHE_OPTIONS))}, got {cache!r}")
        if rng not in _RNG_OPTIONS:
            raise ValueError(f"thunder.jit: rng must be one of {', '.join(map(repr, _RNG_OPTIONS))}, got {rng!r}")
        # fixed for the function's life, so every entry of its cache was traced in this mode (the
        # mode is part of what the cache is keyed by, without a per-call cost)
        self._rng = rng
        self._fn = fn
        self._module = module
        self._cache_mode = cache
        self._decompose = decompose
        self._fallback = fallback
        if executors is not None:
            _executors.resolve(executors, "cpu")  # reject unknown names now, not at the first call
        self._executors = executors
        self._disable_passes = set(disable_passes)
        debug.check_pass_names(self._disable_passes, "thunder.jit: disable_passes")
        self._cache = {}
        self._dispatch = _C.Dispatcher()
        self._hits = 0  # hits of the Python path; the dispatcher counts its own
        self._misses = 0
        self._compile_seconds = 0.0
        if module is None:
            functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        if not kwargs and not errors.any_autocast_enabled():
            # the prologue's hot path: metadata and constant checks in C++, which then calls the
            # execution function with the arguments and the extra inputs (parameters, buffers, ...)
            out = self._dispatch.call(args, torch.is_grad_enabled(), _MISSING)
            if out is not _MISSING:
                return out
        return self._call_slow(args, kwargs)

    def _name(self):
        target = self._module if self._module is not None else self._fn
        return getattr(target, "__qualname__", None) or type(target).__qualname__

    def _recompile_reason(self, key, flat=None):
        """Which input differs from the closest earlier specialization, in words."""
        if key is None or not self._cache:
            return None
        spec, grad, amp, leaves = key
        for old_spec, old_grad, old_amp, old_leaves in self._cache:
            if old_spec != spec or len(old_leaves) != len(leaves):
                continue
            if old_grad != grad:
                return "the grad mode changed"
            if old_amp != amp:
                return "the autocast state changed"
            for i, (a, b) in enumerate(zip(old_leaves, leaves)):
                if a != b:
                    return f"input {i} changed from {_describe_leaf(a)} to {_describe_leaf(b)}"
            for entry in self._cache[(old_spec, old_grad, old_amp, old_leaves)]:
                for i, (v, (file, line)) in entry.number_guards.items():
                    if flat is not None and flat[i] != v:
                        return (f"input {i}, a symbolic {type(v).__name__}, changed from {v!r} to {flat[i]!r} and the "
                                f"trace depends on its value at {file}:{line}")
            return "a guarded global or module state changed"
        return "the structure of the arguments changed"

    def _evict(self):
        entries = [(max(e.tick, self._dispatch.last_used(e)), k, e) for k, es in self._cache.items() for e in es]
        while len(entries) > CACHE_LIMIT:
            _, k, victim = min(entries, key=lambda t: t[0])
            entries.remove(min(entries, key=lambda t: t[0]))
            self._cache[k].remove(victim)
            if not self._cache[k]:
                del self._cache[k]
            self._dispatch.remove(victim)

    def _dispatch_target(self, entry):
        """What the dispatcher calls for `entry` with the arguments and then the extra inputs: its
        execution function when those are exactly its inputs, else a wrapper that checks guards
        and arranges inputs and outputs."""
        n = entry.n_leaves
        if not entry.guards and entry.single_output and len(entry.arg_positions) == n:
            return entry.fn
        positions, guards = entry.arg_positions, entry.guards

        def run(*inputs):
            args = inputs[:n]
            for g in guards:
                if not g.ok():
                    self._dispatch.uncount()
                    return self._call_slow(args, {})
            out = entry.fn(*[args[i] for i in positions], *inputs[n:])
            return tree_unflatten([out] if entry.single_output else list(out), entry.out_spec)

        return run

    def _call_slow(self, args, kwargs):
        flat, spec = _flatten((args, kwargs))
        amp = autocast.state() if errors.any_autocast_enabled() else None
        entry = None
        key = None
        if self._cache_mode != "no caching":
            try:
                symbolic = self._cache_mode == "symbolic values"
                key = (spec, torch.is_grad_enabled(), amp, tuple(_leaf_key(x, symbolic) for x in flat))
                for candidate in self._cache.get(key, ()):
                    if candidate.matches(flat):
                        entry = candidate
                        break
            except TypeError:  # an unhashable leaf: _compile explains which
                key = None
        if entry is None:
            self._misses += 1
            reason = self._recompile_reason(key, flat) if self._misses > 1 else None
            entry = self._compile(args, kwargs, flat, spec)
            entry.autocast = amp
            entry.tick = self._dispatch.touch(entry)
            if key is not None:
                self._cache.setdefault(key, []).append(entry)
                # the dispatcher serves calls outside autocast only
                if amp is None and not kwargs and len(flat) == len(args) and all(x is y for x, y in zip(flat, args)):
                    self._dispatch.add(
                        [_dispatch_check(x, i in entry.symbolic and i not in entry.number_guards)
                         for i, x in enumerate(args)],
                        key[1],
                        entry,
                        self._dispatch_target(entry),
                        [(*src, *_dispatch_check(t)[1:]) for src, t in entry.extra_sources],
                    )
                self._evict()
            if self._misses == RECOMPILE_WARNING_AFTER:
                warnings.warn(
                    f"thunder.jit: {self._name()} has been compiled {self._misses} times"
                    + (f"; the last time because {reason}" if reason else "")
                    + ". Each new input shape, dtype, device or constant value compiles a new specialization; "
                    f"at most {CACHE_LIMIT} are kept",
                    stacklevel=3,
                )
        else:
            self._hits += 1
            entry.tick = self._dispatch.touch(entry)
        self._dispatch.last = entry
        return entry(flat)

    def _compile(self, args, kwargs, flat, spec):
        started = time.perf_counter()
        sig_fn = self._module.forward if self._module is not None else self._fn
        names = _leaf_names(sig_fn, args, kwargs, len(flat))
        for name, x in zip(names, flat):
            if not isinstance(x, (torch.Tensor, *_CONSTANT_TYPES)):
                raise TypeError(
                    f"thunder.jit: argument '{name}' is a {type(x).__module__}.{type(x).__qualname__}; expected a "
                    "tensor, a number, a string, None, a dtype, a device, or a tuple, list or dict of these"
                )
        builder = _C.TraceBuilder()
        tracer = Tracer(builder, fallback=self._fallback, rng=self._rng)
        proxied, positions = [], []
        symbolic = self._cache_mode == "symbolic values"
        for i, (name, x) in enumerate(zip(names, flat)):
            if isinstance(x, torch.Tensor):
                proxied.append(tracer.add_input(name, x))
                positions.append(i)
            elif symbolic and type(x) in _SYMBOLIC_TYPES:
                proxied.append(tracer.add_number_input(name, x, i))
                positions.append(i)
            else:
                proxied.append(x)
        p_args, p_kwargs = tree_unflatten(proxied, spec)

        state = _ModuleState(self._module) if self._module is not None else None
        extra = []  # (getter, tensor) for non-argument inputs, in the order they became inputs
        extra_sources = []  # ((kind, holder, key), tensor) alongside: where the C++ dispatcher reads them
        swapped = []
        review = Review()
        review.add_closure(self._fn)
        try:
            if state is not None:
                by_id = {}
                for d, key, qualname in state.slots:
                    t = d[key]
                    proxy = by_id.get(id(t))
                    if proxy is None:
                        proxy = by_id[id(t)] = tracer.add_input(qualname.replace(".", "_"), t)
                        extra.append((lambda d=d, key=key: d[key], t))
                        extra_sources.append((("dict", d, key), t))
                        tracer.lifted[id(t)] = (t, proxy)
                    swapped.append((d, key, t))
                    d[key] = proxy
            with review, tracer:
                result = self._fn(*p_args, **p_kwargs)
        finally:
            for d, key, t in swapped:
                d[key] = t
        if review.violations:
            raise errors.UnsupportedConstructError(
                "thunder.jit: the compiled code " + review.violations[0].lstrip()
                + "\n  compiled functions must not write globals or captured variables; return the value instead"
            )

        # tensors met during tracing that are not arguments: read them from where the code found them
        sources = {}
        for r in review.reads:
            if isinstance(r.value, torch.Tensor):
                where = ("cell", r.cell, None) if isinstance(r, CellRead) else ("dict", r.namespace, r.name)
                sources.setdefault(id(r.value), (r.current, where))

        def add_lifted(tid, t):
            getter, where = sources.get(tid, (lambda t=t: t, ("object", t, None)))
            extra.append((getter, t))
            extra_sources.append((where, t))

        known = {id(t) for _, t in extra}
        for tid, (t, _) in tracer.lifted.items():
            if tid not in known:
                add_lifted(tid, t)

        guards = []
        for r in review.reads:
            if isinstance(r.value, torch.Tensor):
                continue  # an input (if used), checked by metadata
            identity = not isinstance(r.value, _CONSTANT_TYPES)
            guards.append(_Guard(r.current, r.value, identity, r.name))
        if state is not None:
            flags = state.training_flags()
            guards.append(_Guard(state.training_flags, flags, False, "the modules' training flags"))

        out_flat, out_spec = _flatten(result)
        for x in out_flat:
            if not isinstance(x, (torch.Tensor, *_CONSTANT_TYPES)):
                raise TypeError(f"thunder.jit: the function returned a {type(x).__qualname__}, which thunder cannot return")
        out_flat = [tracer.lift(x) if isinstance(x, torch.Tensor) and not isinstance(x, TensorProxy) else x for x in out_flat]
        tracer.write_back_inputs()
        for tid, (t, _) in tracer.lifted.items():  # an output may have lifted one more tensor
            if tid not in known and all(tid != id(e) for _, e in extra):
                add_lifted(tid, t)
        single = len(out_flat) == 1 and out_spec.is_leaf()
        builder.set_output(out_flat[0] if single else tuple(out_flat))
        computation = builder.finish("Tracing")
        all_inputs = [x for x in flat if isinstance(x, torch.Tensor)] + [t for _, t in extra]
        computation.grad_enabled = torch.is_grad_enabled() and any(t.requires_grad for t in all_inputs)
        traced = time.perf_counter()
        executors = _executors.resolve(self._executors, _executors.device_type_of(computation))
        disabled = sorted(self._disable_passes | debug.disabled_passes())
        core = [e._core() for e in executors]
        backward_traces, saved, saved_before_remat = [], [], 0
        if computation.grad_enabled:
            # forward and backward traces run under no autograd (the autograd.Function records
            # one node), so every executor may claim their calls
            traces, backward_traces, saved, cotangent_positions, saved_before_remat = _C.run_grad_pipeline(
                computation, decompose=self._decompose, verify=_verify_enabled(), executors=core, disabled=disabled)
        else:
            traces = _C.run_pipeline(computation, decompose=self._decompose, verify=_verify_enabled(),
                                     executors=core, disabled=disabled)
        dump = debug.dump_passes()
        if dump:
            debug.dump(list(traces) + list(backward_traces), dump)
        passed = time.perf_counter()
        tag = next(_ids)
        fn = _python_function(traces[-1], tag, executors)
        if computation.grad_enabled:
            leaves = [computation.output] if single else list(computation.output)
            is_tensor = [isinstance(x, _C.Value) and x.is_tensor for x in leaves]
            constants = [x for x, t in zip(leaves, is_tensor) if not t]
            plan = _autograd.GradPlan(fn, _python_function(backward_traces[-1], f"{tag} backward", executors),
                                      len(saved), cotangent_positions, is_tensor, single, constants)
            fn = _autograd.make_grad_function(plan)
        done = time.perf_counter()
        extra_inputs = [(get, _tensor_meta(t)) for get, t in extra]
        entry = _Specialization(traces, fn, positions, extra_inputs, guards, out_spec, single)
        entry.n_leaves = len(flat)
        entry.extra_sources = extra_sources
        entry.symbolic = frozenset(i for i in positions if not isinstance(flat[i], torch.Tensor))
        entry.number_guards = dict(tracer.guarded)
        entry.backward_traces = backward_traces
        entry.prologue = PrologueTrace(names, flat, [i.name for i in traces[0].inputs[len(positions):]], extra,
                                       review.reads, state is not None, entry.symbolic, entry.number_guards)
        entry.stats = {
            "trace": traced - started,
            "passes": {t.header: t.seconds for t in traces[1:]}
            | {_backward_label(t.header): t.seconds for t in backward_traces},
            "transform": passed - traced,
            "codegen": done - passed,
            "total": done - started,
            "saved_for_backward_bytes": _autograd.saved_bytes(saved),
            "saved_for_backward_bytes_before_remat": saved_before_remat,
        }
        self._compile_seconds += done - started
        return entry


def jit(fn=None, *, cache="constant values", decompose=False, fallback=True, executors=None, disable_passes=(),
        rng="eager"):
    """Compiles a function or an nn.Module.

    A function gives a ThunderFunction; a module gives a ThunderModule that shares the module's
    parameters and buffers. Tracing happens on a call whose inputs the cache has not seen.

    cache: "constant values" (default) specializes on the values of non-tensor arguments;
        "symbolic values" makes int and float arguments inputs of the trace, so a new value reuses
        it unless the trace depends on the value (a shape, a branch, an index into a Python list:
        those values are guarded and a change recompiles); "no caching" retraces on every call.
    decompose: run every op as its prims (checks decompositions against torch; slower).
    fallback: run torch calls outside the op table as opaque torch calls (output metadata from
        torch's meta device, a warning once per op); False makes them an UnsupportedOpError.
    executors: executors (or their names) in priority order; the first that claims a call runs it,
        and ATen runs whatever nobody claims. None: the default order for the inputs' device
        (thunder.extend.get_default_executors).
    disable_passes: short names of passes to skip (thunder.passes() lists them).
    rng: "eager" (default) runs random ops as torch calls on torch's default generator, drawing
        exactly eager's numbers; "philox" traces rand, randn, rand_like, randn_like, bernoulli,
        dropout and scaled_dot_product_attention's dropout as counter-based draws (Philox4x32-10
        from a seed and offset taken from torch's generator at run time), which fuse and which
        backward recomputes: reproducible under torch.manual_seed, but a different stream than eager.
    """
    options = dict(cache=cache, decompose=decompose, fallback=fallback, executors=executors,
                   disable_passes=disable_passes, rng=rng)
    if fn is None:
        return functools.partial(jit, **options)
    if isinstance(fn, torch.nn.Module):
        from thunder.frontend.module import ThunderModule

        return ThunderModule(fn, **options)
    return ThunderFunction(fn, **options)


def passes():
    """The pass pipeline in order, as (short name, header of the trace it makes) pairs; the short
    names are what THUNDER_DUMP, THUNDER_DISABLE_PASSES and `disable_passes=` take."""
    return debug.pass_names()


def pass_trace(f, name):
    """The trace the pass called `name` ("cse", "fusion", ...; "tracing" for the computation trace)
    made for the last call's specialization; None when that pass did not run."""
    debug.check_pass_names({name}, "pass_trace")
    for t in last_traces(f):
        if debug.stage_name(t) == name:
            return t
    return None


def _compiled(f):
    from thunder.frontend.module import ThunderModule

    if isinstance(f, ThunderModule):
        return f._compiled
    if not isinstance(f, ThunderFunction):
        raise TypeError(f"expected a function or module returned by thunder.jit, got {type(f).__qualname__}")
    return f


def last_traces(f):
    """The traces of the last call's specialization: computation trace first, execution trace last."""
    f = _compiled(f)
    if f._dispatch.last is None:
        raise RuntimeError("last_traces: the function has not been called yet")
    return list(f._dispatch.last.traces)


def last_backward_traces(f):
    """The backward traces of the last call's specialization (empty when it needed no grads): the
    grad transform's backward trace first, the one that runs last."""
    f = _compiled(f)
    if f._dispatch.last is None:
        raise RuntimeError("last_backward_traces: the function has not been called yet")
    return list(f._dispatch.last.backward_traces)


def last_prologue_traces(f):
    """The prologue of the last call's specialization: the checks a call must pass to reuse it."""
    f = _compiled(f)
    if f._dispatch.last is None:
        raise RuntimeError("last_prologue_traces: the function has not been called yet")
    return [f._dispatch.last.prologue]


@dataclass
class CompileStats:
    """Cache counters and where compile time went."""

    calls: int
    hits: int
    misses: int
    specializations: int
    compile_seconds: float
    # the last specialization's compile, by stage: trace (review and tracing), each pass, codegen
    last_compile: dict = field(default_factory=dict)
    # bytes of the tensors the last specialization saves for backward (0 without grads)
    saved_for_backward_bytes: int = 0
    # the same before rematerialization chose what to recompute in backward instead
    saved_for_backward_bytes_before_remat: int = 0

    def __str__(self):
        lines = [
            f"calls {self.calls}: {self.hits} hits, {self.misses} misses; {self.specializations} specializations kept",
            f"compile time, all specializations: {self.compile_seconds * 1e3:.2f} ms",
        ]
        if self.last_compile:
            s = self.last_compile
            lines.append(f"last compile: {s['total'] * 1e3:.2f} ms")
            lines.append(f"  trace (review and tracing): {s['trace'] * 1e3:.2f} ms")
            for name, sec in s["passes"].items():
                lines.append(f"  pass {name}: {sec * 1e3:.3f} ms")
            lines.append(f"  codegen: {s['codegen'] * 1e3:.2f} ms")
            lines.append(f"saved for backward: {self.saved_for_backward_bytes} bytes "
                         f"({self.saved_for_backward_bytes_before_remat} before rematerialization)")
        return "\n".join(lines)


def compile_stats(f):
    """Hits, misses and time per compile stage (see CompileStats)."""
    f = _compiled(f)
    hits = f._hits + f._dispatch.hits
    last = f._dispatch.last
    return CompileStats(
        calls=hits + f._misses,
        hits=hits,
        misses=f._misses,
        specializations=sum(len(v) for v in f._cache.values()),
        compile_seconds=f._compile_seconds,
        last_compile=dict(last.stats) if last is not None else {},
        saved_for_backward_bytes=last.stats.get("saved_for_backward_bytes", 0) if last is not None else 0,
        saved_for_backward_bytes_before_remat=(last.stats.get("saved_for_backward_bytes_before_remat", 0)
                                               if last is not None else 0),
    )


def cache_hits(f):
    """How many calls found a compiled specialization."""
    f = _compiled(f)
    return f._hits + f._dispatch.hits


def cache_misses(f):
    """How many calls traced and compiled."""
    return _compiled(f)._misses
