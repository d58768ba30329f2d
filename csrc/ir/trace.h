// Bound symbols, traces, and the builder that records them.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "ir/symbol.h"

namespace thunder {

/// Where in the user's program a call was made.
struct SourceLoc {
  std::string file;
  int line = 0;
};

/// One call of a symbol: its bound arguments (one per parameter), its output, and, for
/// composite ops, the calls it decomposes into.
struct BoundSymbol {
  const Symbol* sym = nullptr;
  std::vector<Value> args;
  Value output;
  std::vector<BoundSymbol> subsymbols;
  SourceLoc loc;

  /// Proxies the call reads (arguments, recursively through sequences), in order, unique.
  std::vector<Value> input_proxies() const;
  /// Proxies the call defines.
  std::vector<Value> output_proxies() const;
};

/// Whether running `b` does more than compute its outputs (draws from a generator, writes an
/// input): its symbol says so and, for a torch-level call recorded with its decomposition, some
/// call of the decomposition does (dropout while not training is the identity, no side effect).
bool has_side_effect(const BoundSymbol& b);

/// A straight-line program over proxies. Printing it gives runnable Python.
struct Trace {
  /// Which pass made this trace ("Tracing", "Dead Code Elimination", ...).
  std::string header;
  std::string fn_name = "computation";
  std::vector<Value> inputs;
  Value output;
  std::vector<BoundSymbol> bound_symbols;
  /// Whether autograd must record the function's ops (some input requires grad). When false,
  /// nothing is printed: with no input requiring grad autograd records nothing anyway, and a
  /// torch.no_grad() decorator would cost microseconds per call.
  bool grad_enabled = false;
  /// Seconds the pass that made this trace took (never printed: trace text has no timings).
  double seconds = 0;

  /// The trace as Python source.
  std::string str() const;
  /// Every proxy name used in the trace, for passes that mint new names.
  std::unordered_set<std::string> names() const;
};

/// Records the calls made while a program runs on proxies. While a Scope is alive the builder is
/// the thread's current one, which is where op implementations record the ops they call.
class TraceBuilder {
 public:
  TraceBuilder() = default;
  TraceBuilder(const TraceBuilder&) = delete;
  TraceBuilder& operator=(const TraceBuilder&) = delete;

  /// Adds a tensor input named after `hint` (made a unique Python identifier).
  Value add_input(const std::string& hint, TensorMeta meta);
  /// Adds a number input (a symbolic Python int or float) named after `hint`.
  Value add_number_input(const std::string& hint, NumberType type);
  /// A fresh tensor proxy named t0, t1, ...
  Value new_tensor(TensorMeta meta);
  /// Marks names as taken (by another trace this one's names must not collide with).
  void reserve_names(const std::unordered_set<std::string>& names);
  /// A fresh unique name with the given prefix.
  std::string fresh_name(const std::string& prefix = "t");
  /// Binds and records a call of `sym`; returns its output.
  Value record(const Symbol& sym, std::vector<Value> positional, const Kwargs& kwargs = {});
  /// Records a call whose arguments are already bound.
  Value record(const Args& args);
  /// The user's source location attached to calls recorded from now on.
  void set_location(SourceLoc loc) { loc_ = std::move(loc); }
  void set_output(Value v) { output_ = std::move(v); }
  const std::vector<Value>& inputs() const { return inputs_; }
  /// The call recorded at the current level that defines `v` (searched from the latest), or null.
  const BoundSymbol* producer(const Value& v) const;
  /// The recorded program. The builder is left empty.
  Trace finish(std::string header = "Tracing");

  /// The thread's current builder; raises an internal error when there is none.
  static TraceBuilder& current();
  static bool has_current();

  /// Makes a builder current for its lifetime (nesting restores the previous one).
  class Scope {
   public:
    explicit Scope(TraceBuilder& b);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    TraceBuilder* prev_;
  };

 private:
  std::string input_name(const std::string& hint);

  std::vector<std::vector<BoundSymbol>> scopes_{1};
  std::unordered_set<std::string> names_;
  int counter_ = 0;
  std::vector<Value> inputs_;
  Value output_;
  SourceLoc loc_;
};

/// prims.alias: the same tensor under a new name. The builder inserts it where a composite op's
/// decomposition returns a value it did not compute.
const Symbol& alias_symbol();

/// The `del` statement: frees names after their last use so memory is released as early as in
/// eager mode. Printed as `del a, b`; the verifier treats the names as gone afterwards.
const Symbol& del_symbol();

/// Shorthand for TraceBuilder::current().record(...), used by op implementations.
Value record(const Symbol& sym, std::vector<Value> positional, const Kwargs& kwargs = {});
/// Shorthand for TraceBuilder::current().new_tensor(...), used by meta rules.
Value new_tensor(Shape shape, DType dtype, Device device);

/// The Python expression of one call (`torch.add(a, b)`), as the trace prints it.
std::string call_string(const BoundSymbol& b);

/// Checks a trace's invariants: every proxy bound once and before use, at the top level and in
/// subsymbols, and every call's meta rule, re-run on its arguments, reproduces its outputs.
/// Raises an internal error naming the offending line.
void verify(const Trace& trace);

/// Replaces every proxy in `v` (recursing into sequences) by f(proxy).
template <typename F>
Value map_proxies(const Value& v, F&& f) {
  if (v.is_proxy()) return f(v);
  if (!v.is_sequence()) return v;
  std::vector<Value> items;
  for (const auto& item : v.items()) items.push_back(map_proxies(item, f));
  return Value::sequence(std::move(items), v.is_list());
}

}  // namespace thunder
