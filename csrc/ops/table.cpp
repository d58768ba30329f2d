// The op table: registration of every family, and the shared vocabulary of decompositions.
#include <algorithm>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

const Registry& op_table() {
  static const Registry table = [] {
    Registry r;
    r.adopt(alias_symbol());
    register_elementwise(r);
    register_elementwise_unary(r);
    register_elementwise_binary(r);
    register_elementwise_ternary(r);
    register_conversions(r);
    register_reductions(r);
    register_statistics(r);
    register_shape(r);
    register_shape_slicing(r);
    register_indexing(r);
    register_linalg(r);
    register_nn(r);
    register_nn_index(r);
    register_nn_norm(r);
    register_nn_loss(r);
    register_nn_conv(r);
    register_nn_pool(r);
    register_nn_pool_nd(r);
    register_complex(r);
    register_nn_activation(r);
    register_nn_loss_more(r);
    register_factories_new(r);
    register_misc_more(r);
    register_nn_attention(r);
    register_state(r);
    register_numbers(r);
    register_factories(r);
    register_random(r);
    register_random_philox(r);
    return r;
  }();
  return table;
}

Value call(std::string_view op, std::vector<Value> positional, const Kwargs& kwargs) {
  return record(op_table().at(op), std::move(positional), kwargs);
}

Value int_list(const std::vector<int64_t>& v) {
  std::vector<Value> items;
  for (int64_t i : v) items.push_back(Value::constant(i));
  return Value::sequence(std::move(items), /*is_list=*/true);
}

PromotedTypes promote(const std::vector<Value>& operands, Promotion kind) {
  ResultType rt;
  for (const auto& v : operands) {
    if (v.is_tensor()) rt.add_tensor(v.dtype(), v.rank() == 0);
    else if (v.is_number()) rt.add_number(v.python_number_type());
  }
  return apply_promotion(rt.result(), kind);
}

Device common_device(std::string_view op, const std::vector<Value>& operands) {
  std::optional<Device> dev;
  for (const auto& v : operands) {
    if (!v.is_tensor()) continue;
    const Device& d = v.meta().device;
    THUNDER_CHECK(!dev || *dev == d, Runtime, op, ": expected all tensors to be on the same device, got ",
                  dev->str(), " and ", d.str());
    dev = d;
  }
  THUNDER_ASSERT(dev, op, ": no tensor operand");
  return *dev;
}

Device common_device_with_cpu_scalars(std::string_view op, const std::vector<Value>& operands) {
  std::vector<Value> others;
  for (const auto& v : operands)
    if (v.is_tensor() && !(v.rank() == 0 && v.meta().device.type == DeviceType::CPU)) others.push_back(v);
  return common_device(op, others.empty() ? operands : others);
}

Value to_device(const Value& v, const Device& device) {
  if (!v.is_tensor() || v.meta().device == device) return v;
  return call("prims.device_put", {v, Value::constant(device)});
}

Shape common_shape(const std::vector<Value>& operands) {
  Shape s;
  for (const auto& v : operands)
    if (v.is_tensor()) s = broadcast_shapes(s, v.shape());
  return s;
}

Value convert(const Value& v, DType dt) {
  if (!v.is_tensor() || v.dtype() == dt) return v;
  return call("prims.convert_element_type", {v, Value::constant(dt)});
}

Value broadcast_to(const Value& v, const Shape& shape) {
  if (!v.is_tensor() || v.shape() == shape) return v;
  return call("prims.expand", {v, int_list(shape)});
}

std::vector<int64_t> reduction_dims(std::string_view op, const std::optional<std::vector<int64_t>>& dims,
                                    int64_t rank) {
  std::vector<int64_t> out;
  if (!dims || dims->empty()) {
    for (int64_t i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int64_t d : *dims) {
    int64_t w = wrap_dim(d, rank);
    THUNDER_CHECK(std::find(out.begin(), out.end(), w) == out.end(), Runtime, op, ": dim ", w,
                  " appears multiple times in the list of dims");
    out.push_back(w);
  }
  std::sort(out.begin(), out.end());
  // a zero-dim tensor accepts dim 0 / -1 but has nothing to reduce
  if (rank == 0) out.clear();
  return out;
}

Value elementwise(std::string_view prim, const std::vector<Value>& operands, Promotion kind, std::string_view op) {
  PromotedTypes t = promote(operands, kind);
  Device dev = common_device_with_cpu_scalars(op, operands);
  Shape shape = common_shape(operands);
  std::vector<Value> args;
  for (const auto& v : operands) args.push_back(convert(broadcast_to(to_device(v, dev), shape), t.computation));
  return convert(call(prim, std::move(args)), t.result);
}

namespace pm {
Value operator+(const Value& a, const Value& b) { return call("prims.add", {a, b}); }
Value operator-(const Value& a, const Value& b) { return call("prims.sub", {a, b}); }
Value operator*(const Value& a, const Value& b) { return call("prims.mul", {a, b}); }
Value operator/(const Value& a, const Value& b) { return call("prims.div", {a, b}); }
Value operator-(const Value& a) { return call("prims.neg", {a}); }
Value exp(const Value& a) { return call("prims.exp", {a}); }
Value erf(const Value& a) { return call("prims.erf", {a}); }
Value tanh(const Value& a) { return call("prims.tanh", {a}); }
Value trunc(const Value& a) { return call("prims.trunc", {a}); }
Value le(const Value& a, const Value& b) { return call("prims.le", {a, b}); }
Value where(const Value& pred, const Value& a, const Value& b) { return call("prims.where", {pred, a, b}); }
Value ge(const Value& a, const Value& b) { return call("prims.ge", {a, b}); }
Value sin(const Value& a) { return call("prims.sin", {a}); }
Value cos(const Value& a) { return call("prims.cos", {a}); }
Value sinh(const Value& a) { return call("prims.sinh", {a}); }
Value cosh(const Value& a) { return call("prims.cosh", {a}); }
}  // namespace pm

Value zeros_like(const Value& t) {
  return call("prims.full", {int_list(t.shape()), fill_value(num(0), t.dtype()), Value::constant(t.dtype()),
                             Value::constant(t.meta().device)});
}

Value gather_vjp(const Value& a, int64_t dim, const Value& index, const Value& g) {
  Shape one = a.shape();
  if (dim < a.rank()) one[dim] = 1;
  if (dim >= a.rank() || index.shape() != one || a.shape()[dim] == 0)
    return call("prims.scatter_add", {zeros_like(a), num(dim), index, g});
  // one index per row: the cotangent where the row's position equals its index, else zero; an
  // elementwise form (no zero fill, no scatter) that fuses with what consumes it
  Shape column(a.rank(), 1);
  column[dim] = a.shape()[dim];
  Value positions = broadcast_to(reshape_to(iota(a.shape()[dim], 0, 1, DType::Int64, a.meta().device), column), a.shape());
  Value hit = pm::eq(positions, broadcast_to(convert(index, DType::Int64), a.shape()));
  return pm::where(hit, broadcast_to(g, a.shape()), fill_value(num(0), g.dtype()));
}

Value sum_to_shape(const Value& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  int64_t lead = g.rank() - static_cast<int64_t>(shape.size());
  THUNDER_ASSERT(lead >= 0, "sum_to_shape: ", shape_str(g.shape()), " cannot sum to ", shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < g.rank(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1)) dims.push_back(d);
  return reshape_to(reduce("prims.sum", g, dims, false), shape);
}

Value unreduce(const Value& g, const std::vector<int64_t>& dims, const Shape& shape) {
  return broadcast_to(reshape_to(g, reduced_shape(shape, dims, true)), shape);
}

Value transpose_last(const Value& x) {
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < x.rank(); ++d) perm.push_back(d);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return permute(x, perm);
}

Value cotangent_at(const Value& g, size_t i) {
  if (!g || !g.is_sequence() || i >= g.items().size()) return Value();
  return g.items()[i];
}

}  // namespace thunder::ops
