"""Sample records for the elementwise family of the op table."""

import torch

from samples_common import ALL, FLOATS, INTS, OpRecord, binary_samples, unary_samples

NAN, INF = float("nan"), float("inf")
SIGNED = (torch.int64, torch.int32)


def special_values(make):
    """A float tensor holding NaN, infinities, signed zeros and halves next to ordinary values. Only
    for float32/float64: the harness's float16/bfloat16 tolerance scales with the largest result,
    which must be finite."""
    x = make(2, 6)
    if x.dtype in (torch.float32, torch.float64):
        x[0] = torch.tensor([NAN, INF, -INF, -0.0, 0.5, -2.5], dtype=x.dtype)
    return [((x,), {})]


def unary(make, **kw):
    return unary_samples(make, **kw)


def tensors_only(make, **kw):
    """Binary samples where torch's signature takes two tensors."""
    return [
        ((make(2, 3, **kw), make(2, 3, **kw)), {}),
        ((make(4, 1, 3, **kw), make(5, 3, **kw)), {}),
        ((make(**kw), make(3, **kw)), {}),
        ((make(0, 3, **kw), make(3, **kw)), {}),
        ((make(3, 4, noncontig=True, **kw), make(4, **kw)), {}),
    ]


def divisions(make, number=3):
    """Divisor without zeros, of both signs; numbers on either side."""
    return [
        ((make(3, 4), make(4, exclude_zero=True)), {}),
        ((make(2, 1, 3), make(4, 3, exclude_zero=True, noncontig=True)), {}),
        ((make(0, 4), make(4, exclude_zero=True)), {}),
        ((make(5), number), {}),
        ((make(5), -number), {}),
        ((make(), make(exclude_zero=True)), {}),
    ]


def nan_pairs(make, **kw):
    """Two float tensors with NaNs in one, the other or both (float32/float64, see special_values)."""
    x, y = make(2, 4, **kw), make(2, 4, **kw)
    if x.dtype in (torch.float32, torch.float64):
        x[0, 0], y[0, 1], x[1, 2], y[1, 2] = NAN, NAN, NAN, NAN
    return [((x, y), {}), ((make(3, 1, **kw), make(4, **kw)), {})]


def float_records():
    """Unary math ops whose integers and bools compute in float32."""
    pos = dict(low=0.1, high=5)
    unit = dict(low=-0.9, high=0.9)
    specs = [
        ("exp2", torch.exp2, {}, ALL), ("special_exp2", torch.special.exp2, {}, FLOATS),
        ("expm1", torch.expm1, {}, FLOATS + INTS), ("special_expm1", torch.special.expm1, {}, FLOATS),
        ("log1p", torch.log1p, pos, FLOATS + INTS), ("special_log1p", torch.special.log1p, pos, FLOATS),
        ("log2", torch.log2, pos, FLOATS + INTS), ("log10", lambda x: x.log10(), pos, FLOATS + INTS),
        ("sqrt", torch.sqrt, dict(low=0, high=9), FLOATS + INTS + (torch.bool,)),
        ("rsqrt", torch.rsqrt, pos, FLOATS + INTS),
        ("reciprocal", lambda x: x.reciprocal(), dict(exclude_zero=True), FLOATS + INTS),
        ("tan", torch.tan, unit, FLOATS + INTS),
        ("asin", torch.asin, unit, FLOATS), ("arcsin", torch.arcsin, unit, FLOATS),
        ("acos", lambda x: x.acos(), unit, FLOATS), ("atan", torch.atan, {}, FLOATS + INTS),
        ("sinh", torch.sinh, {}, FLOATS + INTS), ("cosh", torch.cosh, {}, FLOATS + INTS),
        ("asinh", torch.asinh, {}, FLOATS + INTS), ("acosh", torch.acosh, dict(low=1, high=5), FLOATS),
        ("atanh", torch.atanh, unit, FLOATS),
        ("erf", torch.erf, {}, FLOATS + INTS), ("special_erf", torch.special.erf, {}, FLOATS),
        ("erfc", torch.erfc, {}, FLOATS + INTS), ("special_erfc", torch.special.erfc, {}, FLOATS),
        ("lgamma", torch.lgamma, pos, FLOATS + INTS), ("special_gammaln", torch.special.gammaln, pos, FLOATS),
    ]
    return [OpRecord(name, fn, lambda make, kw=kw: unary(make, **kw), dtypes) for name, fn, kw, dtypes in specs]


RECORDS = float_records() + [
    OpRecord("square", torch.square, unary, ALL),
    OpRecord("abs", torch.abs, lambda make: unary(make) + special_values(make), FLOATS + INTS),
    OpRecord("abs_op", lambda x: abs(x), unary, (torch.float32, torch.int64)),
    OpRecord("absolute", lambda x: x.absolute(), unary, (torch.float32,)),
    OpRecord("sign", torch.sign, lambda make: unary(make) + special_values(make), ALL),
    OpRecord("floor", torch.floor, lambda make: unary(make) + special_values(make), FLOATS + INTS),
    OpRecord("ceil", lambda x: x.ceil(), lambda make: unary(make) + special_values(make), FLOATS + INTS),
    OpRecord("trunc", torch.trunc, lambda make: unary(make) + special_values(make), FLOATS + INTS),
    OpRecord("fix", torch.fix, unary, (torch.float32,)),
    OpRecord("round", torch.round, lambda make: unary(make) + special_values(make), FLOATS + INTS),
    OpRecord("round_decimals", lambda x: torch.round(x, decimals=2), unary, FLOATS),
    OpRecord("round_negative_decimals", lambda x: x.round(decimals=-1), lambda make: unary(make, low=-500, high=500),
             (torch.float32, torch.float64)),
    OpRecord("frac", torch.frac, lambda make: unary(make) + special_values(make), FLOATS),
    OpRecord("isnan", torch.isnan, lambda make: unary(make) + special_values(make), ALL),
    OpRecord("isinf", lambda x: x.isinf(), lambda make: unary(make) + special_values(make), ALL),
    OpRecord("isposinf", torch.isposinf, special_values, FLOATS + INTS),
    OpRecord("isneginf", torch.isneginf, special_values, FLOATS + INTS),
    OpRecord("isfinite", torch.isfinite, lambda make: unary(make) + special_values(make), ALL),
    OpRecord("signbit", torch.signbit, lambda make: unary(make) + special_values(make), ALL),
    OpRecord("logical_not", torch.logical_not, lambda make: unary(make) + special_values(make), ALL),
    OpRecord("bitwise_not", torch.bitwise_not, unary, INTS + (torch.bool,)),
    OpRecord("invert", lambda x: ~x, unary, (torch.bool, torch.uint8, torch.int64)),
    OpRecord("positive", lambda x: +x, unary, FLOATS + INTS),
    OpRecord("positive_fn", torch.positive, unary, (torch.float32,)),

    # binary
    OpRecord("maximum", torch.maximum, lambda make: tensors_only(make) + nan_pairs(make), ALL),
    OpRecord("minimum", lambda x, y: x.minimum(y), lambda make: tensors_only(make) + nan_pairs(make), ALL),
    OpRecord("fmax", torch.fmax, lambda make: tensors_only(make) + nan_pairs(make), FLOATS + INTS),
    OpRecord("fmin", lambda x, y: x.fmin(y), nan_pairs, FLOATS + INTS),
    OpRecord("atan2", torch.atan2, tensors_only, FLOATS + INTS),
    OpRecord("arctan2", torch.arctan2, lambda make: tensors_only(make)[:1], (torch.float32,)),
    OpRecord("hypot", torch.hypot, tensors_only, FLOATS),
    OpRecord("copysign", torch.copysign, lambda make: binary_samples(make, -2) + [((make(4), -0.0), {})], FLOATS + INTS),
    OpRecord("xlogy", torch.xlogy,
             lambda make: [((make(2, 3, low=0, high=3), make(2, 3, low=0.1, high=4)), {}),
                           ((make(4, 1, low=0, high=2), make(5, low=0.1, high=3)), {}),
                           ((make(3, low=0, high=2), 2.5), {}), ((0, make(3, low=0.1, high=3)), {}),
                           ((1.5, make(3, low=0.1, high=3)), {})] + nan_pairs(make, low=0, high=3),
             FLOATS + INTS),
    OpRecord("special_xlogy", torch.special.xlogy,
             lambda make: [((make(3, low=0, high=2), make(3, low=0.1, high=3)), {})], FLOATS),
    OpRecord("remainder", torch.remainder, divisions, FLOATS + INTS),
    OpRecord("mod_op", lambda x, y: x % y, lambda make: divisions(make)[:2] + [((make(4), 2.5), {})], FLOATS + SIGNED),
    OpRecord("rmod", lambda x: 7 % x, lambda make: [((make(2, 3, exclude_zero=True),), {})], FLOATS + SIGNED),
    OpRecord("fmod", torch.fmod, divisions, FLOATS + INTS),
    OpRecord("floor_divide", torch.floor_divide, divisions, FLOATS + INTS),
    OpRecord("floordiv_op", lambda x, y: x // y, lambda make: divisions(make)[:1] + [((make(4), 0.3), {})],
             FLOATS + SIGNED),
    OpRecord("rfloordiv", lambda x: 7 // x, lambda make: [((make(2, 3, exclude_zero=True),), {})], FLOATS + SIGNED),
    OpRecord("floordiv_zero", lambda x: x // 0.0, lambda make: special_values(make), FLOATS),
    OpRecord("div_floor_special", lambda x, y: torch.div(x, y, rounding_mode="floor"),
             lambda make: [(special_values(make)[0][0] + (make(2, 1, exclude_zero=True),), {})], FLOATS),
    OpRecord("div_trunc_number", lambda x: torch.div(x, -0.7, rounding_mode="trunc"), unary, FLOATS + SIGNED),
    OpRecord("bitwise_and", torch.bitwise_and, binary_samples, INTS + (torch.bool,)),
    OpRecord("bitwise_or", lambda x, y: x.bitwise_or(y), binary_samples, INTS + (torch.bool,)),
    OpRecord("bitwise_xor", torch.bitwise_xor, binary_samples, INTS + (torch.bool,)),
    OpRecord("and_op", lambda x, y: x & y, lambda make: binary_samples(make, True)[:2], (torch.bool, torch.int32)),
    OpRecord("or_op", lambda x, y: x | y, lambda make: binary_samples(make, 3)[:2], (torch.bool, torch.int64)),
    OpRecord("xor_op", lambda x, y: x ^ y, lambda make: binary_samples(make, 5)[:2], (torch.bool, torch.uint8)),
    OpRecord("rand_op", lambda x: 6 & x, unary, (torch.bool, torch.int64)),
    OpRecord("ror_op", lambda x: True | x, unary, (torch.bool, torch.int32)),
    OpRecord("rxor_op", lambda x: 3 ^ x, unary, (torch.bool, torch.uint8)),
    OpRecord("logical_and", torch.logical_and, tensors_only, ALL),
    OpRecord("logical_or", lambda x, y: x.logical_or(y), tensors_only, ALL),
    OpRecord("logical_xor", torch.logical_xor, tensors_only, ALL),
    OpRecord("logical_and_mixed", lambda x, y: torch.logical_and(x, y.int()), tensors_only, (torch.float32,)),

    # selection and friends
    OpRecord("where", torch.where,
             lambda make: [((make(2, 3) > 0, make(2, 3), make(2, 3)), {}), ((make(3, 1) > 0, make(4), make(1)), {}),
                           ((make(0, 2) > 0, make(2), make(0, 1)), {}),
                           ((make(4, noncontig=True) > 0, make(4, noncontig=True), 1), {}),
                           ((make(3) > 0, 2.5, make(3)), {}), ((make(2, 2) > 0, 1.5, 0), {}),
                           ((make(3).to(torch.uint8), make(3), make(3)), {}),
                           ((make(3) > 0, make(3), torch.tensor(2.0, dtype=torch.float64)), {})],
             FLOATS + INTS),
    OpRecord("where_mixed", lambda c, x, y: torch.where(c > 0, x, y.double()), lambda make: [((make(3), make(3), make(3)), {})], (torch.float32, torch.int32, torch.bool)),
    OpRecord("masked_fill", lambda x, m, v: x.masked_fill(m, v),
             lambda make: [((make(2, 3), torch.rand(2, 3) > 0.5, 2), {}),
                           ((make(3), torch.rand(2, 3) > 0.5, True), {}),
                           ((make(2, 3, noncontig=True), torch.rand(3) > 0.5, make()), {}),
                           ((make(0, 3), torch.rand(3) > 0.5, 1), {})],
             ALL),
    OpRecord("masked_fill_fn", lambda x, m: torch.masked_fill(x, m, -1.75),
             lambda make: [((make(2, 3), torch.rand(2, 3) > 0.5), {})], FLOATS),
    OpRecord("masked_fill_cast", lambda x, m: x.masked_fill(m, -1.5),
             lambda make: [((make(4), torch.rand(4) > 0.5), {})], SIGNED + (torch.bool,)),
    OpRecord("masked_fill_tensor_value", lambda x, m, v: x.masked_fill(m, v),
             lambda make: [((make(2, 3), torch.rand(2, 3) > 0.5, torch.tensor(2.7, dtype=torch.float64)), {})], ALL),
    OpRecord("clamp", torch.clamp,
             lambda make: [((make(2, 3), -2, 2), {}), ((make(4), 0.5), {}), ((make(4),), {"max": 1}),
                           ((make(2, 3), make(3), make(2, 1)), {}), ((make(3, noncontig=True), None, make(3)), {}),
                           ((make(0, 2), 1), {}), ((make(4), make(), 2), {})] + [
                               (special_values(make)[0][0] + (-1.5, 1.5), {})],
             FLOATS + INTS),
    # torch 2.13 propagates a NaN scalar bound (older releases ignored it); thunder follows 2.13
    OpRecord("clamp_nan_bound", lambda x: x.clamp(min=NAN), lambda make: [((make(3),), {})],
             (torch.float32, torch.float64) if tuple(map(int, torch.__version__.split(".")[:2])) >= (2, 13) else ()),
    OpRecord("clamp_nan_tensor_bound", lambda x, lo: torch.clamp(x, lo), nan_pairs, FLOATS),
    OpRecord("clamp_uint8_negative", lambda x: x.clamp(-1), lambda make: [((make(3),), {})], (torch.uint8,)),
    OpRecord("clamp_min_above_max", lambda x: torch.clamp(x, 2, 1), lambda make: [((make(4),), {})], FLOATS + INTS),
    OpRecord("clamp_promotes", lambda x: x.clamp(0.5), lambda make: [((make(4),), {})], INTS + (torch.bool,)),
    OpRecord("clip", torch.clip, lambda make: [((make(2, 3), -1, 1), {})], FLOATS),
    OpRecord("clip_method", lambda x: x.clip(max=0), lambda make: [((make(2, 3),), {})], (torch.float32,)),
    OpRecord("clamp_min", torch.clamp_min, lambda make: [((make(2, 3), 0), {}), ((make(3), make(2, 1)), {})],
             FLOATS + INTS),
    OpRecord("clamp_max", lambda x, m: x.clamp_max(m), lambda make: [((make(2, 3), 0), {}), ((make(3), make(3)), {})],
             FLOATS + INTS),
    OpRecord("lerp", torch.lerp,
             lambda make: [((make(2, 3), make(2, 3), 0.3), {}), ((make(2, 3), make(3), 0.75), {}),
                           ((make(4, 1), make(3), make(4, 3)), {}), ((make(3), make(3), make()), {}),
                           ((make(0, 3), make(3), 2), {}), ((make(3, noncontig=True), make(3), make(3)), {})],
             FLOATS),
    OpRecord("lerp_scalar_weight_tensor", lambda x, y, w: x.lerp(y, w),
             lambda make: [((make(3), make(3), torch.tensor(0.6, dtype=torch.float64)), {})], FLOATS),
    OpRecord("addcmul", torch.addcmul,
             lambda make: [((make(2, 3), make(2, 3), make(2, 3)), {}), ((make(3), make(2, 1), make(3)), {"value": 2}),
                           ((make(0, 3), make(3), make(3)), {}), ((make(3, noncontig=True), make(3), make()), {})],
             FLOATS + INTS),
    OpRecord("addcmul_value", lambda x, a, b: x.addcmul(a, b, value=-0.5),
             lambda make: [((make(2, 3), make(2, 3), make(3)), {})], FLOATS + SIGNED),
    OpRecord("addcmul_mixed", lambda x, a, b: torch.addcmul(x, a.double(), b),
             lambda make: [((make(2, 3), make(2, 3), make(3)), {})], (torch.float16, torch.int32)),
    OpRecord("addcdiv", torch.addcdiv,
             lambda make: [((make(2, 3), make(2, 3), make(2, 3, exclude_zero=True)), {}),
                           ((make(3), make(2, 1), make(3, exclude_zero=True)), {"value": 0.5}),
                           ((make(0, 3), make(3), make(3)), {})],
             FLOATS),
    OpRecord("addcdiv_int_input", lambda x, a, b: torch.addcdiv(x, a.float(), b.float(), value=2),
             lambda make: [((make(2, 3), make(2, 3), make(2, 3, exclude_zero=True)), {})], INTS),
    OpRecord("nan_to_num", torch.nan_to_num, lambda make: special_values(make) + unary(make)[:1], FLOATS + INTS + (torch.bool,)),
    OpRecord("nan_to_num_values", lambda x: x.nan_to_num(1.0, posinf=1e6, neginf=-7), special_values, FLOATS),

    # conversions
    OpRecord("to_dtype", lambda x: x.to(torch.float16), unary, ALL),
    OpRecord("to_same_dtype", lambda x: x.to(x.dtype), lambda make: [((make(2, 3),), {})], ALL),
    OpRecord("to_kwargs", lambda x: x.to(dtype=torch.int32, copy=True), lambda make: [((make(2, 3),), {})], FLOATS),
    OpRecord("to_device_dtype", lambda x: x.to("cpu", torch.float64) if x.device.type == "cpu" else x.to(x.device, torch.float64),
             lambda make: [((make(2, 3),), {})], (torch.float32, torch.int64)),
    OpRecord("to_device", lambda x: x.to(x.device), lambda make: [((make(2, 3),), {})], (torch.float32,)),
    OpRecord("to_other", lambda x, y: x.to(y), lambda make: [((make(2, 3), torch.ones(1, dtype=torch.bfloat16, device=make(1).device)), {})],
             FLOATS + INTS),
    OpRecord("to_positional_flags", lambda x: x.to(torch.float64, False, True), lambda make: [((make(3),), {})], (torch.float32,)),
    OpRecord("type_as", lambda x, y: x.type_as(y), lambda make: [((make(2, 3), torch.ones(1, dtype=torch.int32, device=make(1).device)), {})],
             FLOATS + (torch.int32,)),
] + [
    OpRecord(f"method_{m}", (lambda m: lambda x: getattr(x, m)())(m), lambda make: [((make(2, 3),), {}), ((make(),), {})],
             (torch.float32, torch.int64, torch.bool))
    for m in ("float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte", "bool", "cfloat", "cdouble")
]
