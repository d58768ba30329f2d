// Type conversions as ops: Tensor.to, type_as, and the dtype methods (float(), long(), ...). Each
// is prims.convert_element_type, or the input itself under a new name when the dtype is already
// the requested one. Moving a tensor to another device is not supported yet.
#include "ops/elementwise.h"

namespace thunder::ops {

namespace {

bool is_dtype(const Value& v) { return v.is_constant() && std::holds_alternative<DType>(v.constant_value()); }

// A device argument: a torch.device, a string, or an index (an accelerator ordinal); nullopt for None.
std::optional<Device> device_arg(const Value& v, bool& ok) {
  ok = true;
  if (v.is_none()) return std::nullopt;
  if (v.is_constant()) {
    const Constant& c = v.constant_value();
    if (auto* d = std::get_if<Device>(&c)) return *d;
    if (auto* s = std::get_if<std::string>(&c)) return Device::parse(*s);
    if (auto* i = std::get_if<int64_t>(&c)) return Device{DeviceType::CUDA, static_cast<int>(*i)};
  }
  ok = false;
  return std::nullopt;
}

// "cuda" without an ordinal stands for the current device, which tracing takes to be the tensor's.
bool same_device(const Device& want, const Device& have) {
  return want.type == have.type && (want.index < 0 || want.index == have.index);
}

[[noreturn]] void bad_to_arguments(const Args& a) {
  std::string got;
  for (const auto& v : a[1].items()) got += (got.empty() ? "" : ", ") + type_name(v);
  const char* kw[] = {"device", "dtype", "non_blocking", "copy"};
  for (size_t i = 2; i < 6; ++i)
    if (!a[i].is_none() && !(a[i].is_constant() && std::holds_alternative<bool>(a[i].constant_value()) && !a[i].as_bool()))
      got += (got.empty() ? "" : ", ") + std::string(kw[i - 2]) + "=" + type_name(a[i]);
  throw UserError(ErrorKind::Type,
                  cat("to() received an invalid combination of arguments - got (", got,
                      "), but expected one of: (device=None, dtype=None, non_blocking=False, copy=False), "
                      "(dtype, non_blocking=False, copy=False), (tensor, non_blocking=False, copy=False)"));
}

// Resolves torch.Tensor.to's three overloads: (device, dtype, non_blocking, copy), (dtype,
// non_blocking, copy) and (tensor, non_blocking, copy).
Value to_impl(const Args& a) {
  const Value& x = a.tensor(0);
  std::vector<Value> items = a[1].items();
  std::optional<DType> dtype = a.opt_dtype(3);
  bool ok = true;
  std::optional<Device> device = device_arg(a[2], ok);
  if (!ok) bad_to_arguments(a);
  size_t flags = 0;  // index of the first of (non_blocking, copy) among the positionals
  if (!items.empty()) {
    const Value& first = items[0];
    if (is_dtype(first) || first.is_tensor()) {
      if (dtype || device) bad_to_arguments(a);
      if (first.is_tensor()) dtype = first.dtype(), device = first.meta().device;
      else dtype = std::get<DType>(first.constant_value());
      flags = 1;
    } else {
      if (device) bad_to_arguments(a);
      device = device_arg(first, ok);
      if (!ok) bad_to_arguments(a);
      flags = 1;
      if (items.size() > 1 && (is_dtype(items[1]) || items[1].is_none())) {
        if (dtype) bad_to_arguments(a);
        if (!items[1].is_none()) dtype = std::get<DType>(items[1].constant_value());
        flags = 2;
      }
    }
  }
  if (items.size() > flags + 2) bad_to_arguments(a);
  for (size_t i = flags; i < items.size(); ++i)
    if (!items[i].is_constant() || !std::holds_alternative<bool>(items[i].constant_value())) bad_to_arguments(a);
  for (size_t i = 4; i < 6; ++i)
    if (!a[i].is_constant() || !std::holds_alternative<bool>(a[i].constant_value())) bad_to_arguments(a);
  THUNDER_CHECK(!device || same_device(*device, x.meta().device), NotImplemented,
                "to: moving a tensor to another device (", x.meta().device.str(), " -> ", device->str(),
                ") is not supported yet");
  return dtype ? convert(x, *dtype) : x;
}

// Prints the call as the user made it, with the positional arguments spread out.
std::string print_to(const std::vector<Value>& args) {
  std::string s = "torch.Tensor.to(" + python_repr(args[0]);
  for (const auto& v : args[1].items()) s += ", " + python_repr(v);
  const char* kw[] = {"device", "dtype", "non_blocking", "copy"};
  for (size_t i = 2; i < 6; ++i) {
    const Value& v = args[i];
    bool at_default = v.is_none() || (v.is_constant() && std::holds_alternative<bool>(v.constant_value()) && !v.as_bool());
    if (!at_default) s += cat(", ", kw[i - 2], "=", python_repr(v));
  }
  return s + ")";
}

}  // namespace

void register_conversions(Registry& r) {
  r.add({.schema = "to(input, *args, device=None, dtype=None, non_blocking=False, copy=False)",
         .print_name = "torch.Tensor.to",
         .torch_names = {"torch.Tensor.to"},
         .fusion = FusionClass::Elementwise,
         .print = print_to,
         .impl = to_impl});

  r.add({.schema = "type_as(input, other)",
         .print_name = "torch.Tensor.type_as",
         .torch_names = {"torch.Tensor.type_as"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) { return convert(a.tensor(0), a.tensor(1).dtype()); }});

  struct Method {
    const char* name;
    DType dtype;
  };
  for (Method m : {Method{"float", DType::Float32}, {"double", DType::Float64}, {"half", DType::Float16},
                   {"bfloat16", DType::BFloat16}, {"int", DType::Int32}, {"long", DType::Int64},
                   {"short", DType::Int16}, {"char", DType::Int8}, {"byte", DType::UInt8}, {"bool", DType::Bool},
                   {"cfloat", DType::Complex64}, {"cdouble", DType::Complex128}}) {
    DType dt = m.dtype;
    r.add({.schema = cat(m.name, "(input)"),
           .print_name = cat("torch.Tensor.", m.name),
           .torch_names = {cat("torch.Tensor.", m.name)},
           .fusion = FusionClass::Elementwise,
           .impl = [dt](const Args& a) { return convert(a.tensor(0), dt); }});
  }
}

}  // namespace thunder::ops
