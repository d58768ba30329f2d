#include <unordered_set>

#include "transforms/passes.h"

namespace thunder::transforms {

Trace dead_code_elimination(const Trace& t) {
  std::unordered_set<const ValueNode*> needed;
  for_each_proxy(t.output, [&](const Value& p) { needed.insert(p.node()); });
  std::vector<BoundSymbol> kept;
  for (auto it = t.bound_symbols.rbegin(); it != t.bound_symbols.rend(); ++it) {
    bool used = has_side_effect(*it);
    for (const auto& p : it->output_proxies()) used = used || needed.count(p.node());
    if (!used) continue;
    for (const auto& p : it->input_proxies()) needed.insert(p.node());
    kept.push_back(*it);
  }
  Trace out = t;
  out.header = "Dead Code Elimination";
  out.bound_symbols.assign(kept.rbegin(), kept.rend());
  return out;
}

}  // namespace thunder::transforms
