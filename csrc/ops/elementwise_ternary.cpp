// Elementwise ops of three operands and selections: where, masked_fill, clamp, lerp, addcmul,
// addcdiv, nan_to_num. All decompose into comparisons, prims.where and arithmetic.
#include <cmath>
#include <limits>

#include "ops/elementwise.h"

namespace thunder::ops {

namespace {

std::vector<std::string> names(const char* op, std::initializer_list<const char*> extra = {}) {
  std::vector<std::string> out = {cat("torch.", op), cat("torch.Tensor.", op)};
  for (const char* e : extra) out.push_back(e);
  return out;
}

// None, a number or a tensor; anything else is a type error naming the parameter.
std::optional<Value> opt_operand(const Args& a, size_t i) {
  if (a[i].is_none()) return std::nullopt;
  return a.tensor_or_number(i);
}

bool is_nan_constant(const Value& v) {
  return v.is_constant() && std::holds_alternative<double>(v.constant_value()) && std::isnan(v.as_double());
}

// torch.clamp: min applied first, then max, so max wins where min > max. Tensor bounds propagate
// NaN (maximum/minimum); a number bound is cast to the result dtype, and a NaN one makes every
// element NaN, as torch's scalar kernel does.
Value clamp(const Value& x, const std::optional<Value>& lo, const std::optional<Value>& hi) {
  THUNDER_CHECK(lo || hi, Runtime, "torch.clamp: At least one of 'min' or 'max' must not be None");
  // torch has a tensor overload and a number overload; a zero-dim tensor also reads as a number
  if (lo && hi && lo->is_tensor() != hi->is_tensor()) {
    const Value& t = lo->is_tensor() ? *lo : *hi;
    THUNDER_CHECK(t.rank() == 0, Type, "clamp(): expected min and max to be both tensors or both numbers, got ",
                  type_name(*lo), " and ", type_name(*hi));
  }
  std::vector<Value> operands = {x};
  if (lo) operands.push_back(*lo);
  if (hi) operands.push_back(*hi);
  DType rt = promote(operands, Promotion::NoOpmath).result;
  THUNDER_CHECK(!is_complex(rt), NotImplemented, "clamp is not supported for complex types");
  common_device("clamp", operands);
  Shape shape = common_shape(operands);
  using namespace pm;
  Value y = convert(broadcast_to(x, shape), rt);
  auto bound = [&](const Value& b, bool is_min) {
    if (b.is_tensor()) {
      Value t = convert(broadcast_to(b, shape), rt);
      y = is_min ? maximum(y, t) : minimum(y, t);
      return;
    }
    Value v = checked_number(b, rt);
    if (is_nan_constant(v)) y = fill_like(y, v);
    else y = where(is_min ? lt(y, v) : gt(y, v), v, y);
  };
  if (lo) bound(*lo, true);
  if (hi) bound(*hi, false);
  return y;
}

// torch's clamp_backward and clamp_backward_min_max: the input gets the gradient where
// min <= x <= max (none where x or a bound is NaN), a tensor min where x < min < max, a tensor max
// where x > max or max < min; returned as {input, min, max}. The decomposition's maximum/minimum would pass gradients through
// NaNs and split ties, so the op carries this rule and its forward stays one call.
std::vector<Value> clamp_vjp(const Value& x, const std::optional<Value>& lo, const std::optional<Value>& hi,
                             const Value& y, const Value& g) {
  using namespace pm;
  const Shape& shape = y.shape();
  DType rt = y.dtype();
  auto operand = [&](const Value& v) { return v.is_tensor() ? convert(broadcast_to(v, shape), rt) : checked_number(v, rt); };
  Value xb = operand(x);
  std::optional<Value> l = lo ? std::optional(operand(*lo)) : std::nullopt;
  std::optional<Value> h = hi ? std::optional(operand(*hi)) : std::nullopt;
  auto grad_for = [&](const Value& v, const Value& pred) -> Value {
    if (!v.is_tensor() || !is_inexact(v.dtype())) return Value();
    return convert(sum_to_shape(where(pred, g, zeros_like(g)), v.shape()), v.dtype());
  };
  Value in_range;
  if (l && h) in_range = bitwise_and(ge(xb, *l), le(xb, *h));
  else in_range = l ? ge(xb, *l) : le(xb, *h);
  std::vector<Value> out = {grad_for(x, in_range), Value(), Value()};
  if (lo && lo->is_tensor()) {
    Value below = lt(xb, *l);
    if (h) below = bitwise_and(below, lt(*l, *h));
    out[1] = grad_for(*lo, below);
  }
  if (hi && hi->is_tensor()) {
    Value above = gt(xb, *h);
    if (l) above = bitwise_or(above, lt(*h, *l));
    out[2] = grad_for(*hi, above);
  }
  return out;
}

void add_clamp(Registry& r, std::string schema, std::vector<std::string> torch_names, ImplFn impl, VjpFn vjp) {
  std::string name = schema.substr(0, schema.find('('));
  r.add({.schema = std::move(schema),
         .print_name = cat("torch.", name),
         .torch_names = std::move(torch_names),
         .fusion = FusionClass::Elementwise,
         .impl = std::move(impl),
         .vjp = std::move(vjp)});
}

}  // namespace

void register_elementwise_ternary(Registry& r) {
  // Tensor.where is not listed: its first operand is the input, not the condition.
  add_elementwise(r, "where(condition, input, other)", {"torch.where"}, [](const Args& a) {
    const Value& c = a.tensor(0);
    THUNDER_CHECK(c.dtype() == DType::Bool || c.dtype() == DType::UInt8, Runtime,
                  "where expected condition to be a boolean tensor, but got a tensor with dtype ",
                  dtype_c10_name(c.dtype()));
    Value x = a.tensor_or_number(1), y = a.tensor_or_number(2);
    DType rt = promote({x, y}, Promotion::NoOpmath).result;
    common_device("where", {c, x, y});
    Shape shape = common_shape({c, x, y});
    // a uint8 condition is deprecated in torch but still means != 0
    Value pred = broadcast_to(c.dtype() == DType::Bool ? c : pm::ne(c, num(0)), shape);
    auto value = [&](const Value& v) {
      if (v.is_tensor()) return convert(broadcast_to(v, shape), rt);
      // two numbers must share a Python type in prims.where
      return x.is_tensor() || y.is_tensor() ? v : checked_number(v, rt);
    };
    return pm::where(pred, value(x), value(y));
  });

  add_elementwise(r, "masked_fill(input, mask, value)", names("masked_fill"), [](const Args& a) {
    const Value& x = a.tensor(0);
    const Value& mask = a.tensor(1);
    const Value& value = a.tensor_or_number(2);
    THUNDER_CHECK(mask.dtype() == DType::Bool, Runtime,
                  "masked_fill_ only supports boolean masks, but got mask with dtype ", dtype_cpp_name(mask.dtype()));
    THUNDER_CHECK(!value.is_tensor() || value.rank() == 0, Runtime,
                  "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
                  value.is_tensor() ? value.rank() : 0, " dimension(s).");
    common_device("masked_fill", {x, mask});
    Shape shape = common_shape({x, mask});
    Value v = value.is_tensor() ? broadcast_to(convert(value, x.dtype()), shape) : checked_number(value, x.dtype());
    return pm::where(broadcast_to(mask, shape), v, broadcast_to(x, shape));
  });

  add_clamp(
      r, "clamp(input, min=None, max=None)", names("clamp", {"torch.clip", "torch.Tensor.clip"}),
      [](const Args& a) { return clamp(a.tensor(0), opt_operand(a, 1), opt_operand(a, 2)); },
      [](const Args& a, const Value& y, const Value& g) { return clamp_vjp(a[0], opt_operand(a, 1), opt_operand(a, 2), y, g); });
  add_clamp(
      r, "clamp_min(input, min)", names("clamp_min"),
      [](const Args& a) { return clamp(a.tensor(0), a.tensor_or_number(1), std::nullopt); },
      [](const Args& a, const Value& y, const Value& g) {
        std::vector<Value> out = clamp_vjp(a[0], a[1], std::nullopt, y, g);
        return std::vector<Value>{out[0], out[1]};
      });
  add_clamp(
      r, "clamp_max(input, max)", names("clamp_max"),
      [](const Args& a) { return clamp(a.tensor(0), std::nullopt, a.tensor_or_number(1)); },
      [](const Args& a, const Value& y, const Value& g) {
        std::vector<Value> out = clamp_vjp(a[0], std::nullopt, a[1], y, g);
        return std::vector<Value>{out[0], out[2]};
      });

  // torch's lerp: x + w * (end - x) for |w| < 0.5, else end - (end - x) * (1 - w), in opmath
  add_elementwise(r, "lerp(input, end, weight)", names("lerp"), [](const Args& a) {
    const Value& x = a.tensor(0);
    require_tensor_arg(a, 1);
    const Value& e = a[1];
    const Value& w = a.tensor_or_number(2);
    THUNDER_CHECK(x.dtype() == e.dtype(), Runtime, "expected dtype ", dtype_cpp_name(x.dtype()),
                  " for `end` but got dtype ", dtype_cpp_name(e.dtype()));
    // a zero-dim weight is read as a scalar, whatever its dtype
    THUNDER_CHECK(!w.is_tensor() || w.rank() == 0 || w.dtype() == x.dtype(), Runtime, "expected dtype ",
                  dtype_cpp_name(x.dtype()), " for `weight` but got dtype ", dtype_cpp_name(w.dtype()));
    if (!is_inexact(x.dtype())) not_implemented_for("lerp", x.dtype());
    common_device("lerp", {x, e, w});
    Shape shape = common_shape({x, e, w});
    DType c = opmath_type(x.dtype());
    using namespace pm;
    Value lo = convert(broadcast_to(x, shape), c), hi = convert(broadcast_to(e, shape), c);
    Value d = hi - lo;
    Value out;
    if (!w.is_tensor()) {
      Value wv = checked_number(w, c);
      Complex wz = std::holds_alternative<Complex>(wv.constant_value()) ? std::get<Complex>(wv.constant_value())
                                                                         : Complex(wv.as_double(), 0);
      Value rest = is_complex(c) ? Value::constant(1.0 - wz) : Value::constant(1.0 - wz.real());
      out = std::abs(wz) < 0.5 ? lo + wv * d : hi - d * rest;
    } else {
      Value wt = convert(broadcast_to(w, shape), c);
      out = where(lt(abs(wt), num(0.5)), lo + wt * d, hi - d * (1 - wt));
    }
    return convert(out, x.dtype());
  });

  // input + value * tensor1 * tensor2 (or / tensor2), in opmath; value is cast to the result dtype
  for (bool is_div : {false, true}) {
    const char* op = is_div ? "addcdiv" : "addcmul";
    add_elementwise(r, cat(op, "(input, tensor1, tensor2, *, value=1)"), names(op), [is_div, op](const Args& a) {
      const Value& x = a.tensor(0);
      const Value& t1 = a.tensor(1);
      const Value& t2 = a.tensor(2);
      if (!a[3].is_number()) a.type_error(3, "a number");
      THUNDER_CHECK(!is_div || is_inexact(t1.dtype()) || is_inexact(t2.dtype()), Runtime,
                    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
                    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
                    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior "
                    "is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.");
      PromotedTypes t = promote({x, t1, t2}, Promotion::Default);
      if (t.result == DType::Bool) not_implemented_for(op, t.result);
      common_device(op, {x, t1, t2});
      Shape shape = common_shape({x, t1, t2});
      Value v = checked_number(a[3], t.result);
      using namespace pm;
      auto prep = [&](const Value& u) { return convert(broadcast_to(u, shape), t.computation); };
      Value p = prep(t1);
      bool one = v.is_constant() && !std::holds_alternative<Complex>(v.constant_value()) && v.as_double() == 1.0;
      if (!one) p = v * p;
      p = is_div ? p / prep(t2) : p * prep(t2);
      return convert(prep(x) + p, t.result);
    });
  }

  add_elementwise(r, "nan_to_num(input, nan=0.0, posinf=None, neginf=None)", names("nan_to_num"), [](const Args& a) {
    const Value& x = a.tensor(0);
    for (size_t i = 1; i < 4; ++i)
      if (!a[i].is_none() && !(a[i].is_constant() && a[i].is_number() && a[i].python_number_type() != NumberType::Complex))
        a.type_error(i, "a float or None");
    if (!is_inexact(x.dtype())) return x;
    // the replacements apply to real and imaginary parts, which prims do not reach: opaque
    if (is_complex(x.dtype())) return new_tensor(x.shape(), x.dtype(), x.meta().device);
    double big = 0;
    switch (x.dtype()) {
      case DType::Float16: big = 65504.0; break;
      case DType::BFloat16: big = 3.3895313892515355e38; break;
      case DType::Float32: big = std::numeric_limits<float>::max(); break;
      default: big = std::numeric_limits<double>::max();
    }
    // torch casts the replacements to the tensor's dtype, so one beyond its range becomes an
    // infinity; passing the number on as is would make some kernels (CUDA's where) refuse it
    double overflow = 0;  // the magnitude from which a cast rounds to infinity: max + half an ulp
    switch (x.dtype()) {
      case DType::Float16: overflow = 65520.0; break;
      case DType::BFloat16: overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 119); break;
      case DType::Float32: overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 103); break;
      default: overflow = INFINITY;
    }
    auto value = [&](size_t i, double dflt) {
      double v = a[i].is_none() ? dflt : a[i].as_double();
      return Value::constant(std::abs(v) >= overflow ? std::copysign(INFINITY, v) : v);
    };
    using namespace pm;
    Value out = where(ne(x, x), value(1, 0.0), x);
    out = where(eq(x, num(INFINITY)), value(2, big), out);
    return where(eq(x, num(-INFINITY)), value(3, -big), out);
  });
}

}  // namespace thunder::ops
