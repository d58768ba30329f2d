"""Sample records for complex numbers: the parts (real, imag, view_as_real, view_as_complex), the
constructors (complex, polar), conj and angle, and elementwise math on complex tensors."""

import torch

from samples_common import FLOATS, INTS, OpRecord, binary_samples, unary_samples

COMPLEX = (torch.complex64, torch.complex128)
REAL_PARTS = (torch.float32, torch.float64)


def pair_samples(make):
    return [
        ((make(2, 3), make(2, 3)), {}),
        ((make(4, 1), make(3)), {}),  # broadcasting
        ((make(), make()), {}),
        ((make(0, 2), make(0, 2)), {}),
        ((make(3, 4, noncontig=True), make(3, 4)), {}),
    ]


RECORDS = [
    OpRecord("real", torch.real, unary_samples, COMPLEX + FLOATS),
    OpRecord("real_attr", lambda x: x.real * 2, unary_samples, COMPLEX),
    OpRecord("imag", torch.imag, unary_samples, COMPLEX),
    OpRecord("imag_attr", lambda x: x.imag + 1, unary_samples, COMPLEX),
    OpRecord("view_as_real", torch.view_as_real, unary_samples, COMPLEX),
    OpRecord("view_as_complex", torch.view_as_complex,
             lambda make: [((make(3, 2),), {}), ((make(2, 4, 2),), {}), ((make(0, 2),), {}), ((make(2),), {})],
             REAL_PARTS + (torch.float16,)),
    OpRecord("complex", torch.complex, pair_samples, REAL_PARTS + (torch.float16,)),
    OpRecord("polar", torch.polar, lambda make: [(tuple(t.abs() for t in a[:1]) + a[1:], k) for a, k in pair_samples(make)],
             REAL_PARTS),
    OpRecord("conj", torch.conj, unary_samples, COMPLEX + FLOATS),
    OpRecord("conj_physical", lambda x: x.conj_physical(), unary_samples, COMPLEX),
    OpRecord("angle", torch.angle, unary_samples, COMPLEX + FLOATS + INTS),
    OpRecord("angle_nan", torch.angle, lambda make: [((torch.tensor([float("nan"), -1.0, 0.0, -0.0, 2.0]),), {})],
             (torch.float32,)),
    OpRecord("abs_complex", torch.abs, unary_samples, COMPLEX),
    OpRecord("mul_complex", lambda x, y: x * y, binary_samples, COMPLEX),
    OpRecord("add_complex_real", lambda x, y: x + y.real, binary_samples, COMPLEX),
]
