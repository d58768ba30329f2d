// Rematerialization as a minimum cut. Every forward value v that backward may need, directly or
// to recompute something it needs, is an edge in(v) -> out(v) whose capacity is what saving v
// costs. The source feeds the values that can only come from forward (forward inputs, outputs of
// calls that are not recomputable); a recomputable call links out(input) -> in(output) with
// infinite capacity; the values backward reads feed the sink. A finite cut is a set of values
// from which backward can recompute everything it reads through recomputable calls only, and the
// minimum cut is the cheapest such set.
//
// Costs: bytes * K + 1, K larger than the number of values, so bytes decide and the count of
// saved tensors breaks ties; forward inputs cost only the 1 (the caller holds them anyway), except
// inputs forward writes into, which backward cannot read again. Of the minimum cuts the one
// closest to the sink is taken (the least recomputation).
#include "transforms/remat.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "ir/error.h"

namespace thunder::transforms {

namespace {

constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;

// Dinic's maximum flow on an integer-capacity graph.
class FlowGraph {
 public:
  explicit FlowGraph(int n) : adj_(n), level_(n), next_(n) {}

  void add_edge(int from, int to, int64_t cap) {
    adj_[from].push_back(static_cast<int>(to_.size()));
    to_.push_back(to), cap_.push_back(cap);
    adj_[to].push_back(static_cast<int>(to_.size()));
    to_.push_back(from), cap_.push_back(0);
  }

  int64_t max_flow(int s, int t) {
    int64_t flow = 0;
    while (levels(s, t)) {
      std::fill(next_.begin(), next_.end(), 0);
      while (int64_t f = augment(s, t)) flow += f;
    }
    return flow;
  }

  /// After max_flow: the nodes that can still reach `t` through edges with residual capacity.
  std::vector<bool> reaching(int t) const {
    std::vector<bool> seen(adj_.size(), false);
    std::deque<int> queue{t};
    seen[t] = true;
    while (!queue.empty()) {
      int w = queue.front();
      queue.pop_front();
      for (int e : adj_[w]) {
        int u = to_[e];
        if (!seen[u] && cap_[e ^ 1] > 0) seen[u] = true, queue.push_back(u);
      }
    }
    return seen;
  }

 private:
  bool levels(int s, int t) {
    std::fill(level_.begin(), level_.end(), -1);
    std::deque<int> queue{s};
    level_[s] = 0;
    while (!queue.empty()) {
      int u = queue.front();
      queue.pop_front();
      for (int e : adj_[u])
        if (cap_[e] > 0 && level_[to_[e]] < 0) level_[to_[e]] = level_[u] + 1, queue.push_back(to_[e]);
    }
    return level_[t] >= 0;
  }

  // One blocking-flow path, found iteratively (graphs of deep models are long chains).
  int64_t augment(int s, int t) {
    std::vector<int> path;  // edges from s
    int u = s;
    while (true) {
      if (u == t) {
        int64_t f = kInf;
        for (int e : path) f = std::min(f, cap_[e]);
        for (int e : path) cap_[e] -= f, cap_[e ^ 1] += f;
        return f;
      }
      bool advanced = false;
      for (; next_[u] < static_cast<int>(adj_[u].size()); ++next_[u]) {
        int e = adj_[u][next_[u]];
        if (cap_[e] > 0 && level_[to_[e]] == level_[u] + 1) {
          path.push_back(e);
          u = to_[e];
          advanced = true;
          break;
        }
      }
      if (advanced) continue;
      if (path.empty()) return 0;
      level_[u] = -1;  // dead end
      u = to_[path.back() ^ 1];
      path.pop_back();
      ++next_[u];
    }
  }

  std::vector<std::vector<int>> adj_;
  std::vector<int> to_;
  std::vector<int64_t> cap_;
  std::vector<int> level_, next_;
};

int64_t value_bytes(const Value& v) {
  if (!v.is_tensor()) return 0;
  int64_t n = itemsize(v.dtype());
  for (auto d : v.shape()) n *= d;
  return n;
}

}  // namespace

int64_t tensor_bytes(const std::vector<Value>& values) {
  int64_t total = 0;
  for (const auto& v : values) total += value_bytes(v);
  return total;
}

bool recomputable(const BoundSymbol& b) {
  const Symbol& sym = *b.sym;
  if (has_side_effect(b) || sym.fusion() == FusionClass::Opaque) return false;
  for (const auto& p : b.input_proxies())
    if (!p.is_tensor()) return false;
  auto outs = b.output_proxies();
  if (outs.empty()) return false;
  for (const auto& p : outs)
    if (!p.is_tensor()) return false;
  return true;
}

GradTraces rematerialize(GradTraces g) {
  if (g.saved.empty()) return g;
  const Trace& fw = g.forward;
  // forward values: inputs (producer -1) and call outputs (producer: the call's index)
  std::unordered_map<const ValueNode*, int> producer;
  for (const auto& in : fw.inputs) producer.emplace(in.node(), -1);
  const size_t n_calls = fw.bound_symbols.size();
  std::vector<bool> can_recompute(n_calls);
  std::vector<std::vector<Value>> fw_ins(n_calls), fw_outs(n_calls);
  for (size_t i = 0; i < n_calls; ++i) {
    const BoundSymbol& b = fw.bound_symbols[i];
    can_recompute[i] = recomputable(b);
    fw_ins[i] = b.input_proxies();
    fw_outs[i] = b.output_proxies();
    for (const auto& p : fw_outs[i]) producer.emplace(p.node(), static_cast<int>(i));
  }
  auto recomputable_value = [&](const ValueNode* v) {
    auto it = producer.find(v);
    return it != producer.end() && it->second >= 0 && can_recompute[it->second];
  };

  // the values backward may need: what it reads, and what recomputing those reads
  std::unordered_set<const ValueNode*> in_graph;
  std::vector<const ValueNode*> stack;
  for (const auto& s : g.saved)
    if (in_graph.insert(s.node()).second) stack.push_back(s.node());
  while (!stack.empty()) {
    const ValueNode* v = stack.back();
    stack.pop_back();
    if (!recomputable_value(v)) continue;
    for (const auto& p : fw_ins[producer.at(v)])
      if (in_graph.insert(p.node()).second) stack.push_back(p.node());
  }
  // ids in forward order, so the graph (and the cut) does not depend on hashing
  std::vector<Value> values;
  std::unordered_map<const ValueNode*, int> id;
  auto number = [&](const Value& p) {
    if (in_graph.count(p.node()) && !id.count(p.node())) {
      id.emplace(p.node(), static_cast<int>(values.size()));
      values.push_back(p);
    }
  };
  for (const auto& in : fw.inputs) number(in);
  for (const auto& outs : fw_outs)
    for (const auto& p : outs) number(p);
  THUNDER_ASSERT(values.size() == in_graph.size(), "rematerialization: backward reads a value forward does not define");

  const int n = static_cast<int>(values.size());
  const int source = 0, sink = 1;
  auto in_node = [](int i) { return 2 + 2 * i; };
  auto out_node = [](int i) { return 3 + 2 * i; };
  FlowGraph graph(2 + 2 * n);
  // the grad transform's own list is a cut: the minimum costs no more, so flows stay far below
  // kInf unless tie-breaking would overflow (then bytes alone decide)
  int64_t scale = n + 1;
  if (tensor_bytes(g.saved) + 1 >= kInf / 4 / scale) scale = 1;
  // an input that forward updates in place (prims.copy_ into it) holds other values by the time
  // backward runs: backward may read it only where the grad transform already did
  std::unordered_set<const ValueNode*> written, read_before;
  for (const auto& b : fw.bound_symbols)
    if (b.sym->name() == "prims.copy_") written.insert(b.args.at(0).node());
  for (const auto& s : g.saved) read_before.insert(s.node());
  for (int i = 0; i < n; ++i) {
    const ValueNode* v = values[i].node();
    int64_t cost = value_bytes(values[i]) * scale + 1;
    if (producer.at(v) < 0) cost = written.count(v) && !read_before.count(v) ? kInf : 1;
    graph.add_edge(in_node(i), out_node(i), cost);
    if (!recomputable_value(v)) {
      graph.add_edge(source, in_node(i), kInf);
      continue;
    }
    for (const auto& p : fw_ins[producer.at(v)])
      graph.add_edge(out_node(id.at(p.node())), in_node(i), kInf);
  }
  for (const auto& s : g.saved) graph.add_edge(out_node(id.at(s.node())), sink, kInf);
  graph.max_flow(source, sink);
  std::vector<bool> sink_side = graph.reaching(sink);
  THUNDER_ASSERT(!sink_side[source], "rematerialization: the cut is infinite");
  std::unordered_set<const ValueNode*> keep;
  for (int i = 0; i < n; ++i)
    if (!sink_side[in_node(i)] && sink_side[out_node(i)]) keep.insert(values[i].node());

  // backward: each recomputed call just before the first call that reads one of its outputs; the
  // new saved list is the kept values in order of first use
  Trace& bw = g.backward;
  const size_t n_old = g.saved.size();
  std::unordered_set<const ValueNode*> available(keep);
  for (size_t i = n_old; i < bw.inputs.size(); ++i) available.insert(bw.inputs[i].node());
  GradTraces out;
  std::unordered_set<const ValueNode*> noted;
  std::vector<BoundSymbol> bsyms;
  auto append = [&](BoundSymbol b, const std::vector<Value>& ins, const std::vector<Value>& outs) {
    for (const auto& p : ins)
      if (keep.count(p.node()) && noted.insert(p.node()).second) out.saved.push_back(p);
    bsyms.push_back(std::move(b));
    for (const auto& p : outs) available.insert(p.node());
  };
  // the call that recomputes a forward value backward lacks
  auto recompute_call = [&](const Value& p) {
    auto it = producer.find(p.node());
    THUNDER_ASSERT(it != producer.end() && it->second >= 0 && can_recompute[it->second], "rematerialization: ",
                   "backward needs ", p.name(), ", which is neither saved nor recomputable");
    return it->second;
  };
  auto provide = [&](const Value& want) {
    if (available.count(want.node()) || !producer.count(want.node())) return;
    // iterative post-order over producers
    std::vector<std::pair<int, bool>> todo{{recompute_call(want), false}};
    while (!todo.empty()) {
      auto [i, expanded] = todo.back();
      todo.pop_back();
      if (available.count(fw_outs[i].front().node())) continue;
      if (expanded) {
        append(fw.bound_symbols[i], fw_ins[i], fw_outs[i]);
        continue;
      }
      todo.push_back({i, true});
      for (const auto& p : fw_ins[i])
        if (!available.count(p.node())) todo.push_back({recompute_call(p), false});
    }
  };
  for (auto& b : bw.bound_symbols) {
    std::vector<Value> ins = b.input_proxies();
    for (const auto& p : ins) provide(p);
    std::vector<Value> outs = b.output_proxies();
    append(std::move(b), ins, outs);
  }
  std::vector<Value> returned;
  for_each_proxy(bw.output, [&](const Value& p) {
    provide(p);
    returned.push_back(p);
  });
  for (const auto& p : returned)
    if (keep.count(p.node()) && noted.insert(p.node()).second) out.saved.push_back(p);

  out.backward = std::move(bw);
  out.backward.header = "Rematerialization (backward)";
  out.backward.bound_symbols = std::move(bsyms);
  std::vector<Value> cotangents(out.backward.inputs.begin() + static_cast<std::ptrdiff_t>(n_old),
                                out.backward.inputs.end());
  out.backward.inputs = out.saved;
  out.backward.inputs.insert(out.backward.inputs.end(), cotangents.begin(), cotangents.end());
  out.forward = std::move(g.forward);
  out.forward.header = "Rematerialization";
  const Value& fw_out = out.forward.output;
  THUNDER_ASSERT(fw_out.is_sequence() && fw_out.items().size() == 2, "rematerialization: the forward trace ",
                 "does not return (output, saved)");
  out.forward.output = Value::sequence({fw_out.items()[0], Value::sequence(out.saved)});
  out.cotangent_positions = g.cotangent_positions;
  return out;
}

}  // namespace thunder::transforms
