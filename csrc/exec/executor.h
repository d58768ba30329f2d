// Execution planning: executors claim the calls of the final trace, fusion executors' prims are
// grouped into regions, and `del` frees values after their last use.
#pragma once

#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "ir/trace.h"

namespace thunder::exec {

/// What runs a call. Executors are consulted in the user's priority order; the first that claims
/// a call runs it.
struct Executor {
  enum class Kind : uint8_t {
    /// Runs single calls. The built-in ATen executor leaves the lines it claims as they are
    /// (torch calls and `prims.*`); any other operator executor's lines print as
    /// `<name>.<op>(...)`, so the execution trace shows who runs them.
    Operator,
    /// Claims prims that `can_fuse` accepts (and torch-level ops whose decomposition it fuses
    /// entirely); partitioning groups them into regions printed as `<name><k>(...)`.
    Fusion,
  };

  /// A Python identifier: lines it runs are called through it.
  std::string name;
  Kind kind = Kind::Operator;
  /// Operator executors: the op names it implements (empty: every op with an ATen expression,
  /// which is what the ATen executor claims).
  std::unordered_set<std::string> ops;
  /// Operator executors: may decline a call of one of `ops` (for its dtypes, shapes or device);
  /// unset accepts every call. Fusion executors: whether a prim joins a region (required).
  std::function<bool(const BoundSymbol&)> checker;
  /// Fusion executors: a reduction's output is a region's root, so its consumers start another
  /// region (for code generators that emit one loop nest per region).
  bool reductions_end_regions = false;
  /// Fusion executors, optional: whether a region can be compiled whole (a code generator may
  /// support fewer shapes of region than partitioning makes). A region it rejects is cut, in
  /// order, into the longest pieces it accepts. It sees the candidate's args, output and
  /// subsymbols (its `sym` is unset).
  std::function<bool(const BoundSymbol&)> region_checker;
  /// Fusion executors: a region with fewer computing prims (views and reshapes do not count)
  /// is not made; its prims run alone on ATen (views stay views). A code generator whose
  /// kernels cost a compile sets 2: one op has no intermediates to keep out of memory.
  int min_computing_prims = 1;

  /// The ATen executor: claims every call, lines unchanged.
  static Executor aten();
  bool is_aten() const { return kind == Kind::Operator && name == "aten"; }
};

/// A C++ checker registered under an executor's name, for fusion executors written in C++ (the CPU
/// code generator registers `can_fuse` as "cpu_fusion"), so claiming calls no Python per prim.
/// The Python executor of that name passes no checker and gets this one. `region` registers a
/// region checker instead.
void register_builtin_checker(const std::string& executor, std::function<bool(const BoundSymbol&)> checker,
                              bool region = false);
/// The checker (or region checker) registered under `executor`'s name; nullptr when none.
const std::function<bool(const BoundSymbol&)>* builtin_checker(const std::string& executor, bool region = false);

/// Assigns every top-level call to the first executor (in priority order) that claims it. A
/// torch-level op that nobody claims is replaced by its subsymbols, which are claimed instead; a
/// prim nobody claims is a user error naming the executors. Calls claimed by an operator executor
/// other than ATen get that executor's symbol (`myex.layer_norm`); calls claimed by a fusion
/// executor are left flat for `partition_fusions`, which reads the claim from `claims`.
/// Names the trace "Claim by executors".
Trace claim(const Trace& t, const std::vector<Executor>& executors);

/// Groups the calls a fusion executor claimed into maximal regions that create no cycle (a call
/// joins a region only if none of its inputs depends on that region through a call outside it).
/// Side-effecting calls (random draws, copy_, grad-mode switches) are barriers no region spans.
/// Each region becomes one call of a symbol made for it (`[t3, t5] = cpu_fusion0(t0, t1)`, its prims
/// as subsymbols; the symbol's meta rule gives the outputs' metadata, so the verifier checks the
/// prims inside); the trace is re-ordered
/// topologically, keeping the original order wherever dependences allow.
/// Names the trace "Fusion".
Trace partition_fusions(const Trace& t, const std::vector<Executor>& executors);

/// The executor that owns a symbol made by `claim` or `partition_fusions`; empty for op-table
/// symbols, which ATen runs in an execution trace.
std::string executor_of(const Symbol& sym);

/// Whether `b` is a fused region made by `partition_fusions`.
bool is_fusion_region(const BoundSymbol& b);

/// A fused region as a trace of its own: its arguments as inputs, its prims as the body, its
/// outputs (a list) as the result, and `del` after each value's last use. Printing it gives a
/// Python function named after the region that computes the region through ATen (the reference
/// fusion executor runs exactly that).
Trace region_trace(const BoundSymbol& region);

/// Self-attention on a packed [B, T, 3C] projection: prims.sdpa_cpu on the three head views of its
/// thirds becomes prims.sdpa_cpu_packed on the tensor itself, and prims.sdpa_cpu_backward whose
/// gradients are joined back into [B, T, 3C] becomes prims.sdpa_cpu_packed_backward returning the
/// joined gradient (attention_packing.cpp). Runs on calls ATen claimed, after fusion.
Trace pack_attention(const Trace& t);

/// Adds a `del` after the last use of every intermediate and input that the trace does not return.
/// Names the execution trace ("Transform for execution").
Trace insert_deletes(const Trace& t);

}  // namespace thunder::exec
