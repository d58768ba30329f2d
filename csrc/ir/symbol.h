// Symbols: the entries of the op table. A Symbol carries everything about one op side by side:
// its torch signature, the torch callables it stands for, how it prints, its fusion class, what
// the ATen executor calls, and its implementation (a meta rule for prims, a decomposition into
// other ops for composite ops).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/value.h"

namespace thunder {

/// How fusion executors treat an op.
enum class FusionClass : uint8_t { Elementwise, Reduction, Shape, Opaque };
std::string_view fusion_class_name(FusionClass c);

/// One parameter of a torch signature.
struct Param {
  std::string name;
  Value default_value;  // null when the parameter is required
  bool keyword_only = false;
  bool varargs = false;  // `*shape`: several ints, or one sequence of ints
};

class Symbol;

/// A call's arguments bound to a symbol's parameters, one value per parameter, defaults filled in.
/// The typed accessors raise user errors naming the op and parameter.
class Args {
 public:
  Args(const Symbol& sym, std::vector<Value> values) : sym_(&sym), values_(std::move(values)) {}

  const Symbol& symbol() const { return *sym_; }
  size_t size() const { return values_.size(); }
  const Value& operator[](size_t i) const { return values_.at(i); }
  const std::vector<Value>& values() const { return values_; }

  const Value& tensor(size_t i) const;
  const Value& tensor_or_number(size_t i) const;
  /// None or a tensor.
  std::optional<Value> opt_tensor(size_t i) const;
  std::vector<Value> tensor_list(size_t i) const;
  int64_t int_(size_t i) const;
  bool bool_(size_t i) const;
  std::string str(size_t i) const;
  std::optional<std::string> opt_str(size_t i) const;
  std::optional<DType> opt_dtype(size_t i) const;
  /// A sequence of ints (or one int where `allow_single`).
  std::vector<int64_t> int_list(size_t i, bool allow_single = false) const;
  /// None, an int, or a sequence of ints.
  std::optional<std::vector<int64_t>> opt_int_list(size_t i) const;
  /// Raises "op: expected 'param' to be <what>, got <type>".
  [[noreturn]] void type_error(size_t i, std::string_view what) const;

 private:
  const Symbol* sym_;
  std::vector<Value> values_;
};

using ImplFn = std::function<Value(const Args&)>;
/// A vector-Jacobian product rule: from the call's arguments, its output and the cotangent of its
/// output (for an op returning a sequence, a sequence with a null entry for each output that has
/// no cotangent), the cotangent of each parameter, recorded into the current trace; trailing
/// parameters without a cotangent may be left out. A null Value means no gradient (a non-differentiable or non-tensor argument); a parameter holding a
/// sequence of tensors gets a sequence of cotangents (null entries allowed).
using VjpFn = std::function<std::vector<Value>(const Args& args, const Value& out, const Value& g)>;
using Kwargs = std::vector<std::pair<std::string, Value>>;

/// What op files write to declare an op; Registry::add turns it into a Symbol.
struct OpSpec {
  /// The torch signature, e.g. "add(input, other, *, alpha=1)". The part before '(' is the op's
  /// name; prims are named "prims.<op>".
  std::string schema;
  /// How the trace calls the op ("torch.add"); defaults to the name for prims.
  std::string print_name;
  /// torch callables that mean this op, as dotted paths ("torch.Tensor.__add__").
  std::vector<std::string> torch_names;
  /// torch callables that mean this op with the first two arguments swapped ("__radd__").
  std::vector<std::string> reflected_names;
  /// In-place torch callables that have no out-of-place twin in torch ("torch.Tensor.uniform_"):
  /// they mean this op, its result written into the first argument. (Elementwise ops' in-place
  /// twins, `add_` and `__iadd__`, are derived from torch_names instead.)
  std::vector<std::string> inplace_names;
  FusionClass fusion = FusionClass::Opaque;
  /// A binary Python operator ("+"), printed instead of a call when the first operand is a number.
  std::string py_operator;
  /// Python expression (with `torch` in scope) for what the ATen executor calls; defaults to
  /// print_name.
  std::string aten;
  /// The output is a view of the first argument (shares its storage in torch), so an in-place
  /// update of either is visible through the other.
  bool view = false;
  /// The call changes state outside the trace (writes into an input); never removed as dead code.
  bool side_effect = false;
  /// Tensor parameters that torch updates in place (batch_norm's running stats while training).
  /// The op stays functional: when it updates anything it returns a tuple (result, new value of
  /// each listed parameter that was given a tensor, in this order), otherwise the result alone;
  /// the frontend writes the new values back into the arguments.
  std::vector<std::string> updates;
  /// Prints the call as a statement of its own (`del a, b`) instead of `name(args)`; an empty
  /// string means the default `name(args)` spelling.
  std::function<std::string(const std::vector<Value>& args)> print;
  ImplFn impl;
  /// The VJP rule. Without one, an op is differentiated through its decomposition (its
  /// subsymbols); an op without either has no gradient (see `differentiable`).
  VjpFn vjp;
  /// False for ops whose outputs never carry a gradient (comparisons, argmax, factories):
  /// the grad transform treats their outputs as constants instead of looking for a rule.
  bool differentiable = true;
  /// No executor runs the op whole (it has no ATen call): claiming always replaces it by its
  /// decomposition. For ops that stand for a torch call traced in another mode (the philox forms
  /// of the random ops, whose numbers no torch call draws).
  bool decompose_only = false;
};

class Symbol {
 public:
  explicit Symbol(OpSpec spec);

  const std::string& name() const { return name_; }
  const std::string& print_name() const { return spec_.print_name; }
  const std::vector<std::string>& torch_names() const { return spec_.torch_names; }
  const std::vector<std::string>& reflected_names() const { return spec_.reflected_names; }
  const std::vector<std::string>& inplace_names() const { return spec_.inplace_names; }
  const std::vector<Param>& params() const { return params_; }
  bool is_prim() const { return is_prim_; }
  FusionClass fusion() const { return spec_.fusion; }
  const std::string& py_operator() const { return spec_.py_operator; }
  const std::string& aten() const { return spec_.aten; }
  bool view() const { return spec_.view; }
  bool side_effect() const { return spec_.side_effect; }
  const std::vector<std::string>& updates() const { return spec_.updates; }
  const ImplFn& impl() const { return spec_.impl; }
  const VjpFn& vjp() const { return spec_.vjp; }
  bool differentiable() const { return spec_.differentiable; }
  bool decompose_only() const { return spec_.decompose_only; }
  const auto& statement_printer() const { return spec_.print; }
  /// The schema as declared.
  const std::string& schema() const { return spec_.schema; }

  /// Binds a call's positional and keyword arguments to the parameters, as Python would.
  Args bind(std::vector<Value> positional, const Kwargs& kwargs) const;

 private:
  OpSpec spec_;
  std::string name_;
  std::vector<Param> params_;
  bool is_prim_;
};

/// The set of symbols, by name, in registration order.
class Registry {
 public:
  const Symbol& add(OpSpec spec);
  /// Lists a symbol defined elsewhere (it must outlive the registry).
  void adopt(const Symbol& sym);
  /// nullptr when absent.
  const Symbol* find(std::string_view name) const;
  /// Raises an internal error when absent.
  const Symbol& at(std::string_view name) const;
  const std::vector<const Symbol*>& all() const { return symbols_; }

 private:
  std::vector<std::unique_ptr<Symbol>> owned_;
  std::vector<const Symbol*> symbols_;
  std::unordered_map<std::string, const Symbol*> by_name_;
};

}  // namespace thunder
