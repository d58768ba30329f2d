// Unary elementwise ops: math functions over one tensor, each a prim in the computation dtype or a
// short composition of prims, with torch's dtype rules and errors.
#include <cmath>
#include <limits>

#include "ops/elementwise.h"

namespace thunder::ops {

namespace {

// What a unary op accepts beyond floating types, as torch's kernels do.
enum class Accepts { All, NoComplex, NoBoolNoComplex };

struct UnaryMath {
  const char* name;
  std::vector<std::string> torch_names;
  Accepts accepts = Accepts::All;
  // the prim computing it; the op's own name when empty
  const char* prim = "";
};

std::vector<std::string> names(const char* op, std::initializer_list<const char*> extra = {}) {
  std::vector<std::string> out = {cat("torch.", op), cat("torch.Tensor.", op)};
  for (const char* e : extra) out.push_back(e);
  return out;
}

void check_accepts(std::string_view op, DType t, Accepts accepts) {
  if (accepts != Accepts::All && is_complex(t)) not_implemented_for(op, t);
  if (accepts == Accepts::NoBoolNoComplex && t == DType::Bool) not_implemented_for(op, t);
}

void reject_complex(std::string_view op, DType t) {
  THUNDER_CHECK(!is_complex(t), NotImplemented, op, " is not supported for complex inputs");
}

Value float_unary(const char* prim, const Value& x) {
  PromotedTypes t = promote({x}, Promotion::IntToFloat);
  return convert(call(prim, {convert(x, t.computation)}), t.result);
}

// A bool tensor of x's shape: all false (x != x for integers) or all true (x == x).
Value constant_mask(const Value& x, bool value) {
  return call(value ? "prims.eq" : "prims.ne", {x, x});
}

}  // namespace

void register_elementwise_unary(Registry& r) {
  // integers and bool compute in float32, like torch's unary float ops
  for (const UnaryMath& u : {
           UnaryMath{"exp", names("exp")},
           UnaryMath{"expm1", names("expm1", {"torch.special.expm1"})},
           UnaryMath{"log", names("log")},
           UnaryMath{"log1p", names("log1p", {"torch.special.log1p"})},
           UnaryMath{"log2", names("log2")},
           UnaryMath{"log10", names("log10")},
           UnaryMath{"sqrt", names("sqrt")},
           UnaryMath{"sin", names("sin")},
           UnaryMath{"cos", names("cos")},
           UnaryMath{"tan", names("tan")},
           UnaryMath{"asin", names("asin", {"torch.arcsin", "torch.Tensor.arcsin"})},
           UnaryMath{"acos", names("acos", {"torch.arccos", "torch.Tensor.arccos"})},
           UnaryMath{"atan", names("atan", {"torch.arctan", "torch.Tensor.arctan"})},
           UnaryMath{"sinh", names("sinh")},
           UnaryMath{"cosh", names("cosh")},
           UnaryMath{"tanh", names("tanh", {"torch.nn.functional.tanh"})},
           UnaryMath{"asinh", names("asinh", {"torch.arcsinh", "torch.Tensor.arcsinh"})},
           UnaryMath{"acosh", names("acosh", {"torch.arccosh", "torch.Tensor.arccosh"})},
           UnaryMath{"atanh", names("atanh", {"torch.arctanh", "torch.Tensor.arctanh"})},
           UnaryMath{"erf", names("erf", {"torch.special.erf"}), Accepts::NoComplex},
           UnaryMath{"erfc", names("erfc", {"torch.special.erfc"}), Accepts::NoComplex},
           UnaryMath{"lgamma", names("lgamma", {"torch.special.gammaln"}), Accepts::NoComplex},
       }) {
    std::string prim = cat("prims.", *u.prim ? u.prim : u.name), name = u.name;
    Accepts accepts = u.accepts;
    add_elementwise(r, cat(u.name, "(input)"), u.torch_names, [prim, name, accepts](const Args& a) {
      const Value& x = a.tensor(0);
      check_accepts(name, x.dtype(), accepts);
      return float_unary(prim.c_str(), x);
    });
  }

  // 1 / sqrt(x), as torch's CPU kernel computes it
  add_elementwise(r, "rsqrt(input)", names("rsqrt"), [](const Args& a) {
    PromotedTypes t = promote({a.tensor(0)}, Promotion::IntToFloat);
    using namespace pm;
    return convert(1.0 / sqrt(convert(a[0], t.computation)), t.result);
  });
  add_elementwise(r, "reciprocal(input)", names("reciprocal"), [](const Args& a) {
    PromotedTypes t = promote({a.tensor(0)}, Promotion::IntToFloat);
    using namespace pm;
    return convert(1.0 / convert(a[0], t.computation), t.result);
  });
  // 2 ** x: pow is exact at integers and correctly rounded elsewhere, which exp2 also is
  add_elementwise(r, "exp2(input)", names("exp2", {"torch.special.exp2"}), [](const Args& a) {
    PromotedTypes t = promote({a.tensor(0)}, Promotion::IntToFloat);
    using namespace pm;
    return convert(call("prims.pow", {num(2.0), convert(a[0], t.computation)}), t.result);
  });
  add_elementwise(r, "square(input)", names("square"), [](const Args& a) {
    PromotedTypes t = promote({a.tensor(0)}, Promotion::BoolToLong);
    using namespace pm;
    Value x = convert(a[0], t.computation);
    return convert(x * x, t.result);
  });

  add_elementwise(r, "abs(input)", names("abs", {"torch.absolute", "torch.Tensor.absolute", "torch.Tensor.__abs__"}),
      [](const Args& a) {
        const Value& x = a.tensor(0);
        if (x.dtype() == DType::Bool) not_implemented_for("abs", x.dtype());
        if (x.dtype() == DType::UInt8) return x;
        return pm::abs(x);
      });

  // (0 < x) - (x < 0), as torch computes it: NaN and -0.0 give +0
  add_elementwise(r, "sign(input)", names("sign"), [](const Args& a) {
    const Value& x = a.tensor(0);
    THUNDER_CHECK(!is_complex(x.dtype()), NotImplemented,
                  "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead.");
    if (x.dtype() == DType::Bool) return x;
    using namespace pm;
    return convert(gt(x, num(0)), x.dtype()) - convert(lt(x, num(0)), x.dtype());
  });

  // Rounding: integers are already whole and come back unchanged.
  for (const char* op : {"floor", "ceil", "trunc"}) {
    std::string prim = cat("prims.", op), name = op;
    std::vector<std::string> tn = names(op);
    if (name == "trunc") tn.insert(tn.end(), {"torch.fix", "torch.Tensor.fix"});
    add_elementwise(r, cat(op, "(input)"), tn, [prim, name](const Args& a) {
      const Value& x = a.tensor(0);
      if (x.dtype() == DType::Bool) not_implemented_for(name, x.dtype());
      reject_complex(name, x.dtype());
      if (!is_inexact(x.dtype())) return x;
      return call(prim, {x});
    });
  }
  // Half to even; with decimals, torch scales by 10**|decimals| in the computation dtype.
  add_elementwise(r, "round(input, *, decimals=0)", names("round", {"torch.special.round"}), [](const Args& a) {
    const Value& x = a.tensor(0);
    int64_t d = a.int_(1);
    if (x.dtype() == DType::Bool || is_complex(x.dtype()) || (d != 0 && !is_inexact(x.dtype())))
      not_implemented_for("round", x.dtype());
    if (!is_floating(x.dtype())) return x;
    using namespace pm;
    if (d == 0) return round(x);
    Value c = convert(x, opmath_type(x.dtype()));
    double scale = std::pow(10.0, static_cast<double>(d < 0 ? -d : d));
    return convert(d > 0 ? round(c * scale) / scale : round(c / scale) * scale, x.dtype());
  });
  // x - trunc(x) is exact in any precision
  add_elementwise(r, "frac(input)", names("frac"), [](const Args& a) {
    const Value& x = a.tensor(0);
    if (!is_floating(x.dtype())) not_implemented_for("frac", x.dtype());
    using namespace pm;
    return x - trunc(x);
  });

  // Classification. Integers are never NaN or infinite.
  add_elementwise(r, "isnan(input)", names("isnan"), [](const Args& a) {
    const Value& x = a.tensor(0);
    return pm::ne(x, x);
  });
  add_elementwise(r, "isinf(input)", names("isinf"), [](const Args& a) {
    const Value& x = a.tensor(0);
    if (!is_inexact(x.dtype())) return constant_mask(x, false);
    // |re| or |im| being inf is not |z| == inf for huge finite parts: complex runs opaque
    if (is_complex(x.dtype())) return new_tensor(x.shape(), DType::Bool, x.meta().device);
    return pm::eq(pm::abs(x), num(INFINITY));
  });
  add_elementwise(r, "isposinf(input)", names("isposinf"), [](const Args& a) {
    const Value& x = a.tensor(0);
    THUNDER_CHECK(!is_complex(x.dtype()), Runtime, "isposinf does not support complex inputs.");
    if (!is_floating(x.dtype())) return constant_mask(x, false);
    return pm::eq(x, num(INFINITY));
  });
  add_elementwise(r, "isneginf(input)", names("isneginf"), [](const Args& a) {
    const Value& x = a.tensor(0);
    THUNDER_CHECK(!is_complex(x.dtype()), Runtime, "isneginf does not support complex inputs.");
    if (!is_floating(x.dtype())) return constant_mask(x, false);
    return pm::eq(x, num(-INFINITY));
  });
  add_elementwise(r, "isfinite(input)", names("isfinite"), [](const Args& a) {
    const Value& x = a.tensor(0);
    if (!is_inexact(x.dtype())) return constant_mask(x, true);
    if (is_complex(x.dtype())) return new_tensor(x.shape(), DType::Bool, x.meta().device);
    // NaN compares false
    return pm::lt(pm::abs(x), num(INFINITY));
  });
  // copysign sees the sign bit of -0.0 and of negative NaNs, which x < 0 does not
  add_elementwise(r, "signbit(input)", names("signbit"), [](const Args& a) {
    const Value& x = a.tensor(0);
    THUNDER_CHECK(!is_complex(x.dtype()), NotImplemented, "signbit is not implemented for complex tensors.");
    if (x.dtype() == DType::Bool || x.dtype() == DType::UInt8) return constant_mask(x, false);
    using namespace pm;
    if (!is_floating(x.dtype())) return lt(x, num(0));
    return lt(copysign(fill_like(x, num(1.0)), x), num(0));
  });

  // Logic and bits.
  add_elementwise(r, "logical_not(input)", names("logical_not"), [](const Args& a) {
    const Value& x = a.tensor(0);
    return pm::eq(x, x.dtype() == DType::Bool ? Value::constant(false) : num(0));
  });
  // ~x is x ^ (all ones)
  add_elementwise(r, "bitwise_not(input)", names("bitwise_not", {"torch.Tensor.__invert__"}), [](const Args& a) {
    const Value& x = a.tensor(0);
    if (is_inexact(x.dtype())) not_implemented_for("bitwise_not", x.dtype());
    Value ones = x.dtype() == DType::Bool ? Value::constant(true) : num(x.dtype() == DType::UInt8 ? 255 : -1);
    return pm::bitwise_xor(x, ones);
  });
  add_elementwise(r, "positive(input)", names("positive", {"torch.Tensor.__pos__"}), [](const Args& a) {
    const Value& x = a.tensor(0);
    THUNDER_CHECK(x.dtype() != DType::Bool, Runtime, "The `+` operator, on a bool tensor is not supported.");
    return x;
  });
}

}  // namespace thunder::ops
