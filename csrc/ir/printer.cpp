// Trace -> Python source. The text is the contract: valid Python, one line per bound symbol,
// subsymbols as indented comments, deterministic names, nothing that varies between runs.
#include <sstream>

#include "ir/error.h"
#include "ir/trace.h"

namespace thunder {

namespace {

bool equal_constants(const Value& a, const Value& b) {
  if (a.is_constant() && b.is_constant()) return a.constant_value() == b.constant_value();
  if (a.is_sequence() && b.is_sequence()) {
    if (a.items().size() != b.items().size()) return false;
    for (size_t i = 0; i < a.items().size(); ++i)
      if (!equal_constants(a.items()[i], b.items()[i])) return false;
    return true;
  }
  return false;
}

bool is_default(const Param& p, const Value& v) {
  return p.default_value && equal_constants(p.default_value, v);
}

}  // namespace

std::string call_string(const BoundSymbol& b) {
  const Symbol& sym = *b.sym;
  if (sym.statement_printer()) {
    std::string s = sym.statement_printer()(b.args);
    if (!s.empty()) return s;  // empty: the default spelling
  }
  if (!sym.py_operator().empty() && b.args.size() >= 2 && b.args[0].is_number())
    return python_repr(b.args[0]) + " " + sym.py_operator() + " " + python_repr(b.args[1]);
  const auto& params = sym.params();
  // positional parameters are printed up to the last one that is not at its default
  size_t last = 0;
  for (size_t i = 0; i < params.size(); ++i)
    if (!params[i].keyword_only && !is_default(params[i], b.args[i])) last = i + 1;
  std::string s = sym.print_name() + "(";
  bool first = true;
  auto sep = [&] {
    if (!first) s += ", ";
    first = false;
  };
  for (size_t i = 0; i < last; ++i) {
    if (params[i].keyword_only) continue;
    sep();
    s += python_repr(b.args[i]);
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].keyword_only || is_default(params[i], b.args[i])) continue;
    sep();
    s += params[i].name + "=" + python_repr(b.args[i]);
  }
  return s + ")";
}

namespace {

std::string annotation(const Value& p) {
  if (p.is_tensor()) return p.name() + ": \"" + p.meta().str() + "\"";
  static const char* kNames[] = {"bool", "int", "float", "complex"};
  return p.name() + ": \"" + kNames[static_cast<int>(p.number_type())] + "\"";
}

std::string statement(const BoundSymbol& b) {
  bool has_lhs = b.output.is_proxy() || b.output.is_sequence();
  return has_lhs ? python_repr(b.output) + " = " + call_string(b) : call_string(b);
}

void print_bsym(std::ostringstream& os, const BoundSymbol& b, const std::string& indent) {
  os << indent << statement(b);
  auto outs = b.output_proxies();
  for (size_t i = 0; i < outs.size(); ++i) os << (i ? ", " : "  # ") << annotation(outs[i]);
  os << "\n";
  for (const auto& sub : b.subsymbols) os << indent << "  # " << statement(sub) << "\n";
}

}  // namespace

std::string Trace::str() const {
  std::ostringstream os;
  os << "# Constructed by " << header << "\n";
  os << "import torch\n";
  bool uses_prims = false;
  // a torch-level op may print as a prim call (batch_norm updating running stats)
  for (const auto& b : bound_symbols) uses_prims = uses_prims || b.sym->is_prim() || call_string(b).starts_with("prims.");
  if (uses_prims) os << "from thunder import prims\n";
  os << "\n";
  os << "def " << fn_name << "(";
  for (size_t i = 0; i < inputs.size(); ++i) os << (i ? ", " : "") << inputs[i].name();
  os << "):\n";
  for (const auto& in : inputs) os << "  # " << annotation(in) << "\n";
  for (const auto& b : bound_symbols) print_bsym(os, b, "  ");
  os << "  return " << python_repr(output) << "\n";
  return os.str();
}

}  // namespace thunder
