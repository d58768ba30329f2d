"""Views while tracing: which proxies alias which, so in-place updates reach everything eager would.

In torch a view (x.t(), x.view(...), x[0], x.narrow(...)) shares its base's storage: writing into
it changes the base and every other view of the base. The trace is functional, so the tracer
replays that: an update of a view computes its parent's new value (and so on up to the root of
the view chain), then recomputes every other view of the root from the root's new value. Unused
recomputations are removed as dead code.

Whether a call returns a view, and with which strides, is what torch itself says: the same call
runs on meta tensors of the same shapes and strides (reshape of a permuted tensor copies, a tensor
index copies, an int index views). A base whose strides are unknown (an input, an intermediate)
counts as contiguous.
"""

import torch

from thunder.frontend import errors, interception

# views whose elements are their parent's, in the same order: the parent is the view reshaped
_RESHAPES = frozenset({"reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "view_as"})

_OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single memory location. "
    "Please clone() the tensor before performing the operation."
)


class _View:
    __slots__ = ("parent", "sym", "args", "kwargs", "item", "call", "state")

    def __init__(self, parent, sym, args, kwargs, item, call):
        # the recorded call that makes the proxy from its parent (args[0]); `item` picks one output
        # of calls that return several (split, chunk, unbind); `call` is (func, args, kwargs) as
        # the user made it, for the meta run
        self.parent, self.sym, self.args, self.kwargs, self.item, self.call = parent, sym, args, kwargs, item, call
        self.state = None  # after the meta run: "view", "copy", or "unknown" (the meta run failed)


def _peek(x, meta_of):
    """A call's arguments for the meta run: proxies become meta tensors, symbolic numbers their
    value (without guarding it: the meta run only decides aliasing)."""
    from thunder.frontend.numbers import NumberProxy
    from thunder.frontend.proxies import TensorProxy

    if isinstance(x, TensorProxy):
        return meta_of(x)
    if type(x) is NumberProxy:
        return x._value
    if isinstance(x, (tuple, list)):
        return type(x)(_peek(i, meta_of) for i in x)
    if isinstance(x, dict):
        return {k: _peek(v, meta_of) for k, v in x.items()}
    if isinstance(x, slice):
        return slice(_peek(x.start, meta_of), _peek(x.stop, meta_of), _peek(x.step, meta_of))
    return x


class ViewTracker:
    """The results of view ops made while tracing, and how to write through them (see the
    module's doc). The meta runs happen only when an in-place update needs them."""

    def __init__(self, tracer):
        self._tracer = tracer
        self._made = {}  # id(proxy) -> _View: how a view op made it
        self._children = {}  # id(proxy) -> the proxies view ops made from it
        self._meta = {}  # id(proxy) -> a meta tensor with the proxy's strides

    def add(self, func, user_args, user_kwargs, sym, args, kwargs, result):
        """Notes that a view op made `result` from args[0] (`user_args` as the user called
        `func`; `sym`, `args`, `kwargs` as recorded)."""
        from thunder.frontend.proxies import TensorProxy

        parent = args[0]
        multi = isinstance(result, (tuple, list))
        for k, r in enumerate(result if multi else (result,)):
            if isinstance(r, TensorProxy):
                self._made[id(r)] = _View(parent, sym, args, kwargs, k if multi else None, (func, user_args, user_kwargs))
                self._children.setdefault(id(parent), []).append(r)

    def _resolve(self, p):
        """How p was made from a parent, with its state decided by the meta run; None for proxies
        no view op made."""
        v = self._made.get(id(p))
        if v is not None and v.state is None:
            func, user_args, user_kwargs = v.call
            try:
                out = func(self._meta_of(v.parent), *_peek(tuple(user_args[1:]), self._meta_of),
                           **_peek(dict(user_kwargs), self._meta_of))
                m = out if v.item is None else out[v.item]
            except Exception:  # noqa: BLE001 - torch's meta kernels do not cover everything
                v.state = "unknown"
            else:
                v.state = "view" if m._is_view() else "copy"
                self._meta[id(p)] = m
        return v

    def _meta_of(self, p):
        m = self._meta.get(id(p))
        if m is None:
            self._resolve(p)
            m = self._meta.get(id(p))
        if m is None:  # inputs and intermediates count as contiguous
            m = self._meta[id(p)] = torch.empty(p.shape, dtype=p.dtype, device="meta")
        return m

    def write(self, target, value, what, loc):
        """Makes `target` hold `value`, writes it into its parent, the parent's parent and so on,
        then recomputes every other view of the root."""
        v = self._resolve(target)
        if v is not None and v.state == "unknown":
            raise errors.UnsupportedConstructError(
                f"{what} updates the result of {v.sym.name} in place, and thunder cannot tell whether it is a view "
                "(torch's meta kernel for it failed); clone() it first" + errors.where(loc)
            )
        if torch._debug_has_internal_overlap(self._meta_of(target)) == 1:
            raise errors.with_location(RuntimeError(_OVERLAP_MESSAGE), loc)
        path = set()
        node = target
        while True:
            self._tracer._rebind(node, value)
            path.add(id(node))
            view = self._resolve(node)
            if view is None or view.state != "view":
                break
            value = self._into_parent(view, node, loc)
            node = view.parent
        self._refresh(node, path, loc)

    def _rec(self, name_or_sym, args, kwargs, loc):
        sym = interception.symbol(name_or_sym) if isinstance(name_or_sym, str) else name_or_sym
        return self._tracer._record(sym, args, kwargs, loc)

    def _replay(self, view, parent, loc):
        out = self._rec(view.sym, (parent, *view.args[1:]), view.kwargs, loc)
        return out if view.item is None else out[view.item]

    def _into_parent(self, view, node, loc):
        """The parent's value with the view's elements replaced by `node`'s (current) value."""
        p = view.parent
        shape = tuple(p.shape)
        if view.sym.name == "__getitem__":
            return self._rec("setitem", (p, view.args[1], node), {}, loc)
        if view.sym.name in _RESHAPES:
            return self._rec("reshape", (node, shape), {}, loc)
        # any other view (permutes, narrow, diagonal, split, ...): apply the same view to the
        # parent's flat positions, and scatter the view's values there
        n = 1
        for d in shape:
            n *= d
        positions = self._rec("reshape", (self._rec("arange", (n,), {"device": p.device}, loc), shape), {}, loc)
        index = self._rec("reshape", (self._replay(view, positions, loc), (-1,)), {}, loc)
        flat = self._rec("reshape", (p, (-1,)), {}, loc)
        flat = self._rec("setitem", (flat, (index,), self._rec("reshape", (node, (-1,)), {}, loc)), {}, loc)
        return self._rec("reshape", (flat, shape), {}, loc)

    def _refresh(self, node, path, loc):
        for child in self._children.get(id(node), ()):
            view = self._resolve(child)
            if view.state == "copy":
                continue  # a copy made by a view op (reshape of a permuted tensor) keeps its values
            if view.state == "unknown":
                self._tracer._stale[id(child)] = (
                    f"this tensor came from {view.sym.name} of a tensor updated in place afterwards, and thunder "
                    "cannot tell whether it is a view (torch's meta kernel for it failed); clone() it first"
                )
                continue
            if id(child) not in path:
                self._tracer._rebind(child, self._replay(view, node, loc))
            self._refresh(child, path, loc)
