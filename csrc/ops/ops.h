// The op table and the vocabulary op implementations are written in.
#pragma once

#include <concepts>
#include <initializer_list>
#include <string_view>

#include "ir/trace.h"

namespace thunder::ops {

/// Every op, registered once on first use.
const Registry& op_table();

/// Records a call of the named op into the current trace.
Value call(std::string_view op, std::vector<Value> positional, const Kwargs& kwargs = {});

/// A number constant: integers become Python ints, floating values Python floats.
template <typename T>
  requires std::is_arithmetic_v<T>
Value num(T v) {
  if constexpr (std::is_same_v<T, bool>) return Value::constant(v);
  else if constexpr (std::is_integral_v<T>) return Value::constant(static_cast<int64_t>(v));
  else return Value::constant(static_cast<double>(v));
}
Value int_list(const std::vector<int64_t>& v);

// ---- type promotion, broadcasting, devices ------------------------------------------------

/// torch's result type over tensors and Python numbers, mapped through `kind`.
PromotedTypes promote(const std::vector<Value>& operands, Promotion kind);
/// The device all tensor operands share; raises a user error naming `op` when they differ.
Device common_device(std::string_view op, const std::vector<Value>& operands);
/// Like common_device, but a zero-dim CPU tensor may join tensors of another device, as torch
/// allows for elementwise ops (it acts as a scalar); the result is the other device. Callers move
/// such operands with to_device.
Device common_device_with_cpu_scalars(std::string_view op, const std::vector<Value>& operands);
/// Moves a tensor to `device` (prims.device_put, skipped when already there); numbers pass through.
Value to_device(const Value& v, const Device& device);
/// The broadcast shape of the tensor operands.
Shape common_shape(const std::vector<Value>& operands);
/// Casts a tensor (prims.convert_element_type, skipped when already `dt`); numbers pass through.
Value convert(const Value& v, DType dt);
/// Expands a tensor to `shape` (prims.expand, skipped when already that shape).
Value broadcast_to(const Value& v, const Shape& shape);
/// Canonical reduction dims: wrapped, sorted, unique; None or an empty list mean every dim.
std::vector<int64_t> reduction_dims(std::string_view op, const std::optional<std::vector<int64_t>>& dims,
                                    int64_t rank);

/// The usual decomposition of an elementwise op: promote, broadcast, compute with `prim` in the
/// computation dtype, cast to the result dtype.
Value elementwise(std::string_view prim, const std::vector<Value>& operands, Promotion kind,
                  std::string_view op);

// ---- reductions, shapes and indexing: helpers shared by those families -----------------------

/// The shape left after reducing `dims` (sorted, unique); reduced dims stay as 1s when `keepdim`.
Shape reduced_shape(const Shape& s, const std::vector<int64_t>& dims, bool keepdim);
/// Reduces `x` over `dims` (sorted, unique) with a reduction prim; nothing is recorded when `dims`
/// is empty.
Value reduce(std::string_view prim, const Value& x, const std::vector<int64_t>& dims, bool keepdim);
/// prims.reshape, skipped when the shape does not change.
Value reshape_to(const Value& x, const Shape& shape);
/// prims.permute, skipped for the identity.
Value permute(const Value& x, const std::vector<int64_t>& perm);
/// prims.slice of dim `dim` over [start, end) by `step` (in range, step > 0), other dims whole;
/// skipped when it keeps everything.
Value slice_dim(const Value& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
/// A number as a constant of a tensor's Python type, as torch casts fill values to the tensor's
/// dtype (1.5 fills an int tensor with 1, 2 fills a bool tensor with True).
Value fill_value(const Value& v, DType dt);
/// A tensor [start, start + step, ...) of `length` elements (prims.iota).
Value iota(int64_t length, int64_t start, int64_t step, DType dtype, const Device& device);

// ---- prim math: arithmetic on prims for decompositions ---------------------------------------
// Operands must already agree in shape and dtype (numbers excepted), as prims require.
namespace pm {
Value operator+(const Value& a, const Value& b);
Value operator-(const Value& a, const Value& b);
Value operator*(const Value& a, const Value& b);
Value operator/(const Value& a, const Value& b);
Value operator-(const Value& a);
template <typename T> requires std::is_arithmetic_v<T> Value operator+(const Value& a, T b) { return a + num(b); }
template <typename T> requires std::is_arithmetic_v<T> Value operator+(T a, const Value& b) { return num(a) + b; }
template <typename T> requires std::is_arithmetic_v<T> Value operator-(const Value& a, T b) { return a - num(b); }
template <typename T> requires std::is_arithmetic_v<T> Value operator-(T a, const Value& b) { return num(a) - b; }
template <typename T> requires std::is_arithmetic_v<T> Value operator*(const Value& a, T b) { return a * num(b); }
template <typename T> requires std::is_arithmetic_v<T> Value operator*(T a, const Value& b) { return num(a) * b; }
template <typename T> requires std::is_arithmetic_v<T> Value operator/(const Value& a, T b) { return a / num(b); }
template <typename T> requires std::is_arithmetic_v<T> Value operator/(T a, const Value& b) { return num(a) / b; }
Value exp(const Value& a);
Value erf(const Value& a);
Value tanh(const Value& a);
Value trunc(const Value& a);
Value le(const Value& a, const Value& b);
Value where(const Value& pred, const Value& a, const Value& b);
// more prims, defined with the elementwise family
Value abs(const Value& a);
Value sqrt(const Value& a);
Value log(const Value& a);
Value floor(const Value& a);
Value round(const Value& a);
Value eq(const Value& a, const Value& b);
Value ne(const Value& a, const Value& b);
Value lt(const Value& a, const Value& b);
Value gt(const Value& a, const Value& b);
/// NaN-propagating, tensors only.
Value maximum(const Value& a, const Value& b);
Value minimum(const Value& a, const Value& b);
/// C's fmod; integers divide with truncation. The first operand must be a tensor.
Value fmod(const Value& a, const Value& b);
/// The first operand must be a tensor.
Value copysign(const Value& a, const Value& b);
Value bitwise_and(const Value& a, const Value& b);
Value bitwise_or(const Value& a, const Value& b);
Value bitwise_xor(const Value& a, const Value& b);
Value ge(const Value& a, const Value& b);
Value sin(const Value& a);
Value cos(const Value& a);
Value sinh(const Value& a);
Value cosh(const Value& a);
}  // namespace pm

// ---- the vocabulary of VJP rules ---------------------------------------------------------------

/// Zeros of t's shape, dtype and device (prims.full).
Value zeros_like(const Value& t);
/// Sums a broadcast cotangent back to `shape`: over the leading dims `shape` lacks and the dims
/// where it has 1 (the VJP of prims.expand and of broadcasting).
Value sum_to_shape(const Value& g, const Shape& shape);
/// The VJP of a reduction over `dims` (sorted) without keepdim: g with the reduced dims put back
/// as 1s, expanded to `shape`.
Value unreduce(const Value& g, const std::vector<int64_t>& dims, const Shape& shape);
/// The VJP of gathering `index` from `a` along `dim`: g added back where it was read (a scatter_add
/// into zeros, or an elementwise select when the index has one entry per row).
Value gather_vjp(const Value& a, int64_t dim, const Value& index, const Value& g);
/// Swaps the last two dims (rank >= 2).
Value transpose_last(const Value& x);
/// The cotangent `g` of a call's output (a sequence for multi-output ops) at position i, or null.
Value cotangent_at(const Value& g, size_t i);

// ---- factories: the options tensors are made with ---------------------------------------------

/// The index of a parameter by name (an internal error when the op has none).
size_t param_index(const Args& a, std::string_view name);
/// dtype= and device= as factories take them.
struct FactoryOptions {
  std::optional<DType> dtype;
  Device device;
};
/// Reads dtype=, device= (a device, a string or a CUDA ordinal; `default_device` when None) and
/// checks requires_grad=False and memory_format=None where the op has them.
FactoryOptions factory_options(const Args& a, std::optional<Device> default_device = std::nullopt);
/// A size argument: non-negative ints, with torch's message otherwise.
Shape size_arg(const Args& a, size_t i);

// ---- registration, one function per op family --------------------------------------------------
void register_elementwise(Registry& r);
void register_elementwise_unary(Registry& r);
void register_elementwise_binary(Registry& r);
void register_elementwise_ternary(Registry& r);
void register_conversions(Registry& r);
void register_reductions(Registry& r);
void register_statistics(Registry& r);
void register_shape(Registry& r);
void register_shape_slicing(Registry& r);
void register_indexing(Registry& r);
void register_linalg(Registry& r);
void register_nn(Registry& r);
void register_nn_index(Registry& r);
void register_nn_norm(Registry& r);
void register_nn_loss(Registry& r);
void register_nn_conv(Registry& r);
void register_nn_pool(Registry& r);
void register_nn_pool_nd(Registry& r);
void register_complex(Registry& r);
void register_nn_activation(Registry& r);
void register_nn_loss_more(Registry& r);
void register_factories_new(Registry& r);
void register_misc_more(Registry& r);
void register_nn_attention(Registry& r);
void register_state(Registry& r);
/// Arithmetic on symbolic numbers (numbers.cpp).
void register_numbers(Registry& r);
void register_factories(Registry& r);
void register_random(Registry& r);
/// The philox prims and the philox forms of the random ops (random_philox.cpp).
void register_random_philox(Registry& r);

}  // namespace thunder::ops
