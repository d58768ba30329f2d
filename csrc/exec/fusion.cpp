// Fusion partitioning: the calls a fusion executor claimed become maximal acyclic regions.
#include <algorithm>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "exec/executor.h"
#include "ir/error.h"

namespace thunder::exec {

namespace detail {
const Symbol* original_of(const Symbol& sym);
const Symbol& region_symbol(const std::string& name, const std::string& executor, const std::vector<Value>& outs);
}  // namespace detail

namespace {

using GroupSet = std::vector<int>;  // sorted ids of the regions a call depends on

GroupSet merge(const GroupSet& a, const GroupSet& b) {
  GroupSet out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

bool contains(const GroupSet& s, int g) { return std::binary_search(s.begin(), s.end(), g); }

std::string device_of(const BoundSymbol& b) {
  for (const auto& p : b.output_proxies())
    if (p.is_tensor()) return p.meta().device.str();
  for (const auto& p : b.input_proxies())
    if (p.is_tensor()) return p.meta().device.str();
  return "";
}

struct Group {
  const Executor* ex;
  std::string device;
  std::vector<size_t> members;
};

}  // namespace

bool is_fusion_region(const BoundSymbol& b) {
  return b.sym && !executor_of(*b.sym).empty() && detail::original_of(*b.sym) == nullptr;
}

// Elements from which a tensor two regions both read is worth reading once (a weight vector of a
// layer norm is not; an activation is).
constexpr int64_t kLargeTensor = 4096;

Trace partition_fusions(const Trace& t, const std::vector<Executor>& executors) {
  const auto& bsyms = t.bound_symbols;
  const size_t n = bsyms.size();
  std::unordered_map<std::string, const Executor*> fusion_by_name;
  for (const auto& ex : executors)
    if (ex.kind == Executor::Kind::Fusion) fusion_by_name[ex.name] = &ex;

  // the call defining each value (traces define a value once, before its uses)
  std::unordered_map<const ValueNode*, size_t> producer;
  for (size_t i = 0; i < n; ++i)
    for (const auto& p : bsyms[i].output_proxies()) producer[p.node()] = i;
  std::vector<int> group(n, -1);
  std::vector<GroupSet> deps(n);
  std::vector<bool> reduction_root(n, false);  // a reduction (its region ends with it)
  std::vector<Group> groups;
  // what each region's members read from outside it: a region runs as one unit, so whatever one
  // member waits for, the whole region waits for (and regions grow after their readers are seen)
  std::vector<GroupSet> group_deps;
  std::vector<char> read_outside;  // per region: whether a call outside it has read its values
  // per region: the large tensors its members read (a sibling call reading one of them may still
  // join a closed region: one pass over the shared tensor instead of two)
  std::vector<std::unordered_set<const ValueNode*>> large_inputs;
  std::vector<std::vector<size_t>> producers(n);
  GroupSet all_so_far;  // every region so far, which a barrier depends on
  GroupSet barrier;     // the last barrier's dependences: regions before it are closed

  // Values a fusion executor computes from nothing (iota, full, and views of them) or views of the
  // trace's inputs (a layer norm's weight expanded to the activation's shape): a region that reads
  // one computes it itself, from a copy of the chain, instead of reading a broadcast tensor (an
  // index grid expanded over a whole block, say), and a call reading one joins regions as if it
  // did not. generator[i]: the executor that claimed such a call, else null.
  std::vector<const Executor*> generator(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    const BoundSymbol& b = bsyms[i];
    auto it = fusion_by_name.find(executor_of(*b.sym));
    if (has_side_effect(b) || it == fusion_by_name.end() || !detail::original_of(*b.sym) || !b.output.is_tensor())
      continue;
    bool view = detail::original_of(*b.sym)->fusion() == FusionClass::Shape;
    bool from_nothing = true;
    for (const auto& p : b.input_proxies()) {
      auto pr = producer.find(p.node());
      bool input_view = view && pr == producer.end() && p.is_tensor();
      from_nothing = from_nothing && (input_view || (pr != producer.end() && generator[pr->second] == it->second));
    }
    if (from_nothing) generator[i] = it->second;
  }

  std::vector<int> epoch(n, 0);  // side effects before each call
  int side_effects = 0;
  for (size_t i = 0; i < n; ++i) {
    const BoundSymbol& b = bsyms[i];
    epoch[i] = side_effects;
    GroupSet d = barrier;
    for (const auto& p : b.input_proxies()) {
      auto it = producer.find(p.node());
      if (it == producer.end()) continue;
      producers[i].push_back(it->second);
      d = merge(d, deps[it->second]);
    }
    if (has_side_effect(b)) {
      deps[i] = barrier = all_so_far;
      ++side_effects;
      continue;
    }
    const Executor* ex = nullptr;
    if (auto it = fusion_by_name.find(executor_of(*b.sym)); it != fusion_by_name.end() && detail::original_of(*b.sym))
      ex = it->second;
    // a region whose values a call outside it reads is closed to calls that read none of its
    // values: joining it would make them wait for that reader's inputs, and a later call reading
    // both could then join neither
    auto note_readers = [&](int g) {
      for (size_t p : producers[i])
        if (group[p] >= 0 && group[p] != g) read_outside[group[p]] = 1;
    };
    if (!ex) {
      note_readers(-1);
      deps[i] = std::move(d);
      continue;
    }
    std::string device = device_of(b);
    // every region each producer waits for, directly or through regions that grew since
    std::vector<std::vector<char>> upstream;
    for (size_t p : producers[i]) {
      std::vector<char> seen(groups.size(), 0);
      std::vector<int> todo(deps[p].begin(), deps[p].end());
      while (!todo.empty()) {
        int h = todo.back();
        todo.pop_back();
        if (seen[h]) continue;
        seen[h] = 1;
        for (int k : group_deps[h])
          if (!seen[k]) todo.push_back(k);
      }
      upstream.push_back(std::move(seen));
    }
    auto safe = [&](int g) {
      const Group& G = groups[g];
      if (G.ex != ex || G.device != device || contains(barrier, g)) return false;
      for (size_t k = 0; k < producers[i].size(); ++k) {
        size_t p = producers[i][k];
        if (group[p] == g) {
          if (ex->reductions_end_regions && reduction_root[p]) return false;
        } else if (upstream[k][g]) {
          return false;  // a path leaves the region and comes back: a cycle
        }
      }
      return true;
    };
    int chosen = -1;
    // the region of the latest producer first, then any other region (latest first)
    for (auto it = producers[i].rbegin(); it != producers[i].rend() && chosen < 0; ++it)
      if (group[*it] >= 0 && !(generator[*it] && !generator[i]) && safe(group[*it])) chosen = group[*it];
    // a closed region still takes a sibling: a call reading a large tensor the region reads (the
    // recomputed gelu or layer norm beside its backward, both reading the forward's input)
    auto sibling = [&](int g) {
      for (const auto& p : b.input_proxies())
        if (large_inputs[g].count(p.node())) return true;
      return false;
    };
    for (int g = static_cast<int>(groups.size()) - 1; g >= 0 && chosen < 0; --g)
      if ((!read_outside[g] || sibling(g)) && safe(g)) chosen = g;
    if (chosen < 0) {
      chosen = static_cast<int>(groups.size());
      groups.push_back(Group{ex, device, {}});
      group_deps.emplace_back();
      read_outside.push_back(0);
      large_inputs.emplace_back();
      all_so_far.push_back(chosen);  // ids grow, so the set stays sorted
    }
    note_readers(chosen);
    for (const auto& p : b.input_proxies())
      if (p.is_tensor() && numel(p.shape()) >= kLargeTensor) large_inputs[chosen].insert(p.node());
    group[i] = chosen;
    groups[chosen].members.push_back(i);
    reduction_root[i] = b.sym->fusion() == FusionClass::Reduction;
    GroupSet outside;
    std::copy_if(d.begin(), d.end(), std::back_inserter(outside), [&](int g) { return g != chosen; });
    group_deps[chosen] = merge(group_deps[chosen], outside);
    deps[i] = merge(d, GroupSet{chosen});
  }

  // what each call reads, to find the values a region must hand out
  std::unordered_map<const ValueNode*, std::vector<size_t>> readers;
  for (size_t i = 0; i < n; ++i)
    for (const auto& p : bsyms[i].input_proxies()) readers[p.node()].push_back(i);
  std::unordered_set<const ValueNode*> returned;
  for_each_proxy(t.output, [&](const Value& p) { returned.insert(p.node()); });

  // whether a generator's value is still needed where no region copies it
  std::vector<char> needed_outside(n, 0);
  for (size_t i = n; i-- > 0;) {
    if (!generator[i]) continue;
    for (const auto& p : bsyms[i].output_proxies()) {
      if (returned.count(p.node())) needed_outside[i] = 1;
      if (auto r = readers.find(p.node()); r != readers.end())
        for (size_t reader : r->second) {
          bool copies = group[reader] >= 0 && groups[group[reader]].ex == generator[i] &&
                        (!generator[reader] || !needed_outside[reader]);
          if (!copies) needed_outside[i] = 1;
        }
    }
  }

  // generators already emitted on their own (for a piece too small to be a region): a region
  // reading one later reads that value rather than defining it again
  std::unordered_set<size_t> generators_run;
  // A region of `members` (indices, in order): arguments, outputs used outside it, prims.
  auto make_region = [&](const std::vector<size_t>& given) {
    std::unordered_set<size_t> inside(given.begin(), given.end()), copied;
    const Executor* ex = groups[group[given.front()]].ex;
    std::vector<size_t> members;
    // only generators no call outside a region needs are copied: the others are emitted as they
    // are (perhaps before this region), and a copy would define their values a second time
    auto copyable = [&](size_t g) { return generator[g] == ex && !needed_outside[g] && !generators_run.count(g); };
    std::function<void(size_t)> copy_in = [&](size_t g) {
      if (inside.count(g)) return;
      for (const auto& p : bsyms[g].input_proxies())
        if (auto q = producer.find(p.node()); q != producer.end() && copyable(q->second)) copy_in(q->second);
      inside.insert(g);
      copied.insert(g);
      members.push_back(g);
    };
    for (size_t i : given)
      for (const auto& p : bsyms[i].input_proxies())
        if (auto pr = producer.find(p.node()); pr != producer.end() && copyable(pr->second)) copy_in(pr->second);
    members.insert(members.end(), given.begin(), given.end());
    BoundSymbol region;
    std::unordered_set<const ValueNode*> defined, seen;
    std::vector<Value> outs;
    for (size_t i : members) {
      BoundSymbol sub = bsyms[i];
      sub.sym = detail::original_of(*sub.sym);
      for (const auto& p : sub.input_proxies())
        if (!defined.count(p.node()) && seen.insert(p.node()).second) region.args.push_back(p);
      for (const auto& p : sub.output_proxies()) {
        defined.insert(p.node());
        if (copied.count(i)) continue;  // a copy: whoever else reads the value reads the original
        bool used_outside = returned.count(p.node()) > 0;
        if (auto it = readers.find(p.node()); it != readers.end())
          for (size_t r : it->second) used_outside = used_outside || !inside.count(r);
        if (used_outside) outs.push_back(p);
      }
      region.subsymbols.push_back(std::move(sub));
    }
    region.output = Value::sequence(std::move(outs), /*is_list=*/true);
    region.loc = region.subsymbols.front().loc;
    return region;
  };
  // A philox draw counts twice: ten rounds of integer math per element, whose unfused form (the
  // reference's torch integer ops) is far slower than a kernel of its own, even a lone one.
  auto computing_prims = [&](const std::vector<size_t>& piece) {
    int n_computing = 0;
    for (size_t i : piece) {
      const Symbol& sym = *detail::original_of(*bsyms[i].sym);
      n_computing += sym.fusion() != FusionClass::Shape;
      n_computing += sym.name() == "prims.uniform_philox" || sym.name() == "prims.normal_philox";
    }
    return n_computing;
  };

  // Reshapes, permutes and expands at a region's end, read only outside it, run after it as views
  // of its output: a kernel writing a permuted or broadcast layout writes strided (or more) memory,
  // where torch's view costs nothing and a matmul reads the transposed layout as it is.
  auto split_trailing_views = [&](const std::vector<size_t>& piece) {
    std::unordered_set<size_t> in_piece(piece.begin(), piece.end()), moved;
    for (auto it = piece.rbegin(); it != piece.rend(); ++it) {
      if (generator[*it]) continue;  // copies of it inside the region may read it
      const std::string& name = detail::original_of(*bsyms[*it].sym)->name();
      if (name != "prims.reshape" && name != "prims.permute" && name != "prims.expand") continue;
      bool only_outside = true;
      for (const auto& p : bsyms[*it].output_proxies())
        if (auto r = readers.find(p.node()); r != readers.end())
          for (size_t reader : r->second) only_outside = only_outside && (!in_piece.count(reader) || moved.count(reader));
      if (only_outside) moved.insert(*it);
    }
    std::pair<std::vector<size_t>, std::vector<size_t>> split;
    for (size_t i : piece) (moved.count(i) ? split.second : split.first).push_back(i);
    if (computing_prims(split.first) == 0) return std::make_pair(piece, std::vector<size_t>{});
    return split;
  };

  // Reductions at a region's edge (no other member reads them: a bias gradient's column sum) that
  // the executor cannot compile with the rest leave it and run after it. Gives the members to keep
  // (the rest and the leaves that fit) and the leaves left out, or nothing when the rest does not
  // fit either. `accepts` checks a member list.
  auto without_misfit_leaves = [&](const std::vector<size_t>& members, const auto& accepts)
      -> std::optional<std::pair<std::vector<size_t>, std::vector<size_t>>> {
    std::unordered_set<const ValueNode*> read_inside;
    for (size_t i : members)
      for (const auto& p : bsyms[i].input_proxies()) read_inside.insert(p.node());
    std::vector<size_t> rest, leaves;
    for (size_t i : members) {
      bool leaf = detail::original_of(*bsyms[i].sym)->fusion() == FusionClass::Reduction;
      for (const auto& p : bsyms[i].output_proxies()) leaf = leaf && !read_inside.count(p.node());
      (leaf ? leaves : rest).push_back(i);
    }
    if (leaves.empty() || rest.empty() || !accepts(rest)) return std::nullopt;
    std::vector<size_t> left_out;
    for (size_t leaf : leaves) {
      std::vector<size_t> with = rest;
      with.insert(std::upper_bound(with.begin(), with.end(), leaf), leaf);
      if (accepts(with)) rest = std::move(with);
      else left_out.push_back(leaf);
    }
    return std::make_pair(std::move(rest), std::move(left_out));
  };
  // Where the executor cannot compile a region whole, it is cut, in order, into the longest
  // pieces it accepts; each piece reads only what earlier pieces or calls computed. Where leaving
  // out the reductions at its edge that do not fit (above) needs fewer pieces, those run after.
  auto pieces = [&](const Executor& ex, const std::vector<size_t>& members) {
    if (!ex.region_checker) return std::vector<std::vector<size_t>>{members};
    auto plain = [&](const std::vector<size_t>& m) { return ex.region_checker(make_region(m)); };
    auto in_order = [&](const std::vector<size_t>& m, const auto& accepts) {
      std::vector<std::vector<size_t>> out;
      for (size_t i : m) {
        if (!out.empty()) {
          out.back().push_back(i);
          if (accepts(out.back())) continue;
          out.back().pop_back();
        }
        out.push_back({i});
      }
      return out;
    };
    std::vector<std::vector<size_t>> out = in_order(members, plain);
    if (out.size() == 1) return out;
    // with its trailing views run after it (as emitted below) or kept inside
    auto accepts = [&](const std::vector<size_t>& m) {
      auto [inside, after] = split_trailing_views(m);
      return ex.region_checker(make_region(inside)) || (!after.empty() && ex.region_checker(make_region(m)));
    };
    if (auto fit = without_misfit_leaves(members, accepts)) {
      std::vector<std::vector<size_t>> cut = in_order(fit->first, accepts);
      if (cut.size() < out.size()) {
        for (size_t leaf : fit->second) cut.push_back({leaf});
        return cut;
      }
    }
    return out;
  };

  // Regions the greedy pass above left apart that can run as one kernel: a region reading another
  // one's values or a large tensor the other reads too (a recomputed layer norm and the start of
  // its backward, which the greedy pass split around an outside reader of the first) merges into
  // it when no call outside both lies on a path from one to the other (that would be a cycle),
  // no side effect separates them, and the executor accepts the merged region.
  {
    auto reaches = [&](const GroupSet& start, int x, int y) {
      std::vector<char> seen(groups.size(), 0);
      std::vector<int> todo(start.begin(), start.end());
      while (!todo.empty()) {
        int h = todo.back();
        todo.pop_back();
        if (seen[h]) continue;
        if (h == x || h == y) return true;
        seen[h] = 1;
        for (int k : group_deps[h])
          if (!seen[k]) todo.push_back(k);
      }
      return false;
    };
    auto related = [&](int x, int y) {  // y reads x's values, or both read one large tensor
      for (size_t i : groups[y].members)
        for (size_t p : producers[i])
          if (group[p] == x) return true;
      for (const ValueNode* v : large_inputs[y])
        if (large_inputs[x].count(v)) return true;
      return false;
    };
    auto mergeable = [&](int x, int y) {
      const Group &X = groups[x], &Y = groups[y];
      if (X.members.empty() || Y.members.empty() || X.ex != Y.ex || X.device != Y.device) return false;
      if (X.ex->reductions_end_regions) return false;  // its regions were cut after reductions on purpose
      if (epoch[X.members.front()] != epoch[Y.members.back()] || epoch[Y.members.front()] != epoch[X.members.back()])
        return false;
      if (!related(x, y) && !related(y, x)) return false;
      for (int g : {x, y})
        for (size_t i : groups[g].members)
          for (size_t p : producers[i]) {
            if (group[p] == x || group[p] == y) continue;
            if (reaches(deps[p], x, y)) return false;
          }
      if (!X.ex->region_checker) return true;
      std::vector<size_t> both;
      std::merge(X.members.begin(), X.members.end(), Y.members.begin(), Y.members.end(), std::back_inserter(both));
      std::vector<size_t> kept;
      for (size_t i : both)
        if (!generator[i] || needed_outside[i]) kept.push_back(i);
      if (kept.empty()) return true;
      auto accepts = [&](const std::vector<size_t>& m) {
        auto [inside, after] = split_trailing_views(m);
        return X.ex->region_checker(make_region(inside));
      };
      return accepts(kept) || without_misfit_leaves(kept, accepts).has_value();
    };
    auto rename = [&](GroupSet& set, int from, int to) {
      if (!contains(set, from)) return;
      set.erase(std::lower_bound(set.begin(), set.end(), from));
      if (!contains(set, to)) set.insert(std::lower_bound(set.begin(), set.end(), to), to);
    };
    for (int y = 1; y < static_cast<int>(groups.size()); ++y)
      for (int x = y - 1; x >= 0; --x) {
        if (!mergeable(x, y)) continue;
        std::vector<size_t> both;
        std::merge(groups[x].members.begin(), groups[x].members.end(), groups[y].members.begin(),
                   groups[y].members.end(), std::back_inserter(both));
        groups[x].members = std::move(both);
        for (size_t i : groups[y].members) group[i] = x;
        groups[y].members.clear();
        group_deps[x] = merge(group_deps[x], group_deps[y]);
        for (auto& gd : group_deps) rename(gd, y, x);
        for (auto& d : deps) rename(d, y, x);
        for (int g : {x, y})
          if (contains(group_deps[x], g)) group_deps[x].erase(std::lower_bound(group_deps[x].begin(), group_deps[x].end(), g));
        large_inputs[x].insert(large_inputs[y].begin(), large_inputs[y].end());
        break;  // y is gone; go on with the next
      }
  }

  // Units to place: each region and each call outside regions. Kahn's algorithm, always taking
  // the ready unit whose first call came first, keeps the original order where it can.
  std::vector<int> unit_of(n);
  std::vector<std::vector<size_t>> units;
  std::vector<int> unit_of_group(groups.size(), -1);
  for (size_t i = 0; i < n; ++i) {
    if (group[i] < 0) {
      unit_of[i] = static_cast<int>(units.size());
      units.push_back({i});
    } else {
      int& u = unit_of_group[group[i]];
      if (u < 0) {
        u = static_cast<int>(units.size());
        units.push_back(groups[group[i]].members);
      }
      unit_of[i] = u;
    }
  }
  const size_t nu = units.size();
  std::vector<std::unordered_set<int>> succ(nu);
  std::vector<int> indegree(nu, 0);
  auto edge = [&](int from, int to) {
    if (from != to && succ[from].insert(to).second) ++indegree[to];
  };
  int last_barrier = -1;
  std::vector<int> since_barrier;
  for (size_t i = 0; i < n; ++i) {
    int u = unit_of[i];
    for (size_t p : producers[i]) edge(unit_of[p], u);
    if (has_side_effect(bsyms[i])) {
      for (int v : since_barrier) edge(v, u);
      if (last_barrier >= 0) edge(last_barrier, u);
      last_barrier = u;
      since_barrier.clear();
    } else {
      if (last_barrier >= 0) edge(last_barrier, u);
      since_barrier.push_back(u);
    }
  }
  std::priority_queue<std::pair<size_t, int>, std::vector<std::pair<size_t, int>>, std::greater<>> ready;
  for (size_t u = 0; u < nu; ++u)
    if (indegree[u] == 0) ready.push({units[u].front(), static_cast<int>(u)});
  std::vector<int> order;
  while (!ready.empty()) {
    int u = ready.top().second;
    ready.pop();
    order.push_back(u);
    for (int v : succ[u])
      if (--indegree[v] == 0) ready.push({units[v].front(), v});
  }
  THUNDER_ASSERT(order.size() == nu, "fusion partitioning made a cycle");

  Trace out = t;
  out.header = "Fusion";
  out.bound_symbols.clear();
  std::unordered_map<std::string, int> counters;
  // a piece too small for a region runs its calls one by one: the generators they read that no
  // region computes for them run first (once)
  std::function<void(size_t)> emit_generators_of = [&](size_t i) {
    for (const auto& p : bsyms[i].input_proxies()) {
      auto pr = producer.find(p.node());
      if (pr == producer.end() || !generator[pr->second] || needed_outside[pr->second]) continue;
      if (!generators_run.insert(pr->second).second) continue;
      emit_generators_of(pr->second);
      BoundSymbol b = bsyms[pr->second];
      b.sym = detail::original_of(*b.sym);
      out.bound_symbols.push_back(std::move(b));
    }
  };
  for (int u : order) {
    const auto& members = units[u];
    if (group[members.front()] < 0) {
      out.bound_symbols.push_back(bsyms[members.front()]);
      continue;
    }
    const Executor& ex = *groups[group[members.front()]].ex;
    std::vector<size_t> kept_members;
    for (size_t i : members)
      if (!generator[i] || needed_outside[i]) kept_members.push_back(i);
    if (kept_members.empty()) continue;
    for (const auto& piece : pieces(ex, kept_members)) {
      if (computing_prims(piece) < ex.min_computing_prims) {
        for (size_t i : piece) {
          emit_generators_of(i);
          BoundSymbol b = bsyms[i];
          b.sym = detail::original_of(*b.sym);
          out.bound_symbols.push_back(std::move(b));
        }
        continue;
      }
      auto [kept, after] = split_trailing_views(piece);
      // a piece is checked with its trailing views inside: moving them out makes what they read an
      // output, which the executor may not accept (a small value beside a reduction's operand)
      if (!after.empty() && ex.region_checker && !ex.region_checker(make_region(kept))) {
        kept = piece;
        after.clear();
      }
      BoundSymbol region = make_region(kept);
      if (!region.output.items().empty()) {  // else nothing it computes is used
        std::string name = ex.name + std::to_string(counters[ex.name]++);
        region.sym = &detail::region_symbol(name, ex.name, region.output.items());
        out.bound_symbols.push_back(std::move(region));
      }
      for (size_t i : after) {
        BoundSymbol b = bsyms[i];
        b.sym = detail::original_of(*b.sym);
        out.bound_symbols.push_back(std::move(b));
      }
    }
  }
  return out;
}

Trace region_trace(const BoundSymbol& region) {
  THUNDER_ASSERT(is_fusion_region(region), region.sym->name(), " is not a fused region");
  Trace t;
  t.header = "Fused region " + region.sym->name();
  t.fn_name = region.sym->name();
  for (const auto& a : region.args) t.inputs.push_back(a);
  t.output = region.output;
  t.bound_symbols = region.subsymbols;
  // values inside a region are freed after their last use too, so running it costs no more
  // memory than eager
  Trace out = insert_deletes(t);
  out.header = t.header;
  return out;
}

}  // namespace thunder::exec
