#include "ir/value.h"

#include <charconv>
#include <cmath>

#include "ir/error.h"

namespace thunder {

namespace {

std::shared_ptr<ValueNode> make(ValueKind k) {
  auto n = std::make_shared<ValueNode>();
  n->kind = k;
  return n;
}

// Python's repr of a float: shortest round-trip digits, exponent form outside [1e-4, 1e16).
std::string float_repr(double v) {
  if (std::isnan(v)) return "float('nan')";
  if (std::isinf(v)) return v > 0 ? "float('inf')" : "-float('inf')";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out;
  if (exp < -4 || exp >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  } else if (exp < 0) {
    out = "0." + std::string(-exp - 1, '0') + digits;
  } else {
    if (digits.size() <= static_cast<size_t>(exp) + 1) digits += std::string(exp + 1 - digits.size(), '0');
    out = digits.substr(0, exp + 1) + ".";
    std::string frac = digits.substr(exp + 1);
    out += frac.empty() ? "0" : frac;
  }
  return neg ? "-" + out : out;
}

std::string string_repr(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "'";
}

}  // namespace

std::string TensorMeta::str() const {
  return cat(device.str(), " ", dtype_short_name(dtype), shape_str(shape));
}

Value Value::tensor(std::string name, TensorMeta meta) {
  auto n = make(ValueKind::Tensor);
  n->name = std::move(name);
  n->meta = std::move(meta);
  return Value(std::move(n));
}

Value Value::number(std::string name, NumberType type) {
  auto n = make(ValueKind::Number);
  n->name = std::move(name);
  n->number_type = type;
  return Value(std::move(n));
}

Value Value::constant(Constant c) {
  auto n = make(ValueKind::Constant);
  n->constant = std::move(c);
  return Value(std::move(n));
}

Value Value::sequence(std::vector<Value> items, bool is_list) {
  auto n = make(ValueKind::Sequence);
  n->items = std::move(items);
  n->is_list = is_list;
  return Value(std::move(n));
}

ValueKind Value::kind() const {
  THUNDER_ASSERT(node_, "use of a null value");
  return node_->kind;
}

const std::string& Value::name() const {
  THUNDER_ASSERT(is_proxy(), "name() of a value that is not a proxy");
  return node_->name;
}

const TensorMeta& Value::meta() const {
  THUNDER_ASSERT(is_tensor(), "meta() of a value that is not a tensor");
  return node_->meta;
}

NumberType Value::number_type() const {
  THUNDER_ASSERT(is_number_proxy(), "number_type() of a value that is not a number proxy");
  return node_->number_type;
}

const Constant& Value::constant_value() const {
  THUNDER_ASSERT(is_constant(), "constant_value() of a value that is not a constant");
  return node_->constant;
}

const std::vector<Value>& Value::items() const {
  THUNDER_ASSERT(is_sequence(), "items() of a value that is not a sequence");
  return node_->items;
}

bool Value::is_list() const { return is_sequence() && node_->is_list; }

bool Value::is_none() const { return is_constant() && std::holds_alternative<NoneType>(node_->constant); }

bool Value::is_slice() const { return is_constant() && std::holds_alternative<Slice>(node_->constant); }

bool Value::is_ellipsis() const { return is_constant() && std::holds_alternative<EllipsisType>(node_->constant); }

bool Value::is_number() const {
  if (is_number_proxy()) return true;
  if (!is_constant()) return false;
  const auto& c = node_->constant;
  return std::holds_alternative<bool>(c) || std::holds_alternative<int64_t>(c) ||
         std::holds_alternative<double>(c) || std::holds_alternative<Complex>(c);
}

NumberType Value::python_number_type() const {
  if (is_number_proxy()) return node_->number_type;
  THUNDER_ASSERT(is_number(), "python_number_type() of a value that is not a number");
  const auto& c = node_->constant;
  if (std::holds_alternative<bool>(c)) return NumberType::Bool;
  if (std::holds_alternative<int64_t>(c)) return NumberType::Int;
  if (std::holds_alternative<double>(c)) return NumberType::Float;
  return NumberType::Complex;
}

bool Value::is_int() const { return is_constant() && std::holds_alternative<int64_t>(node_->constant); }

int64_t Value::as_int() const {
  THUNDER_ASSERT(is_constant(), "as_int() of a non-constant");
  if (auto* b = std::get_if<bool>(&node_->constant)) return *b;
  THUNDER_ASSERT(is_int(), "as_int() of a non-integer constant");
  return std::get<int64_t>(node_->constant);
}

double Value::as_double() const {
  THUNDER_ASSERT(is_constant(), "as_double() of a non-constant");
  const auto& c = node_->constant;
  if (auto* d = std::get_if<double>(&c)) return *d;
  if (auto* i = std::get_if<int64_t>(&c)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&c)) return *b;
  throw InternalError("as_double() of a constant that is not a real number");
}

bool Value::as_bool() const {
  THUNDER_ASSERT(is_constant() && std::holds_alternative<bool>(node_->constant), "as_bool() of a non-bool");
  return std::get<bool>(node_->constant);
}

std::string python_repr(const Value& v) {
  THUNDER_ASSERT(v, "repr of a null value");
  switch (v.kind()) {
    case ValueKind::Tensor:
    case ValueKind::Number: return v.name();
    case ValueKind::Sequence: {
      const auto& items = v.items();
      std::string s = v.is_list() ? "[" : "(";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) s += ", ";
        s += python_repr(items[i]);
      }
      if (!v.is_list() && items.size() == 1) s += ",";
      return s + (v.is_list() ? "]" : ")");
    }
    case ValueKind::Constant: break;
  }
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, NoneType>) return "None";
        else if constexpr (std::is_same_v<T, bool>) return c ? "True" : "False";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(c);
        else if constexpr (std::is_same_v<T, double>) return float_repr(c);
        else if constexpr (std::is_same_v<T, Complex>)
          return "complex(" + float_repr(c.real()) + ", " + float_repr(c.imag()) + ")";
        else if constexpr (std::is_same_v<T, std::string>) return string_repr(c);
        else if constexpr (std::is_same_v<T, DType>) return "torch." + std::string(dtype_name(c));
        else if constexpr (std::is_same_v<T, Device>) return "torch.device('" + c.str() + "')";
        else if constexpr (std::is_same_v<T, Slice>) {
          auto bound = [](const std::optional<int64_t>& b) { return b ? std::to_string(*b) : std::string("None"); };
          return "slice(" + bound(c.start) + ", " + bound(c.stop) + ", " + bound(c.step) + ")";
        } else return "...";
      },
      v.constant_value());
}

std::string type_name(const Value& v) {
  if (!v) return "nothing";
  switch (v.kind()) {
    case ValueKind::Tensor: return "tensor";
    case ValueKind::Number: return "number";
    case ValueKind::Sequence: return v.is_list() ? "list" : "tuple";
    case ValueKind::Constant: break;
  }
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, NoneType>) return "None";
        else if constexpr (std::is_same_v<T, bool>) return "bool";
        else if constexpr (std::is_same_v<T, int64_t>) return "int";
        else if constexpr (std::is_same_v<T, double>) return "float";
        else if constexpr (std::is_same_v<T, Complex>) return "complex";
        else if constexpr (std::is_same_v<T, std::string>) return "str";
        else if constexpr (std::is_same_v<T, DType>) return "torch.dtype";
        else if constexpr (std::is_same_v<T, Device>) return "torch.device";
        else if constexpr (std::is_same_v<T, Slice>) return "slice";
        else return "ellipsis";
      },
      v.constant_value());
}

}  // namespace thunder
