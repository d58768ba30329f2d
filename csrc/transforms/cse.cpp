#include <unordered_map>

#include "transforms/passes.h"

namespace thunder::transforms {

namespace {

// Proxies by identity, constants by their Python spelling (which tells 1, 1.0 and True apart).
void key_of(const Value& v, std::string& key) {
  if (v.is_proxy()) {
    key += "%" + std::to_string(reinterpret_cast<uintptr_t>(v.node()));
  } else if (v.is_sequence()) {
    key += v.is_list() ? "[" : "(";
    for (const auto& item : v.items()) {
      key_of(item, key);
      key += ",";
    }
    key += v.is_list() ? "]" : ")";
  } else {
    key += python_repr(v);
  }
}

using Renames = std::unordered_map<const ValueNode*, Value>;

Value renamed(const Value& v, const Renames& r) {
  return map_proxies(v, [&](const Value& p) {
    auto it = r.find(p.node());
    return it == r.end() ? p : it->second;
  });
}

void rename_args(BoundSymbol& b, const Renames& r) {
  for (auto& a : b.args) a = renamed(a, r);
  for (auto& sub : b.subsymbols) rename_args(sub, r);
}

// Calls that must never be merged: side effects (random draws advance the generator, copy_
// writes an input), torch calls outside the op table and custom operators, whose purity is unknown.
bool mergeable(const BoundSymbol& b) {
  return !has_side_effect(b) && !b.sym->name().starts_with("fallback.") && !b.sym->name().starts_with("custom.") &&
         !b.output_proxies().empty();
}

}  // namespace

Trace common_subexpression_elimination(const Trace& t) {
  Renames renames;
  std::unordered_map<std::string, size_t> seen;  // key -> index of the kept call in `out`
  Trace out = t;
  out.header = "Common Subexpression Elimination";
  out.bound_symbols.clear();
  out.bound_symbols.reserve(t.bound_symbols.size());
  int grad_epoch = 0;  // a call under another grad mode records differently for autograd
  // a permute of a permute is one permute of the first one's input, or that input itself where
  // they cancel (a linear's backward transposes the forward's transposed weight back); likewise a
  // reshape of a reshape
  std::unordered_map<const ValueNode*, std::pair<Value, std::vector<int64_t>>> permutes;
  std::unordered_map<const ValueNode*, Value> reshapes;
  for (const auto& original : t.bound_symbols) {
    BoundSymbol b = original;
    if (!renames.empty()) rename_args(b, renames);
    if (b.sym->name() == "prims.permute" && b.args.size() == 2 && b.args[0].is_proxy() && b.args[1].is_sequence()) {
      std::vector<int64_t> perm;
      for (const auto& d : b.args[1].items()) perm.push_back(d.as_int());
      if (auto it = permutes.find(b.args[0].node()); it != permutes.end()) {
        const auto& [base, inner] = it->second;
        bool identity = true;
        for (size_t i = 0; i < perm.size(); ++i) {
          perm[i] = inner.at(static_cast<size_t>(perm[i]));
          identity = identity && perm[i] == static_cast<int64_t>(i);
        }
        if (identity) {
          renames[b.output.node()] = base;
          continue;
        }
        std::vector<Value> dims;
        for (int64_t d : perm) dims.push_back(Value::constant(d));
        b.args[0] = base;
        b.args[1] = Value::sequence(std::move(dims), b.args[1].is_list());
      }
      permutes[b.output.node()] = {b.args[0], perm};
    }
    if (b.sym->name() == "prims.reshape" && b.args.size() == 2 && b.args[0].is_proxy() && b.output.is_tensor()) {
      if (auto it = reshapes.find(b.args[0].node()); it != reshapes.end()) {
        if (it->second.shape() == b.output.shape()) {
          renames[b.output.node()] = it->second;
          continue;
        }
        b.args[0] = it->second;
      }
      reshapes[b.output.node()] = b.args[0];
    }
    if (b.sym->name() == "prims.set_grad_enabled") ++grad_epoch;
    if (mergeable(b)) {
      std::string key = std::to_string(grad_epoch) + "|" + std::to_string(reinterpret_cast<uintptr_t>(b.sym));
      for (const auto& a : b.args) {
        key += ";";
        key_of(a, key);
      }
      auto [it, fresh] = seen.emplace(key, out.bound_symbols.size());
      if (!fresh) {
        const BoundSymbol& earlier = out.bound_symbols[it->second];
        auto mine = b.output_proxies();
        auto theirs = earlier.output_proxies();
        if (mine.size() == theirs.size()) {
          for (size_t i = 0; i < mine.size(); ++i) renames[mine[i].node()] = theirs[i];
          continue;
        }
      }
    }
    out.bound_symbols.push_back(std::move(b));
  }
  if (!renames.empty()) out.output = renamed(out.output, renames);
  return out;
}

}  // namespace thunder::transforms
