#include "transforms/passes.h"

namespace thunder::transforms {

namespace {

void flatten(const BoundSymbol& b, std::vector<BoundSymbol>& out) {
  if (b.sym->is_prim() || b.subsymbols.empty()) {
    out.push_back(b);
    return;
  }
  for (const auto& sub : b.subsymbols) flatten(sub, out);
}

}  // namespace

Trace decompose_to_prims(const Trace& t) {
  Trace out = t;
  out.header = "Decomposition into prims";
  out.bound_symbols.clear();
  for (const auto& b : t.bound_symbols) flatten(b, out.bound_symbols);
  return out;
}

}  // namespace thunder::transforms
