"""Counter-based random numbers: the reference implementation of the philox prims.

`prims.uniform_philox` and `prims.normal_philox` are pure functions of (seed, offset, element
index), computed with Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as
easy as 1, 2, 3", SC 2011). This module computes them with torch's integer and float32/float64
arithmetic, on any device; the CPU code generator emits the same steps in C (the `philox` helpers
of csrc/codegen/cpu/prelude.cpp), so a fused kernel and this reference give the same bits.

The layout (docs/design.md, "Random ops"): the key is (low, high) 32 bits of the seed; the counter
is the 64-bit number `offset + i // per` in its first two words (the last two are 0), where `per`
is the number of elements one Philox call serves: 4 for float32, float16 and bfloat16 (one 32-bit
word each; normals pair the words, (0, 1) and (2, 3), into two Box-Muller draws), 2 for float64
(two words each; a normal's two uniforms take all four). A draw of n elements uses ceil(n / per)
counters from `offset` on.

Everything here is exact integer arithmetic and IEEE +, -, *, / and a correctly rounded sqrt, so the
numbers do not depend on the device's libm: the logarithm and sine/cosine of the Box-Muller
transform are polynomials evaluated step by step in the same order as the C helpers.
"""

import math

import torch

M0, M1 = 0xD2511F53, 0xCD9E8D57  # the multipliers
W0, W1 = 0x9E3779B9, 0xBB67AE85  # the Weyl sequence constants of the key schedule
MASK32 = 0xFFFFFFFF

# log(m) = s * (2 + z * P(z)), s = (m - 1) / (m + 1), z = s * s: the atanh series, 2 / (2k + 1)
LOG_COEFFS = [2.0 / (2 * k + 1) for k in range(11, 0, -1)]  # highest power first, 2/23 ... 2/3
# sin(x) = x + x * z * S(z), cos(x) = 1 + z * C(z), |x| <= pi / 4: Taylor coefficients
SIN_COEFFS = [(-1) ** k / math.factorial(2 * k + 1) for k in range(7, 0, -1)]  # x^15 ... x^3
COS_COEFFS = [(-1) ** k / math.factorial(2 * k) for k in range(8, 0, -1)]  # x^16 ... x^2
LN2 = math.log(2.0)
TWO_PI = 2.0 * math.pi
SQRT_HALF = math.sqrt(0.5)

# mantissa bits of a uniform draw, by dtype: values k * 2^-bits, exactly representable
UNIFORM_BITS = {torch.float16: 11, torch.bfloat16: 8, torch.float32: 24, torch.float64: 53}


def per_counter(dtype):
    """Elements one Philox call serves for a draw of `dtype`."""
    return 2 if dtype == torch.float64 else 4


def counters(numel, dtype):
    """Philox counters a draw of `numel` elements of `dtype` uses."""
    per = per_counter(dtype)
    return (numel + per - 1) // per


def _int(x):
    return int(x.item()) if isinstance(x, torch.Tensor) else int(x)


def philox4x32(c, seed):
    """Philox4x32-10 of the counters `c` (int64 tensor of 64-bit counters) under the key `seed`:
    four int64 tensors holding 32-bit words."""
    seed = _int(seed) & 0xFFFFFFFFFFFFFFFF
    zeros = torch.zeros_like(c)
    return philox4x32_rounds((c & MASK32, (c >> 32) & MASK32, zeros, zeros), (seed & MASK32, seed >> 32))


def philox4x32_rounds(counter, key):
    """The ten rounds on four words (int64 tensors of 32-bit values) under a key of two 32-bit ints."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for r in range(10):
        # 32 x 32 -> 64 bit products: int64 multiplication wraps, and the 64 bits are exact
        p0 = c0 * M0
        p1 = c2 * M1
        hi0, lo0 = (p0 >> 32) & MASK32, p0 & MASK32
        hi1, lo1 = (p1 >> 32) & MASK32, p1 & MASK32
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        if r < 9:
            k0, k1 = (k0 + W0) & MASK32, (k1 + W1) & MASK32
    return c0, c1, c2, c3


def _words(numel, seed, offset, dtype, device):
    """The four words of each counter a draw of `numel` elements uses."""
    n = counters(numel, dtype)
    c = torch.arange(n, dtype=torch.int64, device=device) + _int(offset)
    return philox4x32(c, seed)


def _interleave(parts, numel, shape):
    """Elements taken in turn from `parts` (one tensor per position within a counter)."""
    return torch.stack(parts, dim=1).reshape(-1)[:numel].reshape(shape)


def _unit(bits_value, bits, dtype):
    """k * 2^-bits for the integer tensor k (< 2^bits), in `dtype` (exact)."""
    return bits_value.to(dtype) * (2.0 ** -bits)


def _u53(hi, lo):
    """A 53-bit integer from two 32-bit words."""
    return (hi << 21) | (lo >> 11)


def uniform(shape, seed, offset, *, dtype, device):
    """Uniform [0, 1) numbers of `shape`, a pure function of (seed, offset, element index)."""
    shape = tuple(shape)
    numel = math.prod(shape)
    w = _words(numel, seed, offset, dtype, device)
    if dtype == torch.float64:
        parts = [_unit(_u53(w[0], w[1]), 53, dtype), _unit(_u53(w[2], w[3]), 53, dtype)]
    else:
        bits = UNIFORM_BITS[dtype]
        parts = [_unit(x >> (32 - bits), bits, torch.float32).to(dtype) for x in w]
    return _interleave(parts, numel, shape)


def _poly(coeffs, z):
    p = torch.full_like(z, coeffs[0])
    for c in coeffs[1:]:
        p = p * z + c
    return p


def _log(x):
    """log(x) for x in (0, 1], from the mantissa in [sqrt(1/2), sqrt(2)) and the exponent."""
    m, e = torch.frexp(x)
    low = m < SQRT_HALF
    m = torch.where(low, m * 2.0, m)
    e = (e - low.to(e.dtype)).to(x.dtype)
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    return e * LN2 + s * (2.0 + z * _poly(LOG_COEFFS, z))


def _sincos(u):
    """(sin, cos) of 2 pi u for u in [0, 1): quarter turns, then polynomials on [-pi/4, pi/4]."""
    q = torch.round(u * 4.0)
    r = u - q * 0.25  # exact: u has at most 53 significant bits below 1
    x = r * TWO_PI
    z = x * x
    s = x + x * z * _poly(SIN_COEFFS, z)
    c = 1.0 + z * _poly(COS_COEFFS, z)
    k = q.to(torch.int64) % 4
    sin = torch.where(k == 0, s, torch.where(k == 1, c, torch.where(k == 2, -s, -c)))
    cos = torch.where(k == 0, c, torch.where(k == 1, -s, torch.where(k == 2, -c, s)))
    return sin, cos


def _sqrt(x):
    """A correctly rounded square root. torch's CPU kernels are not (MKL's vector sqrt is within one
    unit in the last place): float32 goes through float64, whose square root, even one unit off,
    rounds to the correctly rounded float32 one; float64 on CPU goes through NumPy's (the
    hardware instruction); CUDA's sqrt is IEEE's."""
    if x.dtype == torch.float32:
        return torch.sqrt(x.double()).float()
    if x.device.type == "cpu":
        import numpy

        return torch.from_numpy(numpy.sqrt(x.numpy()))
    return torch.sqrt(x)


def normal(shape, seed, offset, *, dtype, device):
    """Standard normal numbers of `shape` (Box-Muller), a pure function of (seed, offset, index)."""
    shape = tuple(shape)
    numel = math.prod(shape)
    w = _words(numel, seed, offset, dtype, device)
    if dtype == torch.float64:
        # (0, 1] and [0, 1) from 53 bits each: words (0, 1) and (2, 3); elements 2c and 2c + 1
        u1 = (_u53(w[0], w[1]) + 1).to(torch.float64) * 2.0**-53
        u2 = _unit(_u53(w[2], w[3]), 53, torch.float64)
    else:
        # words (0, 1) give elements 4c and 4c + 1, words (2, 3) elements 4c + 2 and 4c + 3
        u1 = ((torch.stack([w[0], w[2]], dim=1).reshape(-1) >> 8) + 1).to(torch.float32) * 2.0**-24
        u2 = _unit(torch.stack([w[1], w[3]], dim=1).reshape(-1) >> 8, 24, torch.float32)
    radius = _sqrt(_log(u1) * -2.0)
    sin, cos = _sincos(u2)
    return _interleave([radius * cos, radius * sin], numel, shape).to(dtype)


def seed_offset(counters, device):
    """(seed, offset) for a draw of `counters` Philox counters on `device`, as two 0-dim int64
    CPU tensors, taken from torch's default generator of that device (so torch.manual_seed makes
    compiled runs reproducible).

    CUDA: the generator's own Philox seed and offset; the offset advances past the draw (rounded
    up to a multiple of 4, as torch's CUDA kernels advance it). Elsewhere (CPU's Mersenne
    Twister has no offset): one 63-bit seed drawn from the generator, offset 0.
    """
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        gen = torch.cuda.default_generators[index]
        seed = gen.initial_seed()
        offset = gen.get_offset()
        gen.set_offset(offset + (int(counters) + 3) // 4 * 4)
        seed = seed - (1 << 64) if seed >= (1 << 63) else seed  # the 64 bits, as an int64
        return torch.tensor(seed, dtype=torch.int64), torch.tensor(offset, dtype=torch.int64)
    seed = torch.empty((), dtype=torch.int64).random_()
    return seed, torch.zeros((), dtype=torch.int64)
