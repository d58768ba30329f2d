// Tensor.new_zeros, new_ones, new_empty and new_full: factories whose dtype and device default to
// those of the tensor they are called on (the size is given, unlike the *_like factories).
#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

Value filled(const Shape& shape, const Value& fill, DType dtype, const Device& dev) {
  std::vector<Value> dims;
  for (int64_t d : shape) dims.push_back(Value::constant(d));
  return call("prims.full", {Value::sequence(dims, true), fill, Value::constant(dtype), Value::constant(dev)});
}

// A fill of 0 or 1 as a constant of the dtype's Python type.
Value unit(double v, DType dt) {
  if (is_bool(dt)) return Value::constant(v != 0);
  if (is_inexact(dt)) return Value::constant(v);
  return Value::constant(static_cast<int64_t>(v));
}

}  // namespace

void register_factories_new(Registry& r) {
  for (auto [name, value] : {std::pair{"new_zeros", 0.0}, std::pair{"new_ones", 1.0}, std::pair{"new_empty", 0.0}}) {
    double v = value;
    r.add({.schema = cat(name, "(input, *size, dtype=None, layout=None, device=None, pin_memory=False, "
                               "requires_grad=False)"),
           .print_name = cat("torch.Tensor.", name),
           .torch_names = {cat("torch.Tensor.", name)},
           .fusion = FusionClass::Elementwise,
           .impl = [v](const Args& a) {
             const Value& x = a.tensor(0);
             FactoryOptions o = factory_options(a, x.meta().device);
             DType dt = o.dtype.value_or(x.dtype());
             return filled(size_arg(a, 1), unit(v, dt), dt, o.device);
           },
           // the input gives only the defaults of dtype and device: the result never requires grad
           .differentiable = false});
  }
  r.add({.schema = "new_full(input, size, fill_value, *, dtype=None, layout=None, device=None, pin_memory=False, "
                   "requires_grad=False)",
         .print_name = "torch.Tensor.new_full",
         .torch_names = {"torch.Tensor.new_full"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& fill = a[2];
           if (!fill.is_number() || fill.is_number_proxy()) a.type_error(2, "a number");
           FactoryOptions o = factory_options(a, x.meta().device);
           DType dt = o.dtype.value_or(x.dtype());
           // torch casts the fill to the dtype, with c10's overflow check
           return filled(size_arg(a, 1), fill_value(fill, dt), dt, o.device);
         },
         .differentiable = false});
}

}  // namespace thunder::ops
