// Elementwise ops: the prims (same-shape, same-dtype operands; numbers allowed) and the torch-level
// ops that promote, broadcast and cast around them.
#include <cmath>

#include "ir/error.h"
#include "ops/ops.h"

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

void prim(Registry& r, std::string schema, std::string aten, std::string py_operator = "", bool bool_result = false) {
  r.add({.schema = std::move(schema),
         .fusion = FusionClass::Elementwise,
         .py_operator = std::move(py_operator),
         .aten = std::move(aten),
         .impl = [bool_result](const Args& a) { return elementwise_meta(a, bool_result); }});
}

void register_prims(Registry& r) {
  for (const char* name : {"neg", "exp", "log", "tanh", "sin", "cos", "erf", "trunc"})
    prim(r, cat("prims.", name, "(a)"), cat("torch.", name));
  prim(r, "prims.add(a, b)", "torch.add", "+");
  prim(r, "prims.sub(a, b)", "torch.sub", "-");
  prim(r, "prims.mul(a, b)", "torch.mul", "*");
  prim(r, "prims.div(a, b)", "torch.true_divide", "/");
  prim(r, "prims.pow(a, b)", "torch.pow", "**");
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
           THUNDER_ASSERT(t, "prims.where: expected a tensor among the values");
           for (const auto& v : ops) {
             if (v.is_tensor())
               THUNDER_ASSERT(v.shape() == pred.shape() && v.dtype() == t->dtype(), "prims.where: operands disagree");
             else
               THUNDER_ASSERT(number_fits(v.python_number_type(), t->dtype()), "prims.where: number does not fit");
           }
           return new_tensor(pred.shape(), t->dtype(), pred.meta().device);
         }});
  r.add({.schema = "prims.convert_element_type(a, dtype)",
         .fusion = FusionClass::Elementwise,
         .aten = "torch.Tensor.to",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           return new_tensor(t.shape(), *a.opt_dtype(1), t.meta().device);
         }});
}

// ---- torch-level ops ---------------------------------------------------------------------------

void require_operand_tensor(const Args& a) {
  if (!a[0].is_tensor() && !a[1].is_tensor()) a.type_error(0, "a tensor");
}

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
  common_device(a.symbol().name(), {x, y});
  Shape shape = common_shape({x, y});
  Value x2 = convert(broadcast_to(x, shape), t.computation);
  Value y2 = convert(broadcast_to(y, shape), t.computation);
  if (!is_one(alpha)) y2 = y2.is_tensor() ? call("prims.mul", {y2, alpha}) : fold_mul(y2, alpha);
  return convert(call(prim, {x2, y2}), t.result);
}

struct Unary {
  const char* name;
  Promotion promotion;
  std::vector<std::string> torch_names;
};

struct Binary {
  const char* name;
  const char* prim;
  const char* py_operator;
  Promotion promotion;
  std::vector<std::string> torch_names;
  std::vector<std::string> reflected;
};

}  // namespace

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

  for (const Unary& u : {
           Unary{"exp", Promotion::IntToFloat, {"torch.exp", "torch.Tensor.exp"}},
           Unary{"log", Promotion::IntToFloat, {"torch.log", "torch.Tensor.log"}},
           Unary{"tanh", Promotion::IntToFloat, {"torch.tanh", "torch.Tensor.tanh", "torch.nn.functional.tanh"}},
           Unary{"sin", Promotion::IntToFloat, {"torch.sin", "torch.Tensor.sin"}},
           Unary{"cos", Promotion::IntToFloat, {"torch.cos", "torch.Tensor.cos"}},
       }) {
    std::string prim = cat("prims.", u.name), name = u.name;
    Promotion kind = u.promotion;
    r.add({.schema = cat(u.name, "(input)"),
           .print_name = cat("torch.", u.name),
           .torch_names = u.torch_names,
           .fusion = FusionClass::Elementwise,
           .impl = [prim, name, kind](const Args& a) { return elementwise(prim, {a.tensor(0)}, kind, name); }});
  }

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
           PromotedTypes t = promote({x, y}, Promotion::Default);
           Device dev = common_device("div", {x, y});
           Shape shape = common_shape({x, y});
           if (*mode == "trunc" && is_inexact(t.result)) {
             using namespace pm;
             Value q = convert(broadcast_to(x, shape), t.computation) / convert(broadcast_to(y, shape), t.computation);
             // torch rounds the quotient to the result dtype before truncating it
             return trunc(convert(q, t.result));
           }
           // integer division and floor rounding run as one opaque call, exactly as torch does them
           return new_tensor(shape, t.result, dev);
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

}  // namespace thunder::ops
