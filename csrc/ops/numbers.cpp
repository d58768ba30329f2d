// Arithmetic on symbolic Python numbers (cache="symbolic values"): `n + 1` on a number input stays
// a number proxy of the trace, so it can still be an operand of later ops without fixing n.
#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

// Python's result type of int/float arithmetic: float if either is (or for true division), else int.
NumberType arithmetic_type(const Args& a, bool true_division) {
  for (size_t i = 0; i < a.size(); ++i)
    THUNDER_ASSERT(a[i].is_number() && a[i].python_number_type() != NumberType::Complex, a.symbol().name(),
                   ": expected int or float operands");
  if (true_division) return NumberType::Float;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].python_number_type() == NumberType::Float) return NumberType::Float;
  return NumberType::Int;
}

}  // namespace

void register_numbers(Registry& r) {
  struct Binary {
    const char* name;
    const char* expr;
  };
  for (Binary b : {Binary{"add", "a + b"}, {"sub", "a - b"}, {"mul", "a * b"}, {"truediv", "a / b"},
                   {"floordiv", "a // b"}, {"mod", "a % b"}}) {
    bool true_division = std::string_view(b.name) == "truediv";
    r.add({.schema = cat("prims.number_", b.name, "(a, b)"),
           .aten = cat("lambda a, b: ", b.expr),
           .impl = [true_division](const Args& a) {
             return Value::number(TraceBuilder::current().fresh_name("n"), arithmetic_type(a, true_division));
           }});
  }
  r.add({.schema = "prims.number_neg(a)",
         .aten = "lambda a: -a",
         .impl = [](const Args& a) {
           return Value::number(TraceBuilder::current().fresh_name("n"), arithmetic_type(a, false));
         }});
}

}  // namespace thunder::ops
