#include "ir/symbol.h"

#include <cctype>
#include <charconv>

#include "ir/error.h"

namespace thunder {

std::string_view fusion_class_name(FusionClass c) {
  switch (c) {
    case FusionClass::Elementwise: return "elementwise";
    case FusionClass::Reduction: return "reduction";
    case FusionClass::Shape: return "shape";
    case FusionClass::Opaque: return "opaque";
  }
  return "?";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Default values in schemas are Python literals: None, True, False, ints, floats, 'strings', ().
Value parse_default(std::string_view lit, const std::string& schema) {
  lit = trim(lit);
  if (lit == "None") return Value::none();
  if (lit == "True") return Value::constant(true);
  if (lit == "False") return Value::constant(false);
  if (lit == "()") return Value::sequence({});
  if (lit.size() >= 2 && lit.front() == '\'' && lit.back() == '\'')
    return Value::constant(std::string(lit.substr(1, lit.size() - 2)));
  int64_t i = 0;
  auto [p, ec] = std::from_chars(lit.data(), lit.data() + lit.size(), i);
  if (ec == std::errc() && p == lit.data() + lit.size()) return Value::constant(i);
  double d = 0;
  auto [pd, ecd] = std::from_chars(lit.data(), lit.data() + lit.size(), d);
  if (ecd == std::errc() && pd == lit.data() + lit.size()) return Value::constant(d);
  throw InternalError(cat("bad default '", lit, "' in schema ", schema));
}

std::vector<Param> parse_params(std::string_view body, const std::string& schema) {
  std::vector<Param> params;
  bool kw_only = false;
  size_t start = 0;
  while (start <= body.size()) {
    size_t comma = body.find(',', start);
    if (comma == std::string_view::npos) comma = body.size();
    std::string_view item = trim(body.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    if (item == "*") {
      kw_only = true;
      continue;
    }
    Param p;
    if (item.front() == '*') {
      p.varargs = true;
      item.remove_prefix(1);
      kw_only = true;  // parameters after *args are keyword-only, as in Python
    } else {
      p.keyword_only = kw_only;
    }
    size_t eq = item.find('=');
    p.name = std::string(trim(item.substr(0, eq)));
    if (eq != std::string_view::npos) p.default_value = parse_default(item.substr(eq + 1), schema);
    params.push_back(std::move(p));
  }
  return params;
}

}  // namespace

Symbol::Symbol(OpSpec spec) : spec_(std::move(spec)) {
  const std::string& s = spec_.schema;
  size_t open = s.find('('), close = s.rfind(')');
  THUNDER_ASSERT(open != std::string::npos && close != std::string::npos && close > open, "bad schema ", s);
  name_ = s.substr(0, open);
  params_ = parse_params(std::string_view(s).substr(open + 1, close - open - 1), s);
  is_prim_ = name_.starts_with("prims.");
  if (spec_.print_name.empty()) spec_.print_name = name_;
  if (spec_.aten.empty() && !spec_.decompose_only) spec_.aten = spec_.print_name;
  THUNDER_ASSERT(static_cast<bool>(spec_.impl), "op ", name_, " has no implementation");
}

Args Symbol::bind(std::vector<Value> positional, const Kwargs& kwargs) const {
  std::vector<Value> values(params_.size());
  size_t pi = 0;
  for (size_t i = 0; i < positional.size(); ++i) {
    while (pi < params_.size() && params_[pi].keyword_only) ++pi;
    if (pi >= params_.size()) {
      size_t n = 0;
      for (const auto& p : params_) n += !p.keyword_only;
      throw UserError(ErrorKind::Type, cat(name_, "() takes ", n, " positional arguments but ", positional.size(),
                                           " were given"));
    }
    if (params_[pi].varargs) {
      // `*shape` takes the remaining positionals, or a single sequence as torch allows
      std::vector<Value> rest(positional.begin() + i, positional.end());
      values[pi] = rest.size() == 1 && rest[0].is_sequence() ? rest[0] : Value::sequence(std::move(rest));
      ++pi;
      break;
    }
    values[pi++] = std::move(positional[i]);
  }
  for (const auto& [key, v] : kwargs) {
    size_t j = 0;
    while (j < params_.size() && params_[j].name != key) ++j;
    THUNDER_CHECK(j < params_.size(), Type, name_, "() got an unexpected keyword argument '", key, "'");
    THUNDER_CHECK(!values[j], Type, name_, "() got multiple values for argument '", key, "'");
    values[j] = v;
  }
  for (size_t j = 0; j < params_.size(); ++j) {
    if (values[j]) continue;
    if (params_[j].varargs && !params_[j].default_value) {
      values[j] = Value::sequence({});
      continue;
    }
    THUNDER_CHECK(params_[j].default_value, Type, name_, "() missing required argument '", params_[j].name, "'");
    values[j] = params_[j].default_value;
  }
  return Args(*this, std::move(values));
}

void Args::type_error(size_t i, std::string_view what) const {
  throw UserError(ErrorKind::Type, cat(sym_->name(), ": expected '", sym_->params().at(i).name, "' to be ", what,
                                       ", got ", type_name(values_.at(i))));
}

const Value& Args::tensor(size_t i) const {
  if (!values_.at(i).is_tensor()) type_error(i, "a tensor");
  return values_[i];
}

const Value& Args::tensor_or_number(size_t i) const {
  if (!values_.at(i).is_tensor() && !values_[i].is_number()) type_error(i, "a tensor or a number");
  return values_[i];
}

std::optional<Value> Args::opt_tensor(size_t i) const {
  if (values_.at(i).is_none()) return std::nullopt;
  return tensor(i);
}

std::vector<Value> Args::tensor_list(size_t i) const {
  const Value& v = values_.at(i);
  if (!v.is_sequence()) type_error(i, "a sequence of tensors");
  for (const auto& item : v.items())
    if (!item.is_tensor()) type_error(i, "a sequence of tensors");
  return v.items();
}

int64_t Args::int_(size_t i) const {
  if (!values_.at(i).is_int()) type_error(i, "an int");
  return values_[i].as_int();
}

bool Args::bool_(size_t i) const {
  const Value& v = values_.at(i);
  if (!v.is_constant() || !std::holds_alternative<bool>(v.constant_value())) type_error(i, "a bool");
  return v.as_bool();
}

std::string Args::str(size_t i) const {
  const Value& v = values_.at(i);
  if (!v.is_constant() || !std::holds_alternative<std::string>(v.constant_value())) type_error(i, "a string");
  return std::get<std::string>(v.constant_value());
}

std::optional<std::string> Args::opt_str(size_t i) const {
  if (values_.at(i).is_none()) return std::nullopt;
  return str(i);
}

std::optional<DType> Args::opt_dtype(size_t i) const {
  const Value& v = values_.at(i);
  if (v.is_none()) return std::nullopt;
  if (!v.is_constant() || !std::holds_alternative<DType>(v.constant_value())) type_error(i, "a torch.dtype");
  return std::get<DType>(v.constant_value());
}

std::vector<int64_t> Args::int_list(size_t i, bool allow_single) const {
  const Value& v = values_.at(i);
  if (allow_single && v.is_int()) return {v.as_int()};
  if (!v.is_sequence()) type_error(i, allow_single ? "an int or a sequence of ints" : "a sequence of ints");
  std::vector<int64_t> out;
  for (const auto& item : v.items()) {
    if (!item.is_int()) type_error(i, "a sequence of ints");
    out.push_back(item.as_int());
  }
  return out;
}

std::optional<std::vector<int64_t>> Args::opt_int_list(size_t i) const {
  if (values_.at(i).is_none()) return std::nullopt;
  return int_list(i, /*allow_single=*/true);
}

const Symbol& Registry::add(OpSpec spec) {
  owned_.push_back(std::make_unique<Symbol>(std::move(spec)));
  adopt(*owned_.back());
  return *owned_.back();
}

void Registry::adopt(const Symbol& sym) {
  THUNDER_ASSERT(!by_name_.count(sym.name()), "op ", sym.name(), " registered twice");
  by_name_[sym.name()] = &sym;
  symbols_.push_back(&sym);
}

const Symbol* Registry::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

const Symbol& Registry::at(std::string_view name) const {
  const Symbol* s = find(name);
  THUNDER_ASSERT(s, "no op named ", name);
  return *s;
}

}  // namespace thunder
