// Self-attention on a packed projection, as nanoGPT and GPT-2 write it: q, k and v are the thirds
// of one [B, T, 3C] tensor, each viewed as [B, H, T, E] (prims.slice, reshape, permute), and
// backward joins their gradients back into [B, T, 3C] (permute, reshape, cat) for the
// projection's backward. The CPU attention kernel reads heads at any strides and writes the
// gradients of self-attention into one [B, T, 3, H, E] buffer, so the pass hands it the packed
// tensor itself: each forward chain becomes one prims.sdpa_cpu_packed call, each backward one
// prims.sdpa_cpu_packed_backward call that returns the joined gradient. That is nine view calls
// fewer per forward attention and sixteen calls per backward, each a torch dispatch from Python.
#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "exec/executor.h"
#include "ops/ops.h"

namespace thunder::exec {

namespace {

std::optional<std::vector<int64_t>> ints(const Value& v) {
  if (!v.is_sequence()) return std::nullopt;
  std::vector<int64_t> out;
  for (const auto& x : v.items()) {
    if (!x.is_int()) return std::nullopt;
    out.push_back(x.as_int());
  }
  return out;
}

class Packer {
 public:
  explicit Packer(const Trace& t) : t_(t) {
    const auto& bsyms = t.bound_symbols;
    for (size_t i = 0; i < bsyms.size(); ++i) {
      for (const auto& p : bsyms[i].output_proxies()) producer_[p.node()] = i;
      for (const auto& p : bsyms[i].input_proxies()) {
        ++uses_[p.node()];
        consumer_[p.node()] = i;
      }
    }
    for_each_proxy(t.output, [&](const Value& p) { ++uses_[p.node()]; });
  }

  Trace run() {
    const auto& bsyms = t_.bound_symbols;
    std::unordered_map<size_t, BoundSymbol> replaced;
    for (size_t i = 0; i < bsyms.size(); ++i) {
      const std::string& name = bsyms[i].sym->name();
      if (name == "prims.sdpa_cpu") pack_forward(i, replaced);
      else if (name == "prims.sdpa_cpu_backward") pack_backward(i, replaced);
    }
    if (replaced.empty()) return t_;
    Trace out = t_;
    out.header = "Attention packing";
    out.bound_symbols.clear();
    for (size_t i = 0; i < bsyms.size(); ++i) {
      if (auto it = replaced.find(i); it != replaced.end()) out.bound_symbols.push_back(std::move(it->second));
      else if (!removed_.count(i)) out.bound_symbols.push_back(bsyms[i]);
    }
    return out;
  }

 private:
  // A call named `name` that defines `v`, where `v` is read once (by the call being matched).
  const BoundSymbol* only_use_of(const Value& v, const char* name, std::vector<size_t>& calls) const {
    if (!v.is_proxy() || uses_.count(v.node()) == 0 || uses_.at(v.node()) != 1) return nullptr;
    auto it = producer_.find(v.node());
    if (it == producer_.end() || removed_.count(it->second)) return nullptr;
    const BoundSymbol& b = t_.bound_symbols[it->second];
    if (b.sym->name() != name) return nullptr;
    calls.push_back(it->second);
    return &b;
  }

  // The call named `name` that reads `v`, the only call reading it.
  const BoundSymbol* sole_reader(const Value& v, const char* name, std::vector<size_t>& calls) const {
    if (!v.is_proxy() || uses_.count(v.node()) == 0 || uses_.at(v.node()) != 1) return nullptr;
    size_t i = consumer_.at(v.node());
    if (removed_.count(i)) return nullptr;
    const BoundSymbol& b = t_.bound_symbols[i];
    if (b.sym->name() != name) return nullptr;
    calls.push_back(i);
    return &b;
  }

  // A head view: permute(reshape(slice(X, [0, 0, offset], [B, T, offset + C]), [B, T, H, E]),
  // [0, 2, 1, 3]) of a [B, T, 3C] tensor X with C = H * E.
  struct Head {
    Value base;
    int64_t offset = 0, heads = 0, width = 0;
  };
  std::optional<Head> head(const Value& q, std::vector<size_t>& calls) const {
    const BoundSymbol* p = only_use_of(q, "prims.permute", calls);
    if (!p || ints(p->args.at(1)) != std::vector<int64_t>{0, 2, 1, 3}) return std::nullopt;
    const BoundSymbol* r = only_use_of(p->args.at(0), "prims.reshape", calls);
    if (!r || !r->output.is_tensor() || r->output.rank() != 4) return std::nullopt;
    const BoundSymbol* s = only_use_of(r->args.at(0), "prims.slice", calls);
    if (!s) return std::nullopt;
    const Value& x = s->args.at(0);
    auto start = ints(s->args.at(1)), end = ints(s->args.at(2)), step = ints(s->args.at(3));
    if (!x.is_tensor() || x.rank() != 3 || !start || !end || !step) return std::nullopt;
    const Shape& xs = x.shape();
    const Shape& hs = r->output.shape();
    int64_t width = hs[2] * hs[3];
    if (hs[0] != xs[0] || hs[1] != xs[1] || xs[2] != 3 * width) return std::nullopt;
    if (*step != std::vector<int64_t>{1, 1, 1} || (*start)[0] != 0 || (*start)[1] != 0 || (*end)[0] != xs[0] ||
        (*end)[1] != xs[1] || (*end)[2] - (*start)[2] != width)
      return std::nullopt;
    return Head{x, (*start)[2], hs[2], width};
  }

  // q, k and v: the three thirds of one tensor, in order.
  std::optional<Head> packed(const BoundSymbol& b, size_t first, std::vector<size_t>& calls) const {
    std::optional<Head> hq = head(b.args.at(first), calls), hk = head(b.args.at(first + 1), calls),
                        hv = head(b.args.at(first + 2), calls);
    if (!hq || !hk || !hv) return std::nullopt;
    bool same = hq->base.same(hk->base) && hq->base.same(hv->base) && hq->heads == hk->heads && hq->heads == hv->heads;
    if (!same || hq->offset != 0 || hk->offset != hq->width || hv->offset != 2 * hq->width) return std::nullopt;
    return hq;
  }

  BoundSymbol call(const BoundSymbol& at, const char* prim, std::vector<Value> args, Value output) const {
    BoundSymbol b;
    b.sym = &ops::op_table().at(prim);
    b.args = std::move(args);
    b.output = std::move(output);
    b.loc = at.loc;
    return b;
  }

  void pack_forward(size_t i, std::unordered_map<size_t, BoundSymbol>& replaced) {
    const BoundSymbol& b = t_.bound_symbols[i];
    std::vector<size_t> calls;
    std::optional<Head> h = packed(b, 0, calls);
    if (!h) return;
    std::vector<Value> args{h->base, Value::constant(h->heads), b.args.at(3), b.args.at(4)};
    if (defined_by(args, calls)) return;
    replaced.emplace(i, call(b, "prims.sdpa_cpu_packed", std::move(args), b.output));
    removed_.insert(calls.begin(), calls.end());
  }

  // prims.sdpa_cpu_backward(grad, q, k, v, out, logsumexp, is_causal, scale) on head views of one
  // tensor, whose three gradients are joined back: cat((reshape(permute(dq)), ...), 2).
  void pack_backward(size_t i, std::unordered_map<size_t, BoundSymbol>& replaced) {
    const BoundSymbol& b = t_.bound_symbols[i];
    std::vector<size_t> calls;
    std::optional<Head> h = packed(b, 1, calls);
    if (!h || !b.output.is_sequence() || b.output.items().size() != 3) return;
    const BoundSymbol* cat = nullptr;
    for (size_t g = 0; g < 3; ++g) {
      const BoundSymbol* p = sole_reader(b.output.items()[g], "prims.permute", calls);
      if (!p || ints(p->args.at(1)) != std::vector<int64_t>{0, 2, 1, 3}) return;
      const BoundSymbol* r = sole_reader(p->output, "prims.reshape", calls);
      const Shape& xs = h->base.shape();
      if (!r || r->output.shape() != Shape{xs[0], xs[1], h->width}) return;
      const BoundSymbol* c = sole_reader(r->output, "prims.cat", calls);
      if (!c || (cat && c != cat)) return;
      cat = c;
      const Value& parts = c->args.at(0);
      if (!parts.is_sequence() || parts.items().size() != 3 || !parts.items()[g].same(r->output) ||
          !c->args.at(1).is_int() || (c->args.at(1).as_int() != 2 && c->args.at(1).as_int() != -1))
        return;
    }
    // the cat, read once per gradient above, is one call
    std::sort(calls.begin(), calls.end());
    calls.erase(std::unique(calls.begin(), calls.end()), calls.end());
    std::vector<Value> args{b.args.at(0), h->base, b.args.at(4), b.args.at(5), Value::constant(h->heads), b.args.at(6),
                            b.args.at(7)};
    if (defined_by(args, calls)) return;
    replaced.emplace(i, call(b, "prims.sdpa_cpu_packed_backward", std::move(args), cat->output));
    removed_.insert(calls.begin(), calls.end());
  }

  // Whether one of `args` is the result of a call about to be removed (the new call could not
  // read it).
  bool defined_by(const std::vector<Value>& args, const std::vector<size_t>& calls) const {
    std::unordered_set<size_t> gone(calls.begin(), calls.end());
    for (const auto& a : args) {
      bool hit = false;
      for_each_proxy(a, [&](const Value& p) {
        auto it = producer_.find(p.node());
        hit = hit || (it != producer_.end() && gone.count(it->second));
      });
      if (hit) return true;
    }
    return false;
  }

  const Trace& t_;
  std::unordered_map<const ValueNode*, size_t> producer_, consumer_;
  std::unordered_map<const ValueNode*, int> uses_;
  std::unordered_set<size_t> removed_;
};

}  // namespace

Trace pack_attention(const Trace& t) { return Packer(t).run(); }

}  // namespace thunder::exec
