// The grad transform. Forward: walk the computation trace, tracking which proxies carry a gradient
// (inputs that require grad, and float results of calls that read one while grad mode is on);
// calls that carry one and have a VJP rule are taped, composites without a rule are replaced by
// their subsymbols. Backward: replay the tape in reverse, each rule recording into a new trace,
// cotangents of values used several times summed. Whatever forward value backward reads is saved.
#include "transforms/grad.h"

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "ir/error.h"
#include "ops/ops.h"
#include "transforms/passes.h"

namespace thunder::transforms {

namespace {

bool carries_gradient(const Value& p) { return p.is_tensor() && is_inexact(p.dtype()); }

struct ForwardWalk {
  std::vector<BoundSymbol> bsyms;
  std::vector<BoundSymbol> tape;
  std::unordered_set<const ValueNode*> requires_grad;
  bool grad_mode = true;

  // The new values an op returns for the arguments it updates (OpSpec::updates: batch norm's
  // running statistics) are state written without autograd, as in eager: only its result carries
  // a gradient.
  void mark_outputs(const BoundSymbol& b) {
    if (!b.sym->updates().empty() && b.output.is_sequence()) {
      const Value& result = b.output.items().at(0);
      if (carries_gradient(result)) requires_grad.insert(result.node());
      return;
    }
    for (const auto& p : b.output_proxies())
      if (carries_gradient(p)) requires_grad.insert(p.node());
  }

  void walk(const BoundSymbol& b) {
    const Symbol& sym = *b.sym;
    if (sym.name() == "prims.set_grad_enabled") {
      // the forward trace runs with grad disabled (inside an autograd.Function); the switch only
      // decides which calls are differentiated
      grad_mode = b.args.at(0).as_bool();
      return;
    }
    bool needed = false;
    if (grad_mode)
      for (const auto& p : b.input_proxies()) needed = needed || requires_grad.count(p.node());
    bool float_out = false;
    for (const auto& p : b.output_proxies()) float_out = float_out || carries_gradient(p);
    if (!needed || !float_out || !sym.differentiable()) {
      bsyms.push_back(b);
      return;
    }
    if (sym.vjp()) {
      bsyms.push_back(b);
      tape.push_back(b);
      mark_outputs(b);
      return;
    }
    if (!b.subsymbols.empty()) {
      for (const auto& sub : b.subsymbols) walk(sub);
      // eager marks every float result of a differentiable op as requiring grad, even where the
      // gradient is zero (sign, floor): so do we, its cotangent goes nowhere
      mark_outputs(b);
      return;
    }
    if (!sym.side_effect()) {
      // an opaque call (a library call without a rule, a torch call outside the table): its
      // gradient is recomputed through torch.autograd in backward
      bsyms.push_back(b);
      tape.push_back(b);
      mark_outputs(b);
      return;
    }
    std::string where = b.loc.file.empty() ? "" : cat(" (called at ", b.loc.file, ":", b.loc.line, ")");
    throw UserError(ErrorKind::NotImplemented,
                    cat(sym.name(), ": differentiating this op is not supported", where,
                        "; compute it under torch.no_grad() or outside the compiled function"));
  }
};

// The tensor leaves of a trace's output, in order (the output is one value or a flat tuple).
std::vector<Value> tensor_leaves(const Value& out) {
  std::vector<Value> leaves;
  if (out.is_tensor()) leaves.push_back(out);
  else if (out.is_sequence())
    for (const auto& item : out.items())
      if (item.is_tensor()) leaves.push_back(item);
  return leaves;
}

// A cotangent that is another zero-padded along one dim: the slice VJP's form (split, chunk,
// narrow and getitem all slice).
struct PaddedPiece {
  Value source;
  int64_t dim = -1, low = 0, high = 0;
};

std::optional<PaddedPiece> padded_piece(const TraceBuilder& bb, const Value& v) {
  const BoundSymbol* b = bb.producer(v);
  if (!b || b->sym->name() != "prims.pad" || !b->args.at(1).is_constant() || !b->args[1].is_number() ||
      b->args[1].as_double() != 0.0)
    return std::nullopt;
  PaddedPiece piece{b->args[0]};
  const auto& widths = b->args.at(2).items();
  for (size_t d = 0; d < widths.size() / 2; ++d) {
    int64_t lo = widths[2 * d].as_int(), hi = widths[2 * d + 1].as_int();
    if (lo == 0 && hi == 0) continue;
    if (lo < 0 || hi < 0 || piece.dim != -1) return std::nullopt;
    piece = {b->args[0], static_cast<int64_t>(d), lo, hi};
  }
  if (piece.dim == -1) return std::nullopt;
  return piece;
}

// The operands of a concatenation along `dim` that makes `v` (v itself when it is not one).
void cat_operands(const TraceBuilder& bb, const Value& v, int64_t dim, std::vector<Value>& out) {
  const BoundSymbol* b = bb.producer(v);
  if (b && b->sym->name() == "prims.cat" && b->args.at(1).as_int() == dim) {
    for (const auto& item : b->args[0].items()) out.push_back(item);
    return;
  }
  out.push_back(v);
}

// The sum of two zero-padded pieces that sit side by side along one dim, as one concatenation
// (padded where it does not yet cover the dim): the split of q, k and v gets one cat in backward,
// as eager's SplitBackward does, instead of three zero-filled copies and two additions.
Value merge_adjacent(const TraceBuilder& bb, const Value& x, const Value& y) {
  auto px = padded_piece(bb, x), py = padded_piece(bb, y);
  if (!px || !py || px->dim != py->dim) return Value();
  int64_t n = x.shape()[px->dim];
  if (n - py->high == px->low) std::swap(px, py);
  if (n - px->high != py->low) return Value();
  std::vector<Value> parts;
  cat_operands(bb, px->source, px->dim, parts);
  cat_operands(bb, py->source, px->dim, parts);
  Value joined = ops::call("prims.cat", {Value::sequence(parts), ops::num(px->dim)});
  if (px->low == 0 && py->high == 0) return joined;
  std::vector<int64_t> widths(2 * static_cast<size_t>(x.rank()), 0);
  widths[2 * px->dim] = px->low;
  widths[2 * px->dim + 1] = py->high;
  return ops::call("prims.pad", {joined, ops::fill_value(ops::num(0), x.dtype()), ops::int_list(widths)});
}

class Cotangents {
 public:
  explicit Cotangents(const TraceBuilder& bb) : bb_(bb) {}
  void add(const Value& p, const Value& c) {
    THUNDER_ASSERT(c.is_tensor() && c.shape() == p.shape() && c.dtype() == p.dtype(), "grad: the cotangent ",
                   c.is_tensor() ? c.meta().str() : type_name(c), " does not match ", p.name(), ": ", p.meta().str());
    auto [it, fresh] = map_.emplace(p.node(), c);
    if (fresh) return;
    Value merged = merge_adjacent(bb_, it->second, c);
    it->second = merged ? merged : ops::call("prims.add", {it->second, c});
  }
  Value get(const Value& p) const {
    auto it = map_.find(p.node());
    return it == map_.end() ? Value() : it->second;
  }

 private:
  const TraceBuilder& bb_;
  std::unordered_map<const ValueNode*, Value> map_;
};

// The VJP of an opaque call without a rule: one call of prims.recompute_vjp, which runs the
// forward call again under torch.autograd in backward. Its arguments: the call as a lambda of the
// tensors it reads, those tensors, the cotangents of the call's tensor outputs (None where absent),
// and which tensors need a gradient; it returns one gradient per tensor that needs one.
std::vector<Value> recompute_vjp(const BoundSymbol& b, const Value& g,
                                 const std::unordered_set<const ValueNode*>& requires_grad) {
  std::vector<Value> inputs, needs, outs;
  for (const auto& p : b.input_proxies()) {
    if (!p.is_tensor()) continue;
    inputs.push_back(p);
    needs.push_back(Value::constant(static_cast<bool>(requires_grad.count(p.node()))));
  }
  std::string params;
  for (const auto& p : inputs) params += (params.empty() ? "" : ", ") + p.name();
  std::vector<Value> cots;
  if (b.output.is_tensor()) cots.push_back(g);
  else
    for (size_t i = 0; i < b.output.items().size(); ++i)
      if (b.output.items()[i].is_tensor()) cots.push_back(ops::cotangent_at(g, i) ? ops::cotangent_at(g, i) : Value::none());
  Value fn = Value::constant(cat("lambda ", params, ": ", call_string(b)));
  Value grads = ops::call("prims.recompute_vjp", {fn, Value::sequence(inputs), Value::sequence(cots),
                                                  Value::sequence(needs)});
  // back to one cotangent per parameter of the call: tensor arguments, and tensors in sequences
  std::unordered_map<const ValueNode*, Value> by_input;
  size_t k = 0;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (needs[i].as_bool()) by_input[inputs[i].node()] = grads.items().at(k++);
  std::vector<Value> out;
  for (const auto& a : b.args) {
    if (a.is_tensor()) {
      auto it = by_input.find(a.node());
      out.push_back(it == by_input.end() ? Value() : it->second);
    } else if (a.is_sequence()) {
      out.push_back(map_proxies(a, [&](const Value& p) {
        auto it = by_input.find(p.node());
        return it == by_input.end() ? Value() : it->second;
      }));
    } else {
      out.push_back(Value());
    }
  }
  // a tensor passed twice gets its gradient once
  std::unordered_set<const ValueNode*> given;
  for (auto& v : out) {
    if (v && v.is_tensor() && !given.insert(v.node()).second) v = Value();
  }
  return out;
}

}  // namespace

GradTraces grad_transform(const Trace& t) {
  ForwardWalk fw;
  for (const auto& in : t.inputs)
    if (in.is_tensor() && in.meta().requires_grad && carries_gradient(in)) fw.requires_grad.insert(in.node());
  for (const auto& b : t.bound_symbols) fw.walk(b);

  GradTraces out;
  TraceBuilder bb;
  bb.reserve_names(t.names());
  Cotangents cot(bb);
  {
    TraceBuilder::Scope scope(bb);
    std::vector<Value> leaves = tensor_leaves(t.output);
    for (size_t i = 0; i < leaves.size(); ++i) {
      if (!fw.requires_grad.count(leaves[i].node())) continue;
      TensorMeta m = leaves[i].meta();
      m.requires_grad = false;
      cot.add(leaves[i], bb.add_input("g_" + leaves[i].name(), m));
      out.cotangent_positions.push_back(static_cast<int64_t>(i));
    }
    for (auto it = fw.tape.rbegin(); it != fw.tape.rend(); ++it) {
      const BoundSymbol& b = *it;
      Value g;
      if (b.output.is_tensor()) {
        g = cot.get(b.output);
      } else if (b.output.is_sequence()) {
        std::vector<Value> gs;
        bool any = false;
        for (const auto& item : b.output.items()) {
          gs.push_back(item.is_tensor() ? cot.get(item) : Value());
          any = any || gs.back();
        }
        if (any) g = Value::sequence(std::move(gs));
      }
      if (!g) continue;
      bb.set_location(b.loc);
      Args args(*b.sym, b.args);
      std::vector<Value> grads = b.sym->vjp() ? b.sym->vjp()(args, b.output, g) : recompute_vjp(b, g, fw.requires_grad);
      THUNDER_ASSERT(grads.size() <= b.args.size(), b.sym->name(), ": the VJP rule returned ", grads.size(),
                     " cotangents for ", b.args.size(), " parameters");
      for (size_t i = 0; i < grads.size(); ++i) {
        if (!grads[i]) continue;
        const Value& arg = b.args[i];
        if (arg.is_tensor()) {
          if (fw.requires_grad.count(arg.node())) cot.add(arg, grads[i]);
        } else if (arg.is_sequence() && grads[i].is_sequence()) {
          const auto &items = arg.items(), &gitems = grads[i].items();
          for (size_t j = 0; j < items.size() && j < gitems.size(); ++j)
            if (gitems[j] && items[j].is_tensor() && fw.requires_grad.count(items[j].node())) cot.add(items[j], gitems[j]);
        }
      }
    }
    std::vector<Value> grads;
    for (const auto& in : t.inputs) {
      Value c = in.is_tensor() && fw.requires_grad.count(in.node()) ? cot.get(in) : Value();
      grads.push_back(c ? c : Value::none());
    }
    bb.set_output(Value::sequence(std::move(grads)));
  }
  // rules compute cotangents for every tensor parameter; drop those no input needs before
  // deciding what to save
  out.backward = dead_code_elimination(bb.finish());
  out.backward.header = "Grad transform (backward)";
  out.backward.fn_name = "backward";

  // saved: forward proxies the backward trace reads, in order of first use
  std::unordered_set<const ValueNode*> defined, seen;
  for (const auto& in : out.backward.inputs) defined.insert(in.node());
  auto note = [&](const Value& p) {
    if (!defined.count(p.node()) && seen.insert(p.node()).second) out.saved.push_back(p);
  };
  for (const auto& b : out.backward.bound_symbols) {
    for (const auto& p : b.input_proxies()) note(p);
    for (const auto& p : b.output_proxies()) defined.insert(p.node());
  }
  for_each_proxy(out.backward.output, note);
  std::vector<Value> inputs = out.saved;
  inputs.insert(inputs.end(), out.backward.inputs.begin(), out.backward.inputs.end());
  out.backward.inputs = std::move(inputs);
  out.backward.grad_enabled = false;

  out.forward = t;
  out.forward.header = "Grad transform (forward)";
  out.forward.bound_symbols = std::move(fw.bsyms);
  out.forward.output = Value::sequence({t.output, Value::sequence(out.saved)});
  out.forward.grad_enabled = false;
  return out;
}

}  // namespace thunder::transforms
