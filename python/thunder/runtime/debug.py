"""Debug environment variables: every one thunder reads is declared here (and listed in the README).

Each is read when a function compiles, so tests and scripts may set them at any time.
"""

import os
import sys

from thunder import _C

#: name -> what it does (the README's table says the same)
VARIABLES = {
    "THUNDER_VERIFY": "1: run the trace verifier after every pass (the test suite sets it)",
    "THUNDER_DUMP": "comma-separated pass names (or 'all'): print each named pass's output trace to stderr "
    "when a function compiles; names are those of thunder.passes() ('dce', 'cse', 'claim', 'fusion', 'del') "
    "or 'tracing' for the computation trace",
    "THUNDER_DISABLE_PASSES": "comma-separated pass names to skip (for bisecting a miscompile); 'claim' and "
    "'del' may be skipped too (ATen then runs every line, and nothing is freed early)",
}


def _flag(name):
    return os.environ.get(name, "0") not in ("", "0")


def _names(name):
    return {s.strip().lower() for s in os.environ.get(name, "").split(",") if s.strip()}


def verify_enabled():
    """THUNDER_VERIFY=1."""
    return _flag("THUNDER_VERIFY")


def dump_passes():
    """The pass names THUNDER_DUMP asks for."""
    return _names("THUNDER_DUMP")


def disabled_passes():
    """The pass names THUNDER_DISABLE_PASSES switches off."""
    return _names("THUNDER_DISABLE_PASSES")


def pass_names():
    """The pipeline's passes, in order: (short name, header of the trace it makes)."""
    return [tuple(p) for p in _C.pipeline_passes()]


def check_pass_names(names, what):
    known = {n for n, _ in pass_names()} | {"tracing", "all"}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"{what}: unknown pass {', '.join(map(repr, unknown))}; passes are {', '.join(sorted(known))}")


def stage_name(trace):
    """The short name of the pass that made `trace` ('tracing' for the computation trace)."""
    header = trace.header.removesuffix(" (unchanged)").removesuffix(" (backward)").removesuffix(" (forward)")
    for name, h in pass_names():
        if h == header:
            return name
    return "tracing" if header == "Tracing" else header.lower()


def dump(traces, names, file=None):
    """Prints the traces made by the passes in `names` ('all' for every one)."""
    file = file or sys.stderr
    for t in traces:
        if "all" in names or stage_name(t) in names:
            print(str(t), file=file)
