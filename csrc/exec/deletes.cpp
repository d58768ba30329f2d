#include <unordered_map>
#include <unordered_set>

#include "exec/executor.h"

namespace thunder::exec {

Trace insert_deletes(const Trace& t) {
  std::unordered_set<const ValueNode*> returned;
  for_each_proxy(t.output, [&](const Value& p) { returned.insert(p.node()); });
  // index of the last call that reads (or, if never read, defines) each proxy
  std::unordered_map<const ValueNode*, size_t> last;
  const auto& bsyms = t.bound_symbols;
  for (size_t i = 0; i < bsyms.size(); ++i) {
    for (const auto& p : bsyms[i].output_proxies()) last[p.node()] = i;
    for (const auto& p : bsyms[i].input_proxies()) last[p.node()] = i;
  }
  std::vector<std::vector<Value>> dels(bsyms.size());
  std::unordered_set<const ValueNode*> noted;
  auto note = [&](size_t i, const Value& p) {
    if (last[p.node()] == i && !returned.count(p.node()) && noted.insert(p.node()).second) dels[i].push_back(p);
  };
  for (size_t i = 0; i < bsyms.size(); ++i) {
    for (const auto& p : bsyms[i].input_proxies()) note(i, p);
    for (const auto& p : bsyms[i].output_proxies()) note(i, p);
  }
  Trace out = t;
  out.header = "Transform for execution";
  out.bound_symbols.clear();
  for (size_t i = 0; i < bsyms.size(); ++i) {
    out.bound_symbols.push_back(bsyms[i]);
    if (dels[i].empty()) continue;
    BoundSymbol d;
    d.sym = &del_symbol();
    d.args = {Value::sequence(dels[i])};
    d.output = Value::none();
    out.bound_symbols.push_back(std::move(d));
  }
  return out;
}

}  // namespace thunder::exec
