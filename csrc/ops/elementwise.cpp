// Elementwise ops: the prims (same-shape, same-dtype operands; numbers allowed) and the torch-level
// ops that promote, broadcast and cast around them.
#include <cmath>

#include "ir/error.h"
#include "ops/elementwise.h"

namespace thunder::ops {

namespace {

// A number may join a tensor in a prim when its Python type does not outrank the tensor's dtype
// (an int with a float tensor is fine, a float with an int tensor is not).
bool number_fits(NumberType n, DType t) {
  return static_cast<int>(category(number_dtype(n))) <= static_cast<int>(category(t));
}

// The meta rule shared by elementwise prims: tensors agree exactly; numbers fit; the output has
// the tensors' shape and device, and their dtype (or bool).
Value elementwise_meta(const Args& a, bool bool_result) {
  std::optional<Value> first;
  for (size_t i = 0; i < a.size(); ++i) {
    const Value& v = a.tensor_or_number(i);
    if (!v.is_tensor()) continue;
    if (!first) {
      first = v;
      continue;
    }
    THUNDER_ASSERT(v.shape() == first->shape() && v.dtype() == first->dtype() && v.meta().device == first->meta().device,
                   a.symbol().name(), ": operands disagree: ", first->meta().str(), " and ", v.meta().str());
  }
  THUNDER_ASSERT(first, a.symbol().name(), ": expected at least one tensor operand");
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].is_number())
      THUNDER_ASSERT(number_fits(a[i].python_number_type(), first->dtype()), a.symbol().name(),
                     ": a number of a higher category than its tensor operand ", first->meta().str());
  return new_tensor(first->shape(), bool_result ? DType::Bool : first->dtype(), first->meta().device);
}

// Which operands an elementwise prim's ATen callable takes as Python numbers. The prim checks it so
// that a decomposition never records a call its callable would reject.
enum class Numbers { Any, NotFirst, None };

void prim(Registry& r, std::string schema, std::string aten, std::string py_operator = "", bool bool_result = false,
          Numbers numbers = Numbers::Any, VjpFn vjp = nullptr) {
  r.add({.schema = std::move(schema),
         .fusion = FusionClass::Elementwise,
         .py_operator = std::move(py_operator),
         .aten = std::move(aten),
         .impl = [bool_result, numbers](const Args& a) {
           for (size_t i = 0; i < a.size(); ++i)
             THUNDER_ASSERT(!a[i].is_number() || numbers == Numbers::Any || (numbers == Numbers::NotFirst && i > 0),
                            a.symbol().name(), ": operand ", i, " must be a tensor");
           return elementwise_meta(a, bool_result);
         },
         .vjp = std::move(vjp),
         .differentiable = !bool_result});
}

// VJP rules of the unary prims, in terms of the operand x, the result y and the cotangent g.
using UnaryVjp = Value (*)(const Value& x, const Value& y, const Value& g);
using namespace pm;
constexpr double kPi = 3.14159265358979323846;

struct UnaryPrim {
  const char* name;
  UnaryVjp vjp;  // nullptr: the result is piecewise constant, its gradient zero
};

const UnaryPrim kUnaryPrims[] = {
    {"neg", [](const Value&, const Value&, const Value& g) { return -g; }},
    {"exp", [](const Value&, const Value& y, const Value& g) { return g * y; }},
    {"expm1", [](const Value&, const Value& y, const Value& g) { return g * (y + 1); }},
    {"log", [](const Value& x, const Value&, const Value& g) { return g / x; }},
    {"log1p", [](const Value& x, const Value&, const Value& g) { return g / (x + 1); }},
    {"log2", [](const Value& x, const Value&, const Value& g) { return g / (x * std::log(2.0)); }},
    {"log10", [](const Value& x, const Value&, const Value& g) { return g / (x * std::log(10.0)); }},
    {"sqrt", [](const Value&, const Value& y, const Value& g) { return g / (y * 2); }},
    {"sin", [](const Value& x, const Value&, const Value& g) { return g * cos(x); }},
    {"cos", [](const Value& x, const Value&, const Value& g) { return g * -sin(x); }},
    {"tan", [](const Value&, const Value& y, const Value& g) { return g * (y * y + 1); }},
    {"asin", [](const Value& x, const Value&, const Value& g) { return g / sqrt(1 - x * x); }},
    {"acos", [](const Value& x, const Value&, const Value& g) { return -g / sqrt(1 - x * x); }},
    {"atan", [](const Value& x, const Value&, const Value& g) { return g / (x * x + 1); }},
    {"sinh", [](const Value& x, const Value&, const Value& g) { return g * cosh(x); }},
    {"cosh", [](const Value& x, const Value&, const Value& g) { return g * sinh(x); }},
    {"tanh", [](const Value&, const Value& y, const Value& g) { return g * (1 - y * y); }},
    {"asinh", [](const Value& x, const Value&, const Value& g) { return g / sqrt(x * x + 1); }},
    {"acosh", [](const Value& x, const Value&, const Value& g) { return g / sqrt(x * x - 1); }},
    {"atanh", [](const Value& x, const Value&, const Value& g) { return g / (1 - x * x); }},
    {"erf", [](const Value& x, const Value&, const Value& g) { return g * (2 / std::sqrt(kPi)) * exp(-(x * x)); }},
    {"erfc", [](const Value& x, const Value&, const Value& g) { return g * (-2 / std::sqrt(kPi)) * exp(-(x * x)); }},
    {"lgamma", [](const Value& x, const Value&, const Value& g) { return g * call("prims.digamma", {x}); }},
    {"digamma", [](const Value& x, const Value&, const Value& g) { return g * call("prims.polygamma", {num(1), x}); }},
    {"floor", nullptr},
    {"ceil", nullptr},
    {"round", nullptr},
    {"trunc", nullptr},
};

VjpFn unary_vjp(UnaryVjp rule) {
  return [rule](const Args& a, const Value& y, const Value& g) -> std::vector<Value> {
    return {rule ? rule(a[0], y, g) : zeros_like(a[0])};
  };
}

void register_prims(Registry& r) {
  // unary prims: the torch function of the same name computes each of them
  for (const UnaryPrim& u : kUnaryPrims)
    prim(r, cat("prims.", u.name, "(a)"), cat("torch.", u.name), "", false, Numbers::Any, unary_vjp(u.vjp));
  // lgamma's derivative, and digamma's (polygamma(1, x): its first argument is the order)
  r.add({.schema = "prims.polygamma(n, a)",
         .fusion = FusionClass::Elementwise,
         .aten = "torch.polygamma",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(1);
           return new_tensor(t.shape(), t.dtype(), t.meta().device);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {Value(), g * call("prims.polygamma", {num(a[0].as_int() + 1), a[1]})};
         }});
  // complex -> real
  r.add({.schema = "prims.abs(a)",
         .fusion = FusionClass::Elementwise,
         .aten = "torch.abs",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           return new_tensor(t.shape(), to_real(t.dtype()), t.meta().device);
         },
         // g * sgn(x), zero at zero (torch's rule); for complex x, sgn(x) = x / |x|
         .vjp = [](const Args& a, const Value& y, const Value& g) -> std::vector<Value> {
           const Value& x = a[0];
           if (is_complex(x.dtype())) {
             Value d = convert(g, x.dtype()) * x / convert(y, x.dtype());
             return {where(eq(y, num(0)), zeros_like(x), d)};
           }
           return {where(gt(x, num(0)), g, where(lt(x, num(0)), -g, zeros_like(g)))};
         }});

  // binary prims. prims.div divides integers with truncation (C's `/`), so that every prim keeps its
  // operands' dtype; it must not take an integer number first (Python's `/` would divide truly).
  // Binary VJP rules get the operands a and b (either may be a number, which gets no cotangent).
  auto binary = [](Value (*ga)(const Value&, const Value&, const Value&, const Value&),
                   Value (*gb)(const Value&, const Value&, const Value&, const Value&)) -> VjpFn {
    return [ga, gb](const Args& args, const Value& y, const Value& g) -> std::vector<Value> {
      const Value &a = args[0], &b = args[1];
      return {a.is_tensor() ? ga(a, b, y, g) : Value(), b.is_tensor() ? gb(a, b, y, g) : Value()};
    };
  };
  using V = const Value&;
  prim(r, "prims.add(a, b)", "torch.add", "+", false, Numbers::Any,
       binary([](V, V, V, V g) { return g; }, [](V, V, V, V g) { return g; }));
  prim(r, "prims.sub(a, b)", "torch.sub", "-", false, Numbers::Any,
       binary([](V, V, V, V g) { return g; }, [](V, V, V, V g) { return -g; }));
  prim(r, "prims.mul(a, b)", "torch.mul", "*", false, Numbers::Any,
       binary([](V, V b, V, V g) { return g * b; }, [](V a, V, V, V g) { return g * a; }));
  prim(r, "prims.div(a, b)",
       "lambda a, b: torch.div(a, b, rounding_mode=None if torch.result_type(a, b).is_floating_point or "
       "torch.result_type(a, b).is_complex else 'trunc')",
       "/", false, Numbers::Any,
       binary([](V, V b, V, V g) { return g / b; }, [](V a, V b, V, V g) { return -g * a / (b * b); }));
  // torch's pow_backward: zero where the exponent is 0 (base) or where the base is 0 and the
  // exponent non-negative (exponent)
  prim(r, "prims.pow(a, b)", "torch.pow", "**", false, Numbers::Any,
       binary(
           [](V a, V b, V, V g) {
             Value d = g * b * call("prims.pow", {a, b.is_tensor() ? b - 1 : num(b.as_double() - 1)});
             return b.is_tensor() ? where(eq(b, num(0)), zeros_like(d), d) : b.as_double() == 0 ? zeros_like(d) : d;
           },
           [](V a, V b, V y, V g) {
             Value d = g * y * (a.is_tensor() ? log(a) : num(std::log(a.as_double())));
             if (!a.is_tensor()) return a.as_double() == 0 ? zeros_like(d) : d;
             return where(bitwise_and(eq(a, num(0)), ge(b, num(0))), zeros_like(d), d);
           }));
  prim(r, "prims.bitwise_and(a, b)", "torch.bitwise_and", "&");
  prim(r, "prims.bitwise_or(a, b)", "torch.bitwise_or", "|");
  prim(r, "prims.bitwise_xor(a, b)", "torch.bitwise_xor", "^");
  prim(r, "prims.fmod(a, b)", "torch.fmod", "", false, Numbers::NotFirst,
       binary([](V, V, V, V g) { return g; }, [](V a, V b, V, V g) { return -g * trunc(a / b); }));
  // torch's copysign backward: g * y / a, zero where a is zero; none for the sign's source
  prim(r, "prims.copysign(a, b)", "torch.copysign", "", false, Numbers::NotFirst,
       binary([](V a, V, V y, V g) { return where(eq(a, num(0)), zeros_like(g), g * (y / a)); },
              [](V, V b, V, V) { return zeros_like(b); }));
  // NaN-propagating; ties split the gradient in halves, as torch does
  prim(r, "prims.maximum(a, b)", "torch.maximum", "", false, Numbers::None,
       binary([](V a, V b, V, V g) { return where(eq(a, b), g / 2, where(lt(a, b), zeros_like(g), g)); },
              [](V a, V b, V, V g) { return where(eq(a, b), g / 2, where(gt(a, b), zeros_like(g), g)); }));
  prim(r, "prims.minimum(a, b)", "torch.minimum", "", false, Numbers::None,
       binary([](V a, V b, V, V g) { return where(eq(a, b), g / 2, where(gt(a, b), zeros_like(g), g)); },
              [](V a, V b, V, V g) { return where(eq(a, b), g / 2, where(lt(a, b), zeros_like(g), g)); }));
  prim(r, "prims.atan2(a, b)", "torch.atan2", "", false, Numbers::None,
       binary([](V a, V b, V, V g) { return g * b / (a * a + b * b); },
              [](V a, V b, V, V g) { return -g * a / (a * a + b * b); }));
  prim(r, "prims.hypot(a, b)", "torch.hypot", "", false, Numbers::None,
       binary([](V a, V, V y, V g) { return g * a / y; }, [](V, V b, V y, V g) { return g * b / y; }));
  struct Cmp {
    const char* name;
    const char* op;
  };
  for (Cmp c : {Cmp{"eq", "=="}, {"ne", "!="}, {"lt", "<"}, {"le", "<="}, {"gt", ">"}, {"ge", ">="}})
    prim(r, cat("prims.", c.name, "(a, b)"), cat("torch.", c.name), c.op, /*bool_result=*/true);

  r.add({.schema = "prims.where(pred, a, b)",
         .fusion = FusionClass::Elementwise,
         .aten = "torch.where",
         .impl = [](const Args& a) {
           const Value& pred = a.tensor(0);
           THUNDER_ASSERT(pred.dtype() == DType::Bool, "prims.where: predicate must be bool");
           std::vector<Value> ops = {a.tensor_or_number(1), a.tensor_or_number(2)};
           std::optional<Value> t = ops[0].is_tensor() ? ops[0] : ops[1].is_tensor() ? std::optional(ops[1]) : std::nullopt;
           if (!t) {
             // two numbers of one Python type: torch gives them that type's default dtype
             NumberType n = ops[0].python_number_type();
             THUNDER_ASSERT(ops[1].python_number_type() == n, "prims.where: numbers of different types");
             return new_tensor(pred.shape(), number_dtype(n), pred.meta().device);
           }
           for (const auto& v : ops) {
             if (v.is_tensor())
               THUNDER_ASSERT(v.shape() == pred.shape() && v.dtype() == t->dtype(), "prims.where: operands disagree");
             else
               THUNDER_ASSERT(number_fits(v.python_number_type(), t->dtype()), "prims.where: number does not fit");
           }
           return new_tensor(pred.shape(), t->dtype(), pred.meta().device);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           Value z = zeros_like(g);
           return {Value(), a[1].is_tensor() ? where(a[0], g, z) : Value(),
                   a[2].is_tensor() ? where(a[0], z, g) : Value()};
         }});
  r.add({.schema = "prims.convert_element_type(a, dtype)",
         .fusion = FusionClass::Elementwise,
         .aten = "torch.Tensor.to",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           return new_tensor(t.shape(), *a.opt_dtype(1), t.meta().device);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           if (!is_inexact(a[0].dtype())) return {Value()};
           return {convert(g, a[0].dtype())};
         }});
}

// ---- torch-level ops ---------------------------------------------------------------------------

bool is_bool_operand(const Value& v) {
  return v.is_tensor() ? v.dtype() == DType::Bool : v.python_number_type() == NumberType::Bool;
}

// number * number, for folding alpha into a number operand
Value fold_mul(const Value& x, const Value& y) {
  if (x.is_int() && y.is_int()) return Value::constant(x.as_int() * y.as_int());
  auto as_complex = [](const Value& v) {
    if (auto* c = std::get_if<Complex>(&v.constant_value())) return *c;
    return Complex(v.as_double(), 0);
  };
  if (x.python_number_type() == NumberType::Complex || y.python_number_type() == NumberType::Complex)
    return Value::constant(as_complex(x) * as_complex(y));
  return Value::constant(x.as_double() * y.as_double());
}

bool is_one(const Value& v) {
  return (v.is_int() && v.as_int() == 1) ||
         (v.is_constant() && std::holds_alternative<double>(v.constant_value()) && v.as_double() == 1.0);
}

// add and sub: a (+|-) alpha * b
Value add_like(const Args& a, const char* prim) {
  require_operand_tensor(a);
  const Value& x = a.tensor_or_number(0);
  const Value& y = a.tensor_or_number(1);
  const Value& alpha = a[2];
  if (!alpha.is_number() || alpha.is_number_proxy()) a.type_error(2, "a number");
  PromotedTypes t = promote({x, y}, Promotion::Default);
  NumberType at = alpha.python_number_type();
  THUNDER_CHECK(!(at == NumberType::Float || at == NumberType::Complex) || is_inexact(t.result), Runtime,
                "For integral input tensors, argument alpha must not be a floating point number.");
  THUNDER_CHECK(at != NumberType::Bool || t.result == DType::Bool, Runtime,
                "Boolean alpha only supported for Boolean results.");
  Device dev = common_device_with_cpu_scalars(a.symbol().name(), {x, y});
  Shape shape = common_shape({x, y});
  Value x2 = convert(broadcast_to(to_device(x, dev), shape), t.computation);
  Value y2 = convert(broadcast_to(to_device(y, dev), shape), t.computation);
  if (!is_one(alpha)) y2 = y2.is_tensor() ? call("prims.mul", {y2, alpha}) : fold_mul(y2, alpha);
  return convert(call(prim, {x2, y2}), t.result);
}

struct Binary {
  const char* name;
  const char* prim;
  const char* py_operator;
  Promotion promotion;
  std::vector<std::string> torch_names;
  std::vector<std::string> reflected;
};

}  // namespace

// ---- shared helpers of the elementwise files ---------------------------------------------------

void add_elementwise(Registry& r, std::string schema, std::vector<std::string> torch_names, ImplFn impl) {
  std::string name = schema.substr(0, schema.find('('));
  r.add({.schema = std::move(schema),
         .print_name = cat("torch.", name),
         .torch_names = std::move(torch_names),
         .fusion = FusionClass::Elementwise,
         .impl = std::move(impl)});
}

void not_implemented_for(std::string_view op, DType t) {
  throw UserError(ErrorKind::NotImplemented, cat('"', op, "\" not implemented for '", dtype_c10_name(t), "'"));
}

void require_tensor_arg(const Args& a, size_t i) {
  if (a[i].is_tensor()) return;
  throw UserError(ErrorKind::Type, cat(a.symbol().name(), "(): argument '", a.symbol().params().at(i).name,
                                       "' (position ", i + 1, ") must be Tensor, not ", type_name(a[i])));
}

void require_operand_tensor(const Args& a) {
  if (!a[0].is_tensor() && !a[1].is_tensor()) a.type_error(0, "a tensor");
}

bool is_boolean(const Value& v) {
  return v.is_tensor() ? v.dtype() == DType::Bool : v.is_number() && v.python_number_type() == NumberType::Bool;
}

namespace {

// The type name c10's checked_convert prints ("int" for int32, "int64_t", "c10::Half").
const char* convert_type_name(DType t) {
  static const char* kNames[] = {"bool", "uint8_t", "int8_t", "int16_t", "int", "int64_t", "c10::Half",
                                 "c10::BFloat16", "float", "double", "c10::complex<c10::Half>",
                                 "c10::complex<float>", "c10::complex<double>"};
  return kNames[static_cast<int>(t)];
}

// c10::overflows for a real value: integers must lie in range (unsigned types accept negatives
// down to -max, which wrap); floating types accept infinities and NaN.
bool overflows(double v, bool from_integer, DType t) {
  double lo = 0, hi = 0;
  switch (t) {
    case DType::UInt8: lo = from_integer ? -255 : 0, hi = 255; break;
    case DType::Int8: lo = -128, hi = 127; break;
    case DType::Int16: lo = -32768, hi = 32767; break;
    case DType::Int32: lo = -2147483648.0, hi = 2147483647.0; break;
    case DType::Int64: lo = -9223372036854775808.0, hi = 9223372036854775807.0; break;
    case DType::Float16:
    case DType::Complex32: lo = -65504, hi = 65504; break;
    case DType::BFloat16: lo = -3.3895313892515355e38, hi = 3.3895313892515355e38; break;
    case DType::Float32:
    case DType::Complex64: lo = -3.4028234663852886e38, hi = 3.4028234663852886e38; break;
    default: return false;
  }
  if (std::isinf(v)) return !is_inexact(t);
  if (std::isnan(v)) return !is_inexact(t);
  // int64's bounds are not exact doubles: compare integers as integers
  if (t == DType::Int64) return !from_integer && (v < lo || v >= hi);
  return v < lo || v > hi;
}

}  // namespace

Value checked_number(const Value& number, DType dt) {
  if (!number.is_constant()) return number;
  const Constant& c = number.constant_value();
  Complex z;
  bool from_integer = false;
  if (auto* b = std::get_if<bool>(&c)) z = *b, from_integer = true;
  else if (auto* i = std::get_if<int64_t>(&c)) z = static_cast<double>(*i), from_integer = true;
  else if (auto* d = std::get_if<double>(&c)) z = *d;
  else z = std::get<Complex>(c);
  if (dt == DType::Bool) return Value::constant(z != Complex(0, 0));
  bool bad = (!is_complex(dt) && z.imag() != 0) || overflows(z.real(), from_integer, dt) ||
             overflows(z.imag(), from_integer, dt);
  THUNDER_CHECK(!bad, Runtime, "value cannot be converted to type ", convert_type_name(dt), " without overflow");
  if (is_complex(dt)) return Value::constant(z);
  if (is_floating(dt)) return Value::constant(z.real());
  // integers: C++'s cast, which truncates floats and wraps into unsigned types
  int64_t v = std::holds_alternative<int64_t>(c) ? std::get<int64_t>(c) : static_cast<int64_t>(z.real());
  if (dt == DType::UInt8) v = static_cast<uint8_t>(v);
  return Value::constant(v);
}

Value fill_like(const Value& t, const Value& number) {
  THUNDER_ASSERT(t.is_tensor() && !is_complex(t.dtype()), "fill_like: expected a real tensor");
  return call("prims.where", {call("prims.lt", {t, t}), t, checked_number(number, t.dtype())});
}

namespace {

// A number operand that must become a tensor for a prim that rejects numbers first.
Value tensor_operand(const Value& v, const Value& like) { return v.is_tensor() ? v : fill_like(like, v); }

}  // namespace

namespace {

// Rounding divisions compute float16/bfloat16 the way torch's kernels do, since a quotient off by
// one rounding can land on the other side of an integer: in that dtype, step by step, except that
// a divisor of one element (a number, a zero-dim tensor) is read once in float32 and everything
// computes in float32.
PromotedTypes rounding_division_types(const Value& x, const Value& y) {
  PromotedTypes t = promote({x, y}, Promotion::NoOpmath);
  bool scalar_divisor = !y.is_tensor() || numel(y.shape()) == 1;
  if (scalar_divisor) t.computation = opmath_type(t.result);
  return t;
}

}  // namespace

Value divide_trunc(const Value& x, const Value& y, std::string_view op) {
  PromotedTypes t = rounding_division_types(x, y);
  common_device(op, {x, y});
  if (t.result == DType::Bool || is_complex(t.result)) not_implemented_for("div_trunc", t.result);
  Shape shape = common_shape({x, y});
  using namespace pm;
  Value a = convert(broadcast_to(x, shape), t.computation), b = convert(broadcast_to(y, shape), t.computation);
  if (is_inexact(t.result)) return convert(trunc(a / b), t.result);
  // prims.div truncates integers, but must not take an integer number first
  return tensor_operand(a, b) / b;
}

Value divide_floor(const Value& x, const Value& y, std::string_view op) {
  PromotedTypes t = rounding_division_types(x, y);
  common_device(op, {x, y});
  if (t.result == DType::Bool || is_complex(t.result)) not_implemented_for("div_floor", t.result);
  Shape shape = common_shape({x, y});
  using namespace pm;
  Value b = convert(broadcast_to(y, shape), t.computation);
  Value a = convert(broadcast_to(x, shape), t.computation);
  a = tensor_operand(a, b);  // fmod and integer division need a tensor first
  // (a < 0) != (b < 0), with a known sign of a number b folded in
  auto sign_differs = [&](const Value& v) {
    if (b.is_tensor()) return ne(lt(v, num(0)), lt(b, num(0)));
    return b.as_double() < 0 ? call("prims.ge", {v, num(0)}) : lt(v, num(0));
  };
  if (!is_inexact(t.result)) {
    // c10::div_floor_integer: truncate, then step down where the signs differ and a remainder is left
    Value q = a / b;
    if (t.result == DType::UInt8) return q;
    return where(bitwise_and(sign_differs(a), ne(fmod(a, b), num(0))), q - 1, q);
  }
  // c10::div_floor_floating, step by step
  Value mod = fmod(a, b);
  Value div = (a - mod) / b;
  div = where(bitwise_and(ne(mod, num(0)), sign_differs(mod)), div - 1, div);
  Value fl = floor(div);
  fl = where(gt(div - fl, num(0.5)), fl + 1.0, fl);
  Value q = a / b;
  Value zero = copysign(fill_like(q, num(0.0)), q);
  Value out = where(ne(div, num(0)), fl, zero);
  if (b.is_tensor()) out = where(eq(b, num(0)), q, out);
  else if (b.as_double() == 0) out = q;
  return convert(out, t.result);
}

void register_elementwise(Registry& r) {
  register_prims(r);

  r.add({.schema = "neg(input)",
         .print_name = "torch.neg",
         .torch_names = {"torch.neg", "torch.negative", "torch.Tensor.neg", "torch.Tensor.negative", "torch.Tensor.__neg__"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           THUNDER_CHECK(a.tensor(0).dtype() != DType::Bool, Runtime,
                         "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
                         "a mask, use the `~` or `logical_not()` operator instead.");
           return elementwise("prims.neg", {a[0]}, Promotion::Default, "neg");
         }});

  r.add({.schema = "add(input, other, *, alpha=1)",
         .print_name = "torch.add",
         .torch_names = {"torch.add", "torch.Tensor.add", "torch.Tensor.__add__"},
         .reflected_names = {"torch.Tensor.__radd__"},
         .fusion = FusionClass::Elementwise,
         .py_operator = "+",
         .impl = [](const Args& a) { return add_like(a, "prims.add"); }});

  r.add({.schema = "sub(input, other, *, alpha=1)",
         .print_name = "torch.sub",
         .torch_names = {"torch.sub", "torch.subtract", "torch.Tensor.sub", "torch.Tensor.subtract", "torch.Tensor.__sub__"},
         .reflected_names = {"torch.Tensor.__rsub__"},
         .fusion = FusionClass::Elementwise,
         .py_operator = "-",
         .impl = [](const Args& a) {
           require_operand_tensor(a);
           bool x = is_bool_operand(a.tensor_or_number(0)), y = is_bool_operand(a.tensor_or_number(1));
           THUNDER_CHECK(!(x && y), Runtime,
                         "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                         "`logical_xor()` operator instead.");
           THUNDER_CHECK(!(x || y), Runtime,
                         "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                         "invert a mask, use the `~` or `logical_not()` operator instead.");
           return add_like(a, "prims.sub");
         }});

  for (const Binary& b : {
           Binary{"mul", "prims.mul", "*", Promotion::Default,
                  {"torch.mul", "torch.multiply", "torch.Tensor.mul", "torch.Tensor.multiply", "torch.Tensor.__mul__"},
                  {"torch.Tensor.__rmul__"}},
           Binary{"eq", "prims.eq", "==", Promotion::AlwaysBool, {"torch.eq", "torch.Tensor.eq", "torch.Tensor.__eq__"}, {}},
           Binary{"ne", "prims.ne", "!=", Promotion::AlwaysBool,
                  {"torch.ne", "torch.not_equal", "torch.Tensor.ne", "torch.Tensor.__ne__"}, {}},
           Binary{"lt", "prims.lt", "<", Promotion::AlwaysBool,
                  {"torch.lt", "torch.less", "torch.Tensor.lt", "torch.Tensor.__lt__"}, {}},
           Binary{"le", "prims.le", "<=", Promotion::AlwaysBool,
                  {"torch.le", "torch.less_equal", "torch.Tensor.le", "torch.Tensor.__le__"}, {}},
           Binary{"gt", "prims.gt", ">", Promotion::AlwaysBool,
                  {"torch.gt", "torch.greater", "torch.Tensor.gt", "torch.Tensor.__gt__"}, {}},
           Binary{"ge", "prims.ge", ">=", Promotion::AlwaysBool,
                  {"torch.ge", "torch.greater_equal", "torch.Tensor.ge", "torch.Tensor.__ge__"}, {}},
       }) {
    std::string prim = b.prim, name = b.name;
    Promotion kind = b.promotion;
    r.add({.schema = cat(b.name, "(input, other)"),
           .print_name = cat("torch.", b.name),
           .torch_names = b.torch_names,
           .reflected_names = b.reflected,
           .fusion = FusionClass::Elementwise,
           .py_operator = b.py_operator,
           .impl = [prim, name, kind](const Args& a) {
             require_operand_tensor(a);
             return elementwise(prim, {a.tensor_or_number(0), a.tensor_or_number(1)}, kind, name);
           }});
  }

  r.add({.schema = "div(input, other, *, rounding_mode=None)",
         .print_name = "torch.div",
         .torch_names = {"torch.div", "torch.divide", "torch.true_divide", "torch.Tensor.div", "torch.Tensor.divide",
                         "torch.Tensor.true_divide", "torch.Tensor.__truediv__"},
         .reflected_names = {"torch.Tensor.__rtruediv__"},
         .fusion = FusionClass::Elementwise,
         .py_operator = "/",
         .impl = [](const Args& a) {
           require_operand_tensor(a);
           const Value& x = a.tensor_or_number(0);
           const Value& y = a.tensor_or_number(1);
           std::optional<std::string> mode = a.opt_str(2);
           if (!mode) return elementwise("prims.div", {x, y}, Promotion::IntToFloat, "div");
           THUNDER_CHECK(*mode == "trunc" || *mode == "floor", Value,
                         "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", *mode, "'");
           // torch's gradient of a rounding division is zero; differentiating the decomposition
           // would give NaN at infinite or NaN operands, so float operands enter it detached
           auto cut = [](const Value& v) { return v.is_tensor() && is_inexact(v.dtype()) ? call("detach", {v}) : v; };
           return *mode == "trunc" ? divide_trunc(cut(x), cut(y), "div") : divide_floor(cut(x), cut(y), "div");
         }});

  r.add({.schema = "pow(input, exponent)",
         .print_name = "torch.pow",
         .torch_names = {"torch.pow", "torch.Tensor.pow", "torch.Tensor.__pow__"},
         .reflected_names = {"torch.Tensor.__rpow__"},
         .fusion = FusionClass::Elementwise,
         .py_operator = "**",
         .impl = [](const Args& a) {
           require_operand_tensor(a);
           const Value& x = a.tensor_or_number(0);
           const Value& y = a.tensor_or_number(1);
           bool int_base = x.is_tensor() && !is_inexact(x.dtype());
           THUNDER_CHECK(!(int_base && y.is_int() && y.as_int() < 0), Runtime,
                         "Integers to negative integer powers are not allowed.");
           return elementwise("prims.pow", {x, y}, Promotion::Default, "pow");
         }});
}

namespace pm {
Value abs(const Value& a) { return call("prims.abs", {a}); }
Value sqrt(const Value& a) { return call("prims.sqrt", {a}); }
Value log(const Value& a) { return call("prims.log", {a}); }
Value floor(const Value& a) { return call("prims.floor", {a}); }
Value round(const Value& a) { return call("prims.round", {a}); }
Value eq(const Value& a, const Value& b) { return call("prims.eq", {a, b}); }
Value ne(const Value& a, const Value& b) { return call("prims.ne", {a, b}); }
Value lt(const Value& a, const Value& b) { return call("prims.lt", {a, b}); }
Value gt(const Value& a, const Value& b) { return call("prims.gt", {a, b}); }
Value maximum(const Value& a, const Value& b) { return call("prims.maximum", {a, b}); }
Value minimum(const Value& a, const Value& b) { return call("prims.minimum", {a, b}); }
Value fmod(const Value& a, const Value& b) { return call("prims.fmod", {a, b}); }
Value copysign(const Value& a, const Value& b) { return call("prims.copysign", {a, b}); }
Value bitwise_and(const Value& a, const Value& b) { return call("prims.bitwise_and", {a, b}); }
Value bitwise_or(const Value& a, const Value& b) { return call("prims.bitwise_or", {a, b}); }
Value bitwise_xor(const Value& a, const Value& b) { return call("prims.bitwise_xor", {a, b}); }
}  // namespace pm

}  // namespace thunder::ops
