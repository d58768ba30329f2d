// The trace verifier: names bound once and before use, and meta rules that reproduce outputs.
#include <unordered_map>
#include <unordered_set>

#include "ir/error.h"
#include "ir/trace.h"

namespace thunder {

namespace {

using NameSet = std::unordered_set<const ValueNode*>;
// Every name in the trace, with the one proxy it belongs to: two proxies may not share a name.
using NameMap = std::unordered_map<std::string, const ValueNode*>;

void bind_name(NameMap& names, const Value& p) {
  auto [it, fresh] = names.emplace(p.name(), p.node());
  THUNDER_ASSERT(fresh || it->second == p.node(), "verifier: two different values are both named ", p.name());
}

bool same_meta(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::Tensor:
      return a.shape() == b.shape() && a.dtype() == b.dtype() && a.meta().device == b.meta().device;
    case ValueKind::Number: return a.number_type() == b.number_type();
    case ValueKind::Constant: return a.constant_value() == b.constant_value();
    case ValueKind::Sequence:
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i)
        if (!same_meta(a.items()[i], b.items()[i])) return false;
      return true;
  }
  return false;
}

std::string where(const BoundSymbol& b) {
  std::string outs;
  for (const auto& p : b.output_proxies()) outs += (outs.empty() ? "" : ", ") + p.name();
  return cat("the call of ", b.sym->name(), " defining [", outs, "]");
}

void check_meta(const BoundSymbol& b) {
  TraceBuilder scratch;
  TraceBuilder::Scope scope(scratch);
  Value again = b.sym->impl()(Args(*b.sym, b.args));
  THUNDER_ASSERT(same_meta(again, b.output), "verifier: ", where(b),
                 " has outputs that its meta rule does not reproduce");
}

void verify_block(const std::vector<BoundSymbol>& bsyms, NameSet& defined, NameMap& names) {
  for (const auto& b : bsyms) {
    THUNDER_ASSERT(b.sym, "verifier: a bound symbol without a symbol");
    for (const auto& p : b.input_proxies())
      THUNDER_ASSERT(defined.count(p.node()), "verifier: ", p.name(), " is used by ", where(b),
                     " before it is defined or after it is deleted");
    if (b.sym == &del_symbol()) {
      for (const auto& p : b.input_proxies()) defined.erase(p.node());
      continue;
    }
    if (!b.subsymbols.empty()) {
      NameSet inner = defined;
      verify_block(b.subsymbols, inner, names);
      for (const auto& p : b.output_proxies())
        THUNDER_ASSERT(inner.count(p.node()), "verifier: ", where(b), " returns ", p.name(),
                       " which its subsymbols do not define");
    }
    for (const auto& p : b.output_proxies()) {
      bool internal = !b.subsymbols.empty();  // composite outputs are defined by their subsymbols
      THUNDER_ASSERT(internal || !defined.count(p.node()), "verifier: ", p.name(), " is defined twice (by ",
                     where(b), ")");
      defined.insert(p.node());
      bind_name(names, p);
    }
    check_meta(b);
  }
}

}  // namespace

void verify(const Trace& trace) {
  NameSet defined;
  NameMap names;
  for (const auto& in : trace.inputs) {
    THUNDER_ASSERT(in.is_proxy(), "verifier: a trace input is not a proxy");
    THUNDER_ASSERT(!defined.count(in.node()), "verifier: input ", in.name(), " appears twice");
    bind_name(names, in);
    defined.insert(in.node());
  }
  verify_block(trace.bound_symbols, defined, names);
  for_each_proxy(trace.output, [&](const Value& p) {
    THUNDER_ASSERT(defined.count(p.node()), "verifier: the trace returns ", p.name(), " which is never defined");
  });
}

}  // namespace thunder
