#include "ir/trace.h"

#include <cctype>
#include <unordered_map>

#include "ir/error.h"

namespace thunder {

namespace {

thread_local TraceBuilder* g_current = nullptr;

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

const std::unordered_set<std::string>& reserved_names() {
  // Python keywords and the globals a printed trace relies on.
  static const std::unordered_set<std::string> kReserved = {
      "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
      "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
      "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
      "yield", "torch", "prims", "float", "complex", "computation"};
  return kReserved;
}

void collect_unique(const Value& v, std::vector<Value>& out, std::unordered_set<const ValueNode*>& seen) {
  for_each_proxy(v, [&](const Value& p) {
    if (seen.insert(p.node()).second) out.push_back(p);
  });
}

}  // namespace

const Symbol& alias_symbol() {
  static const Symbol sym(OpSpec{
      .schema = "prims.alias(a)",
      .fusion = FusionClass::Shape,
      .aten = "lambda a: a",
      .impl = [](const Args& a) { return TraceBuilder::current().new_tensor(a.tensor(0).meta()); },
      .vjp = [](const Args&, const Value&, const Value& g) -> std::vector<Value> { return {g}; },
  });
  return sym;
}

const Symbol& del_symbol() {
  static const Symbol sym(OpSpec{
      .schema = "del(*names)",
      .print = [](const std::vector<Value>& args) {
        std::string s = "del ";
        const auto& names = args.at(0).items();
        for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + python_repr(names[i]);
        return s;
      },
      .impl = [](const Args&) { return Value::none(); },
  });
  return sym;
}

bool has_side_effect(const BoundSymbol& b) {
  if (!b.sym->side_effect()) return false;
  if (b.sym->is_prim() || b.subsymbols.empty()) return true;
  for (const auto& sub : b.subsymbols)
    if (has_side_effect(sub)) return true;
  return false;
}

std::vector<Value> BoundSymbol::input_proxies() const {
  std::vector<Value> out;
  std::unordered_set<const ValueNode*> seen;
  for (const auto& a : args) collect_unique(a, out, seen);
  return out;
}

std::vector<Value> BoundSymbol::output_proxies() const {
  std::vector<Value> out;
  std::unordered_set<const ValueNode*> seen;
  collect_unique(output, out, seen);
  return out;
}

std::unordered_set<std::string> Trace::names() const {
  std::unordered_set<std::string> names;
  for (const auto& in : inputs) names.insert(in.name());
  std::function<void(const std::vector<BoundSymbol>&)> walk = [&](const std::vector<BoundSymbol>& bsyms) {
    for (const auto& b : bsyms) {
      for (const auto& p : b.output_proxies()) names.insert(p.name());
      walk(b.subsymbols);
    }
  };
  walk(bound_symbols);
  return names;
}

std::string TraceBuilder::fresh_name(const std::string& prefix) {
  std::string name;
  do name = prefix + std::to_string(counter_++);
  while (names_.count(name));
  names_.insert(name);
  return name;
}

Value TraceBuilder::add_input(const std::string& hint, TensorMeta meta) {
  Value v = Value::tensor(input_name(hint), std::move(meta));
  inputs_.push_back(v);
  return v;
}

Value TraceBuilder::add_number_input(const std::string& hint, NumberType type) {
  Value v = Value::number(input_name(hint), type);
  inputs_.push_back(v);
  return v;
}

std::string TraceBuilder::input_name(const std::string& hint) {
  std::string base = hint;
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  if (!is_identifier(base) || reserved_names().count(base)) base = "_" + base;
  std::string name = base;
  for (int i = 1; names_.count(name); ++i) name = base + "_" + std::to_string(i);
  names_.insert(name);
  return name;
}

void TraceBuilder::reserve_names(const std::unordered_set<std::string>& names) {
  names_.insert(names.begin(), names.end());
}

Value TraceBuilder::new_tensor(TensorMeta meta) { return Value::tensor(fresh_name(), std::move(meta)); }

Value TraceBuilder::record(const Symbol& sym, std::vector<Value> positional, const Kwargs& kwargs) {
  return record(sym.bind(std::move(positional), kwargs));
}

const BoundSymbol* TraceBuilder::producer(const Value& v) const {
  const auto& calls = scopes_.back();
  for (auto it = calls.rbegin(); it != calls.rend(); ++it)
    for (const auto& p : it->output_proxies())
      if (p.node() == v.node()) return &*it;
  return nullptr;
}

Value TraceBuilder::record(const Args& args) {
  const Symbol& sym = args.symbol();
  scopes_.emplace_back();
  Value out;
  try {
    out = sym.impl()(args);
  } catch (...) {
    scopes_.pop_back();
    throw;
  }
  THUNDER_ASSERT(out, sym.name(), " returned nothing");
  if (!sym.is_prim()) {
    // A composite op must define its outputs. Where its decomposition hands back one of its
    // inputs, an alias gives the output a name of its own. A composite that records nothing and
    // returns fresh proxies has no decomposition for these arguments: it runs as one opaque call.
    std::unordered_set<const ValueNode*> defined, inputs;
    for (const auto& sub : scopes_.back())
      for (const auto& p : sub.output_proxies()) defined.insert(p.node());
    for (const auto& a : args.values()) for_each_proxy(a, [&](const Value& p) { inputs.insert(p.node()); });
    bool opaque = scopes_.back().empty();
    out = map_proxies(out, [&](const Value& p) {
      if (inputs.count(p.node())) return record(alias_symbol(), {p});
      THUNDER_ASSERT(defined.count(p.node()) || opaque, sym.name(), " returned ", p.name(),
                     ", which its decomposition does not define");
      return p;
    });
  } else {
    for_each_proxy(out, [&](const Value& p) {
      for (const auto& a : args.values()) {
        bool same = false;
        for_each_proxy(a, [&](const Value& q) { same = same || q.same(p); });
        THUNDER_ASSERT(!same, "prim ", sym.name(), " returned its input ", p.name());
      }
    });
  }
  BoundSymbol b;
  b.sym = &sym;
  b.args = args.values();
  b.output = out;
  b.subsymbols = std::move(scopes_.back());
  b.loc = loc_;
  scopes_.pop_back();
  scopes_.back().push_back(std::move(b));
  return out;
}

Trace TraceBuilder::finish(std::string header) {
  THUNDER_ASSERT(scopes_.size() == 1, "finish() inside an open call");
  Trace t;
  t.header = std::move(header);
  t.inputs = std::move(inputs_);
  t.output = output_ ? output_ : Value::none();
  t.bound_symbols = std::move(scopes_[0]);
  scopes_.assign(1, {});
  names_.clear();
  counter_ = 0;
  inputs_.clear();
  output_ = Value();
  return t;
}

TraceBuilder& TraceBuilder::current() {
  THUNDER_ASSERT(g_current, "no trace is being recorded");
  return *g_current;
}

bool TraceBuilder::has_current() { return g_current != nullptr; }

TraceBuilder::Scope::Scope(TraceBuilder& b) : prev_(g_current) { g_current = &b; }
TraceBuilder::Scope::~Scope() { g_current = prev_; }

Value record(const Symbol& sym, std::vector<Value> positional, const Kwargs& kwargs) {
  return TraceBuilder::current().record(sym, std::move(positional), kwargs);
}

Value new_tensor(Shape shape, DType dtype, Device device) {
  return TraceBuilder::current().new_tensor(TensorMeta{std::move(shape), dtype, device, false});
}

}  // namespace thunder
