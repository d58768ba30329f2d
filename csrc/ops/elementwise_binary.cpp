// Binary elementwise ops beyond arithmetic: extrema, modular division, bits and logic, and a few
// math functions of two arguments.
#include <cmath>

#include "ops/elementwise.h"

namespace thunder::ops {

namespace {

// Which operands torch's signature lets be Python numbers.
enum class Operands { Tensors, TensorFirst, Either };

void check_operands(const Args& a, Operands o) {
  if (o == Operands::Either) return require_operand_tensor(a);
  require_tensor_arg(a, 0);
  if (o == Operands::Tensors) require_tensor_arg(a, 1);
  else a.tensor_or_number(1);
}

struct BinaryOp {
  const char* name;
  Operands operands;
  std::vector<std::string> torch_names;
  std::vector<std::string> reflected = {};
  const char* py_operator = "";
};

std::vector<std::string> names(const char* op, std::initializer_list<const char*> extra = {}) {
  std::vector<std::string> out = {cat("torch.", op), cat("torch.Tensor.", op)};
  for (const char* e : extra) out.push_back(e);
  return out;
}

// The promoted result dtype of a binary op, with the device check every op makes.
PromotedTypes binary_types(const Value& x, const Value& y, Promotion kind, std::string_view op) {
  common_device(op, {x, y});
  return promote({x, y}, kind);
}

Value to_bool(const Value& v) { return v.dtype() == DType::Bool ? v : pm::ne(v, num(0)); }

// torch's remainder: fmod, then moved into the divisor's sign where it has the other sign. Like the
// rounding divisions it computes in the result dtype (see divide_trunc).
Value remainder(const Value& x, const Value& y) {
  PromotedTypes t = binary_types(x, y, Promotion::NoOpmath, "remainder");
  if (t.result == DType::Bool || is_complex(t.result)) not_implemented_for("remainder", t.result);
  Shape shape = common_shape({x, y});
  using namespace pm;
  Value b = convert(broadcast_to(y, shape), t.computation);
  Value a = convert(broadcast_to(x, shape), t.computation);
  if (!a.is_tensor()) a = fill_like(b, a);
  Value m = fmod(a, b);
  if (t.result == DType::UInt8) return m;
  // where the divisor is negative a positive remainder moves, and the other way round; NaN stays
  Value move = b.is_tensor() ? where(lt(b, num(0)), gt(m, num(0)), lt(m, num(0)))
                             : (b.as_double() < 0 ? gt(m, num(0)) : lt(m, num(0)));
  return convert(where(move, m + b, m), t.result);
}

// torch's xlogy: NaN where y is NaN, else 0 where x is 0, else x * log(y).
Value xlogy(const Value& x, const Value& y) {
  PromotedTypes t = binary_types(x, y, Promotion::IntToFloat, "xlogy");
  if (is_complex(t.result)) not_implemented_for("xlogy", t.result);
  Shape shape = common_shape({x, y});
  using namespace pm;
  Value a = convert(broadcast_to(x, shape), t.computation);
  Value b = convert(broadcast_to(y, shape), t.computation);
  if (!b.is_tensor()) b = fill_like(a, b);
  Value out;
  if (!a.is_tensor()) out = a.as_double() == 0 ? where(ne(b, b), b, num(0.0)) : a * log(b);
  else out = where(ne(b, b), b, where(eq(a, num(0)), num(0.0), a * log(b)));
  return convert(out, t.result);
}

// fmax/fmin: the other operand where one is NaN. Written as one selection so that the gradient
// follows torch's convention: the first operand gets it where it wins, ties, or the second is NaN
// (both NaN included); the second operand everywhere else.
Value fextremum(const Value& x, const Value& y, const char* prim, std::string_view op) {
  PromotedTypes t = binary_types(x, y, Promotion::NoOpmath, op);
  THUNDER_CHECK(!is_complex(t.result), Runtime, op, " not implemented for complex tensors.");
  Shape shape = common_shape({x, y});
  Value a = convert(broadcast_to(x, shape), t.result), b = convert(broadcast_to(y, shape), t.result);
  if (!is_floating(t.result)) return call(prim, {a, b});
  using namespace pm;
  Value wins = std::string_view(prim) == "prims.maximum" ? ge(a, b) : le(a, b);
  return where(bitwise_or(wins, ne(b, b)), a, b);
}

}  // namespace

void register_elementwise_binary(Registry& r) {
  struct Entry {
    BinaryOp op;
    std::function<Value(const Value&, const Value&)> impl;
  };
  auto elementwise_op = [](const char* prim, Promotion kind, const char* op, bool floats_only = false,
                           bool no_complex = true, bool integers_only = false) {
    return [=](const Value& x, const Value& y) {
      PromotedTypes t = binary_types(x, y, kind, op);
      if ((no_complex && is_complex(t.result)) || (floats_only && !is_inexact(t.result)) ||
          (integers_only && is_inexact(t.result)))
        not_implemented_for(op, t.result);
      return elementwise(prim, {x, y}, kind, op);
    };
  };
  auto extremum = [](const char* prim, const char* op) {
    return [=](const Value& x, const Value& y) {
      PromotedTypes t = binary_types(x, y, Promotion::NoOpmath, op);
      THUNDER_CHECK(!is_complex(t.result), Runtime, op, " not implemented for complex tensors.");
      return elementwise(prim, {x, y}, Promotion::NoOpmath, op);
    };
  };
  auto logical = [](const char* prim, const char* op) {
    return [=](const Value& x, const Value& y) {
      common_device(op, {x, y});
      Shape shape = common_shape({x, y});
      return call(prim, {broadcast_to(to_bool(x), shape), broadcast_to(to_bool(y), shape)});
    };
  };

  std::vector<Entry> entries = {
      {{"maximum", Operands::Tensors, names("maximum")}, extremum("prims.maximum", "maximum")},
      {{"minimum", Operands::Tensors, names("minimum")}, extremum("prims.minimum", "minimum")},
      {{"fmax", Operands::Tensors, names("fmax")},
       [](const Value& x, const Value& y) { return fextremum(x, y, "prims.maximum", "fmax"); }},
      {{"fmin", Operands::Tensors, names("fmin")},
       [](const Value& x, const Value& y) { return fextremum(x, y, "prims.minimum", "fmin"); }},
      {{"atan2", Operands::Tensors, names("atan2", {"torch.arctan2", "torch.Tensor.arctan2"})},
       elementwise_op("prims.atan2", Promotion::IntToFloat, "atan2")},
      {{"hypot", Operands::Tensors, names("hypot")},
       elementwise_op("prims.hypot", Promotion::Default, "hypot", /*floats_only=*/true)},
      {{"copysign", Operands::TensorFirst, names("copysign")},
       elementwise_op("prims.copysign", Promotion::IntToFloat, "copysign")},
      {{"xlogy", Operands::Either, names("xlogy", {"torch.special.xlogy"})}, xlogy},
      {{"fmod", Operands::TensorFirst, names("fmod")},
       [](const Value& x, const Value& y) {
         PromotedTypes t = binary_types(x, y, Promotion::NoOpmath, "fmod");
         if (t.result == DType::Bool || is_complex(t.result)) not_implemented_for("fmod", t.result);
         return elementwise("prims.fmod", {x, y}, Promotion::NoOpmath, "fmod");
       }},
      {{"remainder", Operands::Either, names("remainder", {"torch.Tensor.__mod__"}), {"torch.Tensor.__rmod__"}, "%"},
       remainder},
      {{"floor_divide", Operands::Either, names("floor_divide", {"torch.Tensor.__floordiv__"}),
        {"torch.Tensor.__rfloordiv__"}, "//"},
       [](const Value& x, const Value& y) { return divide_floor(x, y, "floor_divide"); }},
      {{"bitwise_and", Operands::Either, names("bitwise_and", {"torch.Tensor.__and__"}), {"torch.Tensor.__rand__"}, "&"},
       elementwise_op("prims.bitwise_and", Promotion::Default, "bitwise_and", false, true, /*integers_only=*/true)},
      {{"bitwise_or", Operands::Either, names("bitwise_or", {"torch.Tensor.__or__"}), {"torch.Tensor.__ror__"}, "|"},
       elementwise_op("prims.bitwise_or", Promotion::Default, "bitwise_or", false, true, /*integers_only=*/true)},
      {{"bitwise_xor", Operands::Either, names("bitwise_xor", {"torch.Tensor.__xor__"}), {"torch.Tensor.__rxor__"}, "^"},
       elementwise_op("prims.bitwise_xor", Promotion::Default, "bitwise_xor", false, true, /*integers_only=*/true)},
      {{"logical_and", Operands::Tensors, names("logical_and")}, logical("prims.bitwise_and", "logical_and")},
      {{"logical_or", Operands::Tensors, names("logical_or")}, logical("prims.bitwise_or", "logical_or")},
      {{"logical_xor", Operands::Tensors, names("logical_xor")}, logical("prims.bitwise_xor", "logical_xor")},
  };
  for (Entry& e : entries) {
    Operands operands = e.op.operands;
    auto impl = std::move(e.impl);
    r.add({.schema = cat(e.op.name, "(input, other)"),
           .print_name = cat("torch.", e.op.name),
           .torch_names = e.op.torch_names,
           .reflected_names = e.op.reflected,
           .fusion = FusionClass::Elementwise,
           .py_operator = e.op.py_operator,
           .impl = [operands, impl](const Args& a) {
             check_operands(a, operands);
             return impl(a[0], a[1]);
           }});
  }
}

}  // namespace thunder::ops
