// Values: what bound symbols take and return. A Value is a cheap, immutable handle: a tensor
// proxy (metadata only), a number proxy, a constant, or a sequence of values. Proxies carry a name
// unique within their trace; identity is the handle's node.
#pragma once

#include <complex>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ir/device.h"
#include "ir/dtype.h"
#include "ir/shape.h"

namespace thunder {

/// What a tensor proxy knows about the tensor it stands for.
struct TensorMeta {
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  bool requires_grad = false;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  /// "cpu f32[8, 64]", the annotation printed in traces.
  std::string str() const;
  bool operator==(const TensorMeta&) const = default;
};

enum class ValueKind : uint8_t { Tensor, Number, Constant, Sequence };

/// None.
struct NoneType {
  bool operator==(const NoneType&) const = default;
};
using Complex = std::complex<double>;
/// A Python slice of constant ints (`1:None:2`); an absent bound is None.
struct Slice {
  std::optional<int64_t> start, stop, step;
  bool operator==(const Slice&) const = default;
};
/// Python's Ellipsis (`...`), as it appears in indexing.
struct EllipsisType {
  bool operator==(const EllipsisType&) const = default;
};
/// The payload of a constant: None, a Python number, a string, a dtype, a device, or a slice or
/// Ellipsis (both only in indexing).
using Constant = std::variant<NoneType, bool, int64_t, double, Complex, std::string, DType, Device, Slice, EllipsisType>;

struct ValueNode;

class Value {
 public:
  /// A null handle; most APIs reject it.
  Value() = default;

  static Value tensor(std::string name, TensorMeta meta);
  static Value number(std::string name, NumberType type);
  static Value constant(Constant c);
  static Value none() { return constant(NoneType{}); }
  static Value sequence(std::vector<Value> items, bool is_list = false);

  explicit operator bool() const { return node_ != nullptr; }
  ValueKind kind() const;
  bool is_tensor() const { return node_ && kind() == ValueKind::Tensor; }
  bool is_number_proxy() const { return node_ && kind() == ValueKind::Number; }
  bool is_constant() const { return node_ && kind() == ValueKind::Constant; }
  bool is_sequence() const { return node_ && kind() == ValueKind::Sequence; }
  /// Tensor and number proxies have names; constants and sequences do not.
  bool is_proxy() const { return is_tensor() || is_number_proxy(); }

  const std::string& name() const;
  const TensorMeta& meta() const;
  const Shape& shape() const { return meta().shape; }
  DType dtype() const { return meta().dtype; }
  int64_t rank() const { return meta().rank(); }
  NumberType number_type() const;
  const Constant& constant_value() const;
  const std::vector<Value>& items() const;
  bool is_list() const;

  bool is_none() const;
  bool is_slice() const;
  bool is_ellipsis() const;
  /// A Python number constant (bool, int, float or complex) or a number proxy.
  bool is_number() const;
  /// The Python type of a number constant or proxy.
  NumberType python_number_type() const;
  /// Integer constants (bools excluded).
  bool is_int() const;
  int64_t as_int() const;
  double as_double() const;
  bool as_bool() const;

  /// Same node (proxies: the same proxy).
  bool same(const Value& o) const { return node_ == o.node_; }
  const ValueNode* node() const { return node_.get(); }

 private:
  explicit Value(std::shared_ptr<const ValueNode> n) : node_(std::move(n)) {}
  std::shared_ptr<const ValueNode> node_;
};

struct ValueNode {
  ValueKind kind;
  std::string name;
  TensorMeta meta;
  NumberType number_type = NumberType::Int;
  Constant constant;
  std::vector<Value> items;
  bool is_list = false;
};

/// Calls `f` on every proxy inside `v` (recursing into sequences).
template <typename F>
void for_each_proxy(const Value& v, F&& f) {
  if (!v) return;
  if (v.is_proxy()) f(v);
  else if (v.is_sequence())
    for (const auto& item : v.items()) for_each_proxy(item, f);
}

/// The Python spelling of a value in trace text: a proxy's name or a constant's literal.
std::string python_repr(const Value& v);
/// A short description of a value's type for error messages ("int", "str", "tensor").
std::string type_name(const Value& v);

}  // namespace thunder
