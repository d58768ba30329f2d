"""Per-op sample inputs for the op harness: each record names an op, how user code calls it, the
dtypes it supports, and sample arguments (scalars, empty tensors, broadcasting, non-contiguous).
Records live in one file per op family; this module gathers them."""

import samples_complex
import samples_core
import samples_elementwise
import samples_factories
import samples_inplace
import samples_nn
import samples_nn_more
import samples_nn_extra
import samples_random
import samples_reductions
import samples_scan
import samples_shape
from samples_common import mk

RECORDS = samples_core.RECORDS + samples_elementwise.RECORDS + samples_factories.RECORDS + samples_reductions.RECORDS + samples_shape.RECORDS + samples_nn.RECORDS + samples_random.RECORDS + samples_complex.RECORDS + samples_nn_more.RECORDS + samples_inplace.RECORDS + samples_scan.RECORDS + samples_nn_extra.RECORDS


def sample_cases(device="cpu"):
    """(record, dtype, args, kwargs) for every sample of every record."""
    for rec in RECORDS:
        for dtype in rec.dtypes:
            for i, (args, kwargs) in enumerate(rec.samples(mk(dtype, device))):
                yield pytest_id(rec, dtype, i), rec, dtype, args, kwargs


def pytest_id(rec, dtype, i):
    return f"{rec.name}-{str(dtype).removeprefix('torch.')}-{i}"
