// Complex numbers: the prims real, imag and complex (a complex tensor is its two real parts), and
// the torch-level ops built on them: real/imag, view_as_real, view_as_complex, complex, polar,
// conj and angle. Elementwise math on complex tensors uses the elementwise prims directly.
#include <limits>
#include <numbers>

#include "ir/error.h"
#include "ops/elementwise.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;

Value part(const char* prim, const Value& x) { return call(prim, {x}); }

Value unsqueeze_last(const Value& x) {
  Shape s = x.shape();
  s.push_back(1);
  return nn::reshape(x, s);
}

Value real_op(const Args& a) {
  const Value& x = a.tensor(0);
  return is_complex(x.dtype()) ? part("prims.real", x) : x;
}

Value imag_op(const Args& a) {
  const Value& x = a.tensor(0);
  THUNDER_CHECK(is_complex(x.dtype()), Runtime, "imag is not implemented for tensors with non-complex dtypes.");
  return part("prims.imag", x);
}

Value view_as_real(const Args& a) {
  const Value& x = a.tensor(0);
  THUNDER_CHECK(is_complex(x.dtype()), Runtime, "view_as_real is only supported for complex tensors");
  return call("prims.cat", {Value::sequence({unsqueeze_last(part("prims.real", x)), unsqueeze_last(part("prims.imag", x))}),
                            num(x.rank())});
}

// torch also requires the last dim to have stride 1 and the others even strides; values in a
// trace have no layout, so a non-contiguous input is accepted here
Value view_as_complex(const Args& a) {
  const Value& x = a.tensor(0);
  DType t = x.dtype();
  THUNDER_CHECK(t == DType::Float64 || t == DType::Float32 || t == DType::Float16, Runtime,
                "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar type: ",
                dtype_c10_name(t));
  THUNDER_CHECK(x.rank() > 0, Runtime, "Input tensor must have one or more dimensions");
  THUNDER_CHECK(x.shape().back() == 2, Runtime, "Tensor must have a last dimension of size 2");
  int64_t last = x.rank() - 1;
  Shape s(x.shape().begin(), x.shape().end() - 1);
  Value re = nn::reshape(slice_dim(x, last, 0, 1), s), im = nn::reshape(slice_dim(x, last, 1, 2), s);
  return call("prims.complex", {re, im});
}

// torch.complex and torch.polar take two real tensors of one floating dtype, broadcast together.
std::pair<Value, Value> real_pair(const Args& a, const std::string& op) {
  const Value& x = a.tensor(0);
  const Value& y = a.tensor(1);
  THUNDER_CHECK(a[2].is_none(), NotImplemented, op, ": out= is not supported");
  DType t = x.dtype();
  THUNDER_CHECK(t == DType::Float64 || t == DType::Float32 || t == DType::Float16, Runtime, "Expected both inputs to be ",
                "Half, Float or Double tensors but got ", dtype_c10_name(t), " and ", dtype_c10_name(y.dtype()));
  THUNDER_CHECK(y.dtype() == t, Runtime, "Expected object of scalar type ", dtype_c10_name(t),
                " but got scalar type ", dtype_c10_name(y.dtype()), " for second argument");
  common_device(op, {x, y});
  Shape s = common_shape({x, y});
  return {broadcast_to(x, s), broadcast_to(y, s)};
}

Value complex_op(const Args& a) {
  auto [re, im] = real_pair(a, "complex");
  return call("prims.complex", {re, im});
}

// abs * (cos(angle) + i sin(angle)), computed in the input's dtype as torch's kernel does
Value polar(const Args& a) {
  auto [r, theta] = real_pair(a, "polar");
  return call("prims.complex", {r * call("prims.cos", {theta}), r * call("prims.sin", {theta})});
}

Value conj(const Args& a) {
  const Value& x = a.tensor(0);
  if (!is_complex(x.dtype())) return x;
  return call("prims.complex", {part("prims.real", x), -part("prims.imag", x)});
}

// atan2(imag, real) for complex; for real numbers pi below zero, 0 otherwise, NaN kept (integers
// give float32, as torch's int-to-float promotion)
Value angle(const Args& a) {
  const Value& in = a.tensor(0);
  THUNDER_CHECK(a[1].is_none(), NotImplemented, "angle: out= is not supported");
  if (is_complex(in.dtype())) {
    DType t = opmath_type(in.dtype());
    Value x = convert(in, t);
    Value y = call("prims.atan2", {part("prims.imag", x), part("prims.real", x)});
    return convert(y, to_real(in.dtype()));
  }
  PromotedTypes pt = promote({in}, Promotion::IntToFloat);
  Value x = convert(in, pt.computation);
  // a fill, not x itself: torch's derivative of a real angle is zero, NaN inputs included
  Value zero_or_nan = where(ne(x, x), fill_like(x, num(std::numeric_limits<double>::quiet_NaN())), num(0.0));
  return convert(where(lt(x, num(0)), num(std::numbers::pi), zero_or_nan), pt.result);
}

Value part_meta(const Args& a) {
  const Value& x = a.tensor(0);
  THUNDER_ASSERT(is_complex(x.dtype()), a.symbol().name(), ": expected a complex tensor");
  return new_tensor(x.shape(), to_real(x.dtype()), x.meta().device);
}

}  // namespace

void register_complex(Registry& r) {
  r.add({.schema = "prims.real(a)", .fusion = FusionClass::Elementwise, .aten = "torch.real", .impl = part_meta});
  r.add({.schema = "prims.imag(a)", .fusion = FusionClass::Elementwise, .aten = "torch.imag", .impl = part_meta});
  r.add({.schema = "prims.complex(real, imag)",
         .fusion = FusionClass::Elementwise,
         .aten = "torch.complex",
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& y = a.tensor(1);
           THUNDER_ASSERT(x.shape() == y.shape() && x.dtype() == y.dtype() && is_floating(x.dtype()),
                          "prims.complex: expected real parts of one shape and dtype");
           return new_tensor(x.shape(), to_complex(x.dtype()), x.meta().device);
         }});

  r.add({.schema = "real(input)",
         .print_name = "torch.real",
         .torch_names = {"torch.real", "torch.Tensor.real.__get__"},
         .fusion = FusionClass::Elementwise,
         .view = true,
         .impl = real_op});
  r.add({.schema = "imag(input)",
         .print_name = "torch.imag",
         .torch_names = {"torch.imag", "torch.Tensor.imag.__get__"},
         .fusion = FusionClass::Elementwise,
         .view = true,
         .impl = imag_op});
  r.add({.schema = "view_as_real(input)",
         .print_name = "torch.view_as_real",
         .torch_names = {"torch.view_as_real"},
         .fusion = FusionClass::Elementwise,
         .view = true,
         .impl = view_as_real});
  r.add({.schema = "view_as_complex(input)",
         .print_name = "torch.view_as_complex",
         .torch_names = {"torch.view_as_complex"},
         .fusion = FusionClass::Elementwise,
         .view = true,
         .impl = view_as_complex});
  r.add({.schema = "complex(real, imag, *, out=None)",
         .print_name = "torch.complex",
         .torch_names = {"torch.complex"},
         .fusion = FusionClass::Elementwise,
         .impl = complex_op});
  r.add({.schema = "polar(abs, angle, *, out=None)",
         .print_name = "torch.polar",
         .torch_names = {"torch.polar"},
         .fusion = FusionClass::Elementwise,
         .impl = polar});
  // conj_physical materializes what conj marks lazily; as values they are the same
  r.add({.schema = "conj(input)",
         .print_name = "torch.conj",
         .torch_names = {"torch.conj", "torch.Tensor.conj", "torch.conj_physical", "torch.Tensor.conj_physical"},
         .fusion = FusionClass::Elementwise,
         .impl = conj});
  r.add({.schema = "angle(input, *, out=None)",
         .print_name = "torch.angle",
         .torch_names = {"torch.angle", "torch.Tensor.angle"},
         .fusion = FusionClass::Elementwise,
         .impl = angle});
}

}  // namespace thunder::ops
