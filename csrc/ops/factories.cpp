// Factories: tensors made from Python values (torch.arange, torch.full, torch.zeros, torch.tensor,
// the *_like forms). Their prims carry the dtype and device explicitly (prims.tensor, shared with
// indexing, lives in indexing.cpp).
#include <cmath>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

}  // namespace

size_t param_index(const Args& a, std::string_view name) {
  const auto& ps = a.symbol().params();
  for (size_t i = 0; i < ps.size(); ++i)
    if (ps[i].name == name) return i;
  throw InternalError(cat(a.symbol().name(), " has no parameter ", name));
}

FactoryOptions factory_options(const Args& a, std::optional<Device> default_device) {
  FactoryOptions o{a.opt_dtype(param_index(a, "dtype")), default_device.value_or(Device{})};
  size_t device_i = param_index(a, "device");
  const Value& dev = a[device_i];
  if (!dev.is_none()) {
    if (dev.is_constant() && std::holds_alternative<Device>(dev.constant_value()))
      o.device = std::get<Device>(dev.constant_value());
    else if (dev.is_constant() && std::holds_alternative<std::string>(dev.constant_value()))
      o.device = Device::parse(std::get<std::string>(dev.constant_value()));
    else if (dev.is_int())
      o.device = Device{DeviceType::CUDA, static_cast<int>(dev.as_int())};
    else
      a.type_error(device_i, "a torch.device, a string or an int");
  }
  if (o.device.type == DeviceType::CUDA && o.device.index < 0) o.device.index = 0;
  THUNDER_CHECK(!a.bool_(param_index(a, "requires_grad")), NotImplemented, a.symbol().name(),
                ": requires_grad=True is not supported inside compiled code yet");
  for (const auto& p : a.symbol().params())
    if (p.name == "memory_format")
      THUNDER_CHECK(a[param_index(a, "memory_format")].is_none(), NotImplemented, a.symbol().name(),
                    ": memory_format= is not supported yet");
  return o;
}

Shape size_arg(const Args& a, size_t i) {
  Shape s = a.int_list(i);
  for (int64_t d : s)
    THUNDER_CHECK(d >= 0, Runtime, "Trying to create tensor with negative dimension ", d, ": ", shape_str(s));
  return s;
}

namespace {

// The dtype torch gives a Python number when no dtype is named.
DType dtype_of_number(const Value& v) { return number_dtype(v.python_number_type()); }

Value full(const Shape& shape, const Value& fill, DType dtype, const Device& dev) {
  std::vector<Value> dims;
  for (int64_t d : shape) dims.push_back(Value::constant(d));
  return call("prims.full", {Value::sequence(dims, true), fill, Value::constant(dtype), Value::constant(dev)});
}

// Infers torch.tensor's dtype and shape from nested sequences of numbers.
void scan_data(const Value& v, size_t depth, Shape& shape, ResultType& rt, bool& any_number) {
  if (v.is_number()) {
    THUNDER_CHECK(depth == shape.size() || !any_number, Value, "torch.tensor: expected sequences of equal depth");
    if (!any_number) shape.resize(depth);
    any_number = true;
    rt.add_number(v.python_number_type());
    return;
  }
  THUNDER_CHECK(v.is_sequence(), Type, "torch.tensor: expected a number or a (nested) sequence of numbers, got ",
                type_name(v));
  int64_t n = static_cast<int64_t>(v.items().size());
  if (shape.size() <= depth) shape.push_back(n);
  else THUNDER_CHECK(shape[depth] == n, Value, "expected sequence of length ", shape[depth], " at dim ", depth,
                     " (got ", n, ")");
  for (const auto& item : v.items()) scan_data(item, depth + 1, shape, rt, any_number);
}

}  // namespace

void register_factories(Registry& r) {
  r.add({.schema = "prims.full(shape, fill_value, dtype, device)",
         .fusion = FusionClass::Elementwise,
         .aten = "lambda shape, fill_value, dtype, device: torch.full(shape, fill_value, dtype=dtype, device=device)",
         .impl = [](const Args& a) {
           const Value& d = a[3];
           return new_tensor(a.int_list(0), *a.opt_dtype(2), std::get<Device>(d.constant_value()));
         }});
  r.add({.schema = "prims.arange(start, end, step, dtype, device)",
         .fusion = FusionClass::Elementwise,
         .aten = "lambda start, end, step, dtype, device: torch.arange(start, end, step, dtype=dtype, device=device)",
         .impl = [](const Args& a) {
           double start = a[0].as_double(), end = a[1].as_double(), step = a[2].as_double();
           int64_t n = static_cast<int64_t>(std::ceil((end - start) / step));
           return new_tensor({std::max<int64_t>(n, 0)}, *a.opt_dtype(3), std::get<Device>(a[4].constant_value()));
         }});

  r.add({.schema = "arange(start, end=None, step=1, *, dtype=None, layout=None, device=None, pin_memory=False, "
                   "requires_grad=False)",
         .print_name = "torch.arange",
         .torch_names = {"torch.arange"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           Value start = a[0], end = a[1], step = a[2];
           if (end.is_none()) {
             end = start;
             start = Value::constant(int64_t{0});
           }
           for (size_t i : {size_t{0}, size_t{2}})
             if (!a[i].is_none() && (!a[i].is_number() || a[i].is_number_proxy() ||
                                     a[i].python_number_type() == NumberType::Complex))
               a.type_error(i, "a real number");
           if (!end.is_number() || end.is_number_proxy()) a.type_error(1, "a real number");
           FactoryOptions o = factory_options(a);
           bool all_int = true;
           for (const Value* v : {&start, &end, &step}) all_int = all_int && v->python_number_type() != NumberType::Float;
           DType dt = o.dtype.value_or(all_int ? DType::Int64 : DType::Float32);
           double s = start.as_double(), e = end.as_double(), st = step.as_double();
           THUNDER_CHECK(st != 0, Runtime, "step must be nonzero");
           THUNDER_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), Runtime,
                         "upper bound and larger bound inconsistent with step sign");
           return call("prims.arange", {start, end, step, Value::constant(dt), Value::constant(o.device)});
         }});

  // zeros / ones / empty take a size as varargs or one sequence
  struct Filled {
    const char* name;
    double value;
  };
  for (Filled f : {Filled{"zeros", 0.0}, Filled{"ones", 1.0}, Filled{"empty", 0.0}}) {
    std::string name = f.name;
    double value = f.value;
    r.add({.schema = cat(f.name, "(*size, dtype=None, layout=None, device=None, pin_memory=False, "
                                 "requires_grad=False, memory_format=None)"),
           .print_name = cat("torch.", f.name),
           .torch_names = {cat("torch.", f.name)},
           .fusion = FusionClass::Elementwise,
           .impl = [name, value](const Args& a) {
             FactoryOptions o = factory_options(a);
             DType dt = o.dtype.value_or(DType::Float32);
             Value fill = is_bool(dt) ? Value::constant(value != 0)
                          : is_inexact(dt) ? Value::constant(value)
                                           : Value::constant(static_cast<int64_t>(value));
             return full(size_arg(a, 0), fill, dt, o.device);
           }});
    r.add({.schema = cat(f.name, "_like(input, *, dtype=None, layout=None, device=None, pin_memory=False, "
                                 "requires_grad=False, memory_format=None)"),
           .print_name = cat("torch.", f.name, "_like"),
           .torch_names = {cat("torch.", f.name, "_like")},
           .fusion = FusionClass::Elementwise,
           .impl = [value](const Args& a) {
             const Value& x = a.tensor(0);
             FactoryOptions o = factory_options(a, x.meta().device);
             DType dt = o.dtype.value_or(x.dtype());
             Value fill = is_bool(dt) ? Value::constant(value != 0)
                          : is_inexact(dt) ? Value::constant(value)
                                           : Value::constant(static_cast<int64_t>(value));
             return full(x.shape(), fill, dt, o.device);
           },
           .differentiable = false});
  }

  r.add({.schema = "full(size, fill_value, *, dtype=None, layout=None, device=None, pin_memory=False, "
                   "requires_grad=False)",
         .print_name = "torch.full",
         .torch_names = {"torch.full"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& fill = a[1];
           if (!fill.is_number()) a.type_error(1, "a number");
           FactoryOptions o = factory_options(a);
           return full(size_arg(a, 0), fill, o.dtype.value_or(dtype_of_number(fill)), o.device);
         }});
  r.add({.schema = "full_like(input, fill_value, *, dtype=None, layout=None, device=None, pin_memory=False, "
                   "requires_grad=False, memory_format=None)",
         .print_name = "torch.full_like",
         .torch_names = {"torch.full_like"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& fill = a[1];
           if (!fill.is_number()) a.type_error(1, "a number");
           FactoryOptions o = factory_options(a, x.meta().device);
           return full(x.shape(), fill, o.dtype.value_or(x.dtype()), o.device);
         },
         .differentiable = false});

  r.add({.schema = "tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False)",
         .print_name = "torch.tensor",
         .torch_names = {"torch.tensor"},
         .impl = [](const Args& a) {
           FactoryOptions o = factory_options(a);
           Shape shape;
           ResultType rt;
           bool any = false;
           scan_data(a[0], 0, shape, rt, any);
           DType dt = o.dtype.value_or(any ? rt.result() : DType::Float32);
           if (shape.empty() && a[0].is_number()) return full({}, a[0], dt, o.device);
           return call("prims.tensor", {a[0], Value::constant(dt), Value::constant(o.device)});
         }});
}

}  // namespace thunder::ops
