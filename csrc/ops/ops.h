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
}  // namespace pm

// ---- registration, one function per op family --------------------------------------------------
void register_elementwise(Registry& r);
void register_reductions(Registry& r);
void register_shape(Registry& r);
void register_linalg(Registry& r);
void register_nn(Registry& r);
void register_nn_index(Registry& r);
void register_nn_norm(Registry& r);
void register_nn_loss(Registry& r);
void register_nn_conv(Registry& r);
void register_nn_pool(Registry& r);
void register_nn_attention(Registry& r);

}  // namespace thunder::ops
