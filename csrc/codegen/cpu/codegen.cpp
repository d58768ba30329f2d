// Region -> C source. Every value is evaluated lazily at an index tuple (one C expression per dim
// of its shape); views remap the tuple (expand puts 0 in broadcast dims, permute reorders, slice
// scales and offsets, reshape regroups dims), elementwise prims combine operands at the same tuple,
// and a reduction's result is an accumulator computed once per outer index. Expressions that do
// not depend on the inner loop's variables are hoisted out of it. Two variants are generated: one
// for contiguous inputs, where strides are compile-time constants and loops are flattened, and one
// that reads strides at run time.
#include "codegen/cpu/codegen.h"
#include "codegen/cpu/internal.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#include "ir/error.h"

namespace thunder::codegen::cpu {

namespace {

// A region the generator cannot express as one kernel (reported by region_unsupported).
struct Unsupported {
  std::string reason;
};

bool is_half(DType t) { return t == DType::Float16 || t == DType::BFloat16; }

// The names a C statement reads, of those `defined` lists.
std::vector<std::string> names_read(const std::string& line, const std::map<std::string, size_t>& defined) {
  std::vector<std::string> out;
  for (size_t i = 0; i < line.size();) {
    if (std::isalpha(static_cast<unsigned char>(line[i])) || line[i] == '_') {
      size_t j = i;
      while (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) || line[j] == '_')) ++j;
      std::string word = line.substr(i, j - i);
      if (defined.count(word)) out.push_back(word);
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

// The loop `for (jv = begin; jv < end; ++jv) { body }`. Where the body calls vector-math
// functions (libmvec's erff, expf...), it runs in strips of 512 elements: a loop computes the
// calls' arguments into stack arrays, a loop per function calls it over its array, and a last
// loop runs the body reading the results back. A vector call clobbers every vector register, so
// in one loop the values live across it are spilled and reloaded on every iteration; apart, each
// call loop keeps nothing else live (gelu's forward with its derivative: 12% faster on one Zen 3
// core, erf alone 5%). Calls whose argument reads another call's result come in a later round.
std::vector<std::string> strip_mined(const std::vector<std::string>& body,
                                     const std::map<std::string, std::pair<std::string, std::string>>& calls,
                                     const std::string& jv, const std::string& begin, const std::string& end) {
  // statements: "const <type> <name> = <expr>;" defines <name>; stores define nothing
  std::map<std::string, size_t> defined;
  std::vector<std::string> type(body.size()), name(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    const std::string& l = body[i];
    if (l.rfind("const ", 0) != 0) continue;
    size_t t_end = l.find(' ', 6), n_end = t_end == std::string::npos ? t_end : l.find(' ', t_end + 1);
    if (n_end == std::string::npos) continue;
    type[i] = l.substr(6, t_end - 6);
    name[i] = l.substr(t_end + 1, n_end - t_end - 1);
    defined.emplace(name[i], i);
  }
  std::vector<size_t> call_at;
  for (size_t i = 0; i < body.size(); ++i)
    if (!name[i].empty() && calls.count(name[i])) call_at.push_back(i);
  std::vector<std::string> out;
  if (call_at.empty()) {
    out.push_back("#pragma GCC ivdep");
    out.push_back(cat("for (int64_t ", jv, " = ", begin, "; ", jv, " < ", end, "; ++", jv, ") {"));
    for (const auto& l : body) out.push_back("  " + l);
    out.push_back("}");
    return out;
  }
  std::vector<std::vector<size_t>> reads(body.size());
  for (size_t i = 0; i < body.size(); ++i)
    for (const auto& w : names_read(name[i].empty() ? body[i] : body[i].substr(body[i].find('=')), defined))
      reads[i].push_back(defined.at(w));
  // each call's round (a call given one reads back from its array), and its strip array
  std::map<size_t, int> round;
  std::map<size_t, std::string> buffer;
  // the statements that `seeds` read, directly or through others; not through calls with a round
  auto reached = [&](std::vector<size_t> todo) {
    std::set<size_t> seen;
    while (!todo.empty()) {
      size_t k = todo.back();
      todo.pop_back();
      if (!seen.insert(k).second || round.count(k)) continue;
      todo.insert(todo.end(), reads[k].begin(), reads[k].end());
    }
    return seen;
  };
  // a call's round: one more than the latest round among the calls its argument reads
  int rounds = 0;
  for (size_t c : call_at) {
    int r = 1;
    for (size_t k : reached(reads[c]))
      if (round.count(k)) r = std::max(r, round[k] + 1);
    round[c] = r;
    rounds = std::max(rounds, r);
    buffer[c] = cat("strip_buf", buffer.size());
  }
  const std::string at = cat("[", jv, " - strip]");
  auto loop_head = [&] {
    out.push_back("  #pragma GCC ivdep");
    out.push_back(cat("  for (int64_t ", jv, " = strip; ", jv, " < strip_end; ++", jv, ") {"));
  };
  // a statement inside a strip loop: a call already made is read from its array
  auto statement = [&](size_t i) {
    if (round.count(i)) return cat("const ", type[i], " ", name[i], " = ", buffer[i], at, ";");
    return body[i];
  };
  out.push_back(cat("for (int64_t strip = ", begin, "; strip < ", end, "; strip += 512) {"));
  out.push_back(cat("  const int64_t strip_end = ", end, " - strip < 512 ? ", end, " : strip + 512;"));
  for (size_t c : call_at) out.push_back(cat("  ", type[c], " ", buffer[c], "[512];"));
  for (int r = 1; r <= rounds; ++r) {
    // the statements this round's arguments read (earlier rounds' calls come from their arrays)
    std::vector<size_t> seeds;
    for (size_t c : call_at)
      if (round[c] == r) seeds.insert(seeds.end(), reads[c].begin(), reads[c].end());
    std::set<size_t> needed = reached(seeds);
    loop_head();
    for (size_t k : needed) out.push_back("    " + statement(k));
    for (size_t c : call_at)
      if (round[c] == r) out.push_back(cat("    ", buffer[c], at, " = ", calls.at(name[c]).second, ";"));
    out.push_back("  }");
    for (size_t c : call_at) {
      if (round[c] != r) continue;
      out.push_back("  #pragma GCC ivdep");
      out.push_back(cat("  for (int64_t ", jv, " = strip; ", jv, " < strip_end; ++", jv, ") ", buffer[c], at, " = ",
                        calls.at(name[c]).first, "(", buffer[c], at, ");"));
    }
  }
  // the last loop: the stores and the statements they read (calls read back from their arrays)
  std::vector<size_t> stores;
  for (size_t i = 0; i < body.size(); ++i)
    if (name[i].empty()) stores.push_back(i);
  std::set<size_t> live = reached(stores);
  loop_head();
  for (size_t i : live) out.push_back("    " + statement(i));
  out.push_back("  }");
  out.push_back("}");
  return out;
}

// The C type values of a dtype are computed in (half types in float) and stored as.
std::string ctype(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8_t";
    case DType::Int8: return "int8_t";
    case DType::Int16: return "int16_t";
    case DType::Int32: return "int32_t";
    case DType::Int64: return "int64_t";
    case DType::Float64: return "double";
    default: return "float";
  }
}
std::string storage_type(DType t) { return is_half(t) ? "uint16_t" : ctype(t); }

// A libm function for the compute type ("expf" for float, "exp" for double).
std::string libm(const std::string& fn, DType t) { return t == DType::Float64 ? fn : fn + "f"; }

// Functions glibc's libmvec has vector variants of (float and double), with their arity. Loops
// calling them vectorize when the kernel declares them `omp declare simd` (THUNDER_VECMATH).
const std::map<std::string, int> kVectorMath = {
    {"acos", 1},  {"acosh", 1}, {"asin", 1}, {"asinh", 1}, {"atan", 1},  {"atanh", 1}, {"cos", 1},
    {"cosh", 1},  {"erf", 1},   {"erfc", 1}, {"exp", 1},   {"expm1", 1}, {"log", 1},   {"log10", 1},
    {"log1p", 1}, {"log2", 1},  {"sin", 1},  {"sinh", 1},  {"tan", 1},   {"tanh", 1},  {"atan2", 2},
    {"hypot", 2}, {"pow", 2}};


// A number constant as a C literal of type `t`.
std::string literal(const Value& v, DType t) {
  const std::string ty = ctype(t);
  const Constant& c = v.constant_value();
  if (auto* b = std::get_if<bool>(&c)) return t == DType::Bool ? (*b ? "true" : "false") : cat("(", ty, ")", *b ? 1 : 0);
  if (auto* i = std::get_if<int64_t>(&c); i && is_floating(t) && std::abs(*i) < (int64_t{1} << 24))
    return literal(Value::constant(static_cast<double>(*i)), t);
  if (auto* i = std::get_if<int64_t>(&c)) {
    std::string lit = *i == INT64_MIN ? "(-9223372036854775807LL - 1)" : cat(*i, "LL");
    return cat("(", ty, ")", lit);
  }
  double d = v.as_double();
  std::string lit;
  if (std::isnan(d)) lit = "NAN";
  else if (std::isinf(d)) lit = d > 0 ? "INFINITY" : "(-INFINITY)";
  else {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    lit = buf;
    if (lit.find_first_of(".en") == std::string::npos) lit += ".0";
  }
  if (ty == "float" && !std::isnan(d) && static_cast<double>(static_cast<float>(d)) == d && !std::isinf(d))
    return lit + "f";
  return cat("(", ty, ")", lit);
}

struct Result {
  std::string name;
  bool inner = false;
};

// One kernel variant: a function `run_<name>` over the parallel range.
class Variant {
 public:
  Variant(const BoundSymbol& region, bool contiguous, std::set<const ValueNode*> row_cached = {})
      : region_(region), contiguous_(contiguous), row_cached_(std::move(row_cached)) {}

  std::string generate();

  /// Values worth keeping in a row buffer: costly (a libm call) and computed at the reduction
  /// operand's index in more than one of a reduction kernel's loops. Known after generate().
  std::set<const ValueNode*> row_cache_candidates() const;

  // helpers the variant used, so the prelude defines only those
  std::set<std::string> helpers;
  // libm functions with vector variants the variant calls ("expf", "tanh")
  std::set<std::string> vector_math;
  std::string math(const std::string& fn, DType t) {
    if (kVectorMath.count(fn)) vector_math.insert(libm(fn, t));
    return libm(fn, t);
  }

 private:
  const BoundSymbol& region_;
  bool contiguous_;
  std::unordered_map<const ValueNode*, size_t> input_index_;
  std::unordered_map<const ValueNode*, const BoundSymbol*> producer_;
  // values a region computes twice (a recomputed forward beside its backward): the later one is
  // read as the earlier, so the kernel computes it once
  std::unordered_map<const ValueNode*, Value> same_as_;
  std::unordered_map<const ValueNode*, std::string> acc_;  // computed reductions
  std::vector<TensorMeta> inputs_;
  std::vector<std::string> outer_;           // statements of the outer scope
  std::vector<std::string>* inner_ = nullptr;  // statements of the loop being generated
  std::map<std::string, std::string> memo_outer_, memo_inner_;
  std::set<std::string> stride_names_;
  int counter_ = 0;
  // reductions: the operand's index in the loop variables, and the result's
  Tuple red_tuple_;          // the reduction operand's index (inner)
  std::string red_outer_key_;  // the reduction result's index (outer)
  std::string red_loop_open_, red_loop_close_;
  // row buffers: values computed once per outer index in one reduction loop and read back in the
  // later ones (softmax's exp), instead of recomputed. The first generation records which values
  // the loops share (loop ids per value); the second, given them as row_cached_, stores and loads.
  std::string red_lin_;     // the reduced dims' linear index, the row buffers' index
  int64_t red_numel_ = 0;   // elements per row buffer
  int loop_id_ = -1;        // the reduction loop being generated
  int next_loop_ = 0;
  std::map<const ValueNode*, std::set<int>> loops_of_;
  std::set<const ValueNode*> costly_;
  std::set<std::string> costly_names_;
  // inner values that are one call of a vector-math function: name -> (function, argument)
  std::map<std::string, std::pair<std::string, std::string>> strip_calls_;
  std::set<const ValueNode*> row_cached_;
  std::map<const ValueNode*, std::string> row_buffer_;          // stored by a finished loop
  std::vector<std::pair<const ValueNode*, std::string>>* row_pending_ = nullptr;  // by this one
  std::vector<std::string> row_decls_;

  std::string fresh(const char* prefix) { return cat(prefix, counter_++); }
  /// Declares `expr` as a new value of `t`'s C type (or `type`, where given) in the scope `inner` says.
  Result emit(DType t, const std::string& expr, bool inner, const char* type = nullptr);
  Result eval(const Value& v, const Tuple& t);
  Result eval_prim(const BoundSymbol& b, const std::string& name, const Tuple& t);
  Result reduce(const BoundSymbol& b);
  Result eval_philox(const BoundSymbol& b, const std::string& name, const Tuple& t);
  std::string operand(const Value& v, const Tuple& t, DType t_compute, bool* inner);
  std::string load(size_t k, const Tuple& t);
  std::string store(const TensorMeta& m, size_t out, const Tuple& t, const std::string& value);
  std::string round_half(DType t, const std::string& e);
  Tuple domain_tuple() const;
};

std::string Variant::round_half(DType t, const std::string& e) {
  if (!is_half(t)) return e;
  std::string h = t == DType::Float16 ? "round_f16" : "round_bf16";
  helpers.insert(h);
  return cat(h, "(", e, ")");
}

Result Variant::emit(DType t, const std::string& expr, bool inner, const char* type) {
  std::string name = fresh("v");
  std::string line = cat("const ", type ? std::string(type) : ctype(t), " ", name, " = ", expr, ";");
  if (inner) {
    if (!inner_) throw Unsupported{"a value computed outside loops needs an inner loop's index"};
    inner_->push_back(line);
  } else {
    outer_.push_back(line);
  }
  return {name, inner};
}

std::string Variant::load(size_t k, const Tuple& t) {
  const TensorMeta& m = inputs_[k];
  Ix off;
  if (contiguous_ && t.linear && !m.shape.empty()) {
    off = *t.linear;
  } else {
    std::vector<std::string> strides;
    Shape cs = contiguous_strides(m.shape);
    for (size_t d = 0; d < m.shape.size(); ++d) {
      if (m.shape[d] == 1) strides.push_back("0");
      else if (contiguous_) strides.push_back(cat(cs[d]));
      else {
        std::string s = cat("s", k, "_", d);
        stride_names_.insert(s);
        strides.push_back(s);
      }
    }
    off = linearize(t.ix, strides);
  }
  std::string x = cat("in", k, "[", off.code, "]");
  if (m.dtype == DType::Float16) helpers.insert("f16_to_f32"), x = cat("f16_to_f32(", x, ")");
  if (m.dtype == DType::BFloat16) helpers.insert("bf16_to_f32"), x = cat("bf16_to_f32(", x, ")");
  return x;
}

std::string Variant::store(const TensorMeta& m, size_t out, const Tuple& t, const std::string& value) {
  Ix off = t.linear && !m.shape.empty() ? *t.linear : [&] {
    std::vector<std::string> strides;
    Shape cs = contiguous_strides(m.shape);
    for (size_t d = 0; d < m.shape.size(); ++d) strides.push_back(m.shape[d] == 1 ? "0" : cat(cs[d]));
    return linearize(t.ix, strides);
  }();
  std::string v = value;
  if (m.dtype == DType::Float16) helpers.insert("f32_to_f16"), v = cat("f32_to_f16(", v, ")");
  if (m.dtype == DType::BFloat16) helpers.insert("f32_to_bf16"), v = cat("f32_to_bf16(", v, ")");
  return cat("out", out, "[", off.code, "] = ", v, ";");
}

// A tensor or number operand as a C expression of the compute type `tc`.
std::string Variant::operand(const Value& v, const Tuple& t, DType tc, bool* inner) {
  if (v.is_tensor()) {
    Result r = eval(v, t);
    *inner = *inner || r.inner;
    return r.name;
  }
  return literal(v, tc);
}

Result Variant::eval(const Value& v, const Tuple& t) {
  if (auto same = same_as_.find(v.node()); same != same_as_.end()) return eval(same->second, t);
  std::string key = cat(static_cast<const void*>(v.node()), "@", t.key());
  if (auto it = memo_inner_.find(key); it != memo_inner_.end()) return {it->second, true};
  if (auto it = memo_outer_.find(key); it != memo_outer_.end()) return {it->second, false};
  Result r;
  if (auto in = input_index_.find(v.node()); in != input_index_.end()) {
    r = emit(v.dtype(), load(in->second, t), t.inner());
  } else {
    auto p = producer_.find(v.node());
    if (p == producer_.end()) throw Unsupported{cat("value ", v.name(), " is neither an input nor computed in the region")};
    const BoundSymbol& b = *p->second;
    std::string name = prim_name(b);
    bool at_row = !red_lin_.empty() && inner_ && t.key() == red_tuple_.key();
    if (at_row) {
      if (auto rb = row_buffer_.find(v.node()); rb != row_buffer_.end()) {
        r = emit(v.dtype(), cat(rb->second, "[", red_lin_, "]"), true);
        memo_inner_[key] = r.name;
        return r;
      }
    }
    if (kReductions.count(name)) {
      bool inner = false;
      for (const auto& i : t.ix) inner = inner || i.inner;
      if (t.key() != red_outer_key_ || inner)
        throw Unsupported{cat("the result of ", b.sym->name(), " is read at another index than it is computed at")};
      r = reduce(b);
    } else {
      r = eval_prim(b, name, t);
      if (at_row && r.inner) {
        loops_of_[v.node()].insert(loop_id_);
        if (costly_names_.count(r.name)) costly_.insert(v.node());
        if (row_cached_.count(v.node()) && row_pending_) {
          std::string buf = cat("row", row_decls_.size());
          row_decls_.push_back(cat(ctype(v.dtype()), " ", buf, "[",
                                   red_numel_, "];"));
          inner_->push_back(cat(buf, "[", red_lin_, "] = ", r.name, ";"));
          row_pending_->push_back({v.node(), buf});
        }
      }
    }
  }
  (r.inner ? memo_inner_ : memo_outer_)[key] = r.name;
  return r;
}

Result Variant::eval_prim(const BoundSymbol& b, const std::string& name, const Tuple& t) {
  const Value& out = b.output;
  const Shape& shape = out.shape();
  if (name == "reshape") return eval(b.args[0], reshape_map(t, shape, b.args[0].shape()));
  if (name == "alias") return eval(b.args[0], t);
  if (name == "expand") {
    const Value& a = b.args[0];
    size_t lead = shape.size() - a.shape().size();
    Tuple u;
    for (size_t k = 0; k < a.shape().size(); ++k)
      u.ix.push_back(a.shape()[k] == 1 && shape[k + lead] != 1 ? Ix{"0", false} : t.ix[k + lead]);
    if (a.shape() == shape) u.linear = t.linear;
    return eval(a, u);
  }
  if (name == "permute") {
    std::vector<Value> perm = b.args[1].items();
    Tuple u;
    u.ix.resize(perm.size());
    for (size_t d = 0; d < perm.size(); ++d) u.ix[perm[d].as_int()] = t.ix[d];
    return eval(b.args[0], u);
  }
  if (name == "slice") {
    const auto& starts = b.args[1].items();
    const auto& steps = b.args[3].items();
    Tuple u;
    for (size_t d = 0; d < t.ix.size(); ++d) {
      int64_t start = starts[d].as_int(), step = steps[d].as_int();
      Ix i = t.ix[d];
      if (step != 1 || start != 0) i.whole.clear();
      if (step != 1) i.code = i.code == "0" ? "0" : cat("(", i.code, " * ", step, ")");
      if (start != 0) i.code = i.code == "0" ? cat(start) : cat("(", start, " + ", i.code, ")");
      u.ix.push_back(i);
    }
    return eval(b.args[0], u);
  }

  if (name == "uniform_philox" || name == "normal_philox") return eval_philox(b, name, t);
  if (name == "full") return emit(out.dtype(), literal(b.args[1], out.dtype()), false);
  if (name == "iota") {
    // start + step * i along its one dim (integer dtypes only, where that is arange's value exactly)
    DType it = out.dtype();
    const Ix& i = t.ix.at(0);
    std::string expr = cat("(", literal(b.args[1], it), " + ", literal(b.args[2], it), " * (", ctype(it), ")(", i.code, "))");
    // an int64 grid whose values all fit in 32 bits is held in an int32_t: compares of two such
    // grids (a causal mask) then vectorize at the float lanes' width instead of in 64-bit halves,
    // and where it meets int64 values C widens it back exactly
    int64_t start = b.args[1].as_int(), step = b.args[2].as_int(), length = b.args[0].as_int();
    int64_t last = start + step * (length > 0 ? length - 1 : 0);
    auto fits = [](int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; };
    if (it == DType::Int64 && fits(start) && fits(last) && fits(step))
      return emit(it, cat("(int32_t)(", start, " + ", step, " * (int32_t)(", i.code, "))"), i.inner, "int32_t");
    return emit(it, expr, i.inner);
  }

  DType rt = out.dtype();
  std::string T = ctype(rt);
  bool inner = false;
  // operands compute in the dtype of the first tensor operand (prims' operands agree)
  DType ot = rt;
  for (size_t i = 0; i < b.args.size(); ++i)
    if (b.args[i].is_tensor() && !(name == "where" && i == 0)) {
      ot = b.args[i].dtype();
      break;
    }
  bool costly = kFloatUnary.count(name) && name != "sqrt";
  costly = costly || name == "fmod" || name == "atan2" || name == "hypot";
  auto arg = [&](size_t i, DType tc) {
    std::string x = operand(b.args[i], t, tc, &inner);
    costly = costly || costly_names_.count(x);
    return x;
  };
  bool integral = !is_floating(ot);
  std::string e;
  std::pair<std::string, std::string> call;  // a vector-math call's function and argument
  if (name == "convert_element_type") {
    DType from = b.args[0].dtype();
    std::string x = arg(0, from);
    if (rt == DType::Bool) e = cat("(", x, " != 0)");
    else if (rt == DType::UInt8 && is_floating(from)) e = cat("(uint8_t)(int64_t)", x);
    else e = round_half(rt, cat("(", T, ")", x));
  } else if (name == "where") {
    e = cat("(", arg(0, DType::Bool), " ? ", arg(1, rt), " : ", arg(2, rt), ")");
  } else if (kCompare.count(name)) {
    e = cat("(", arg(0, ot), " ", kCompare.at(name), " ", arg(1, ot), ")");
  } else if (name == "exp" && rt != DType::Float64) {
    helpers.insert("exp_f");
    math("exp", rt);
    call = {"exp_f", arg(0, rt)};
    e = round_half(rt, cat(call.first, "(", call.second, ")"));
  } else if (kFloatUnary.count(name)) {
    call = {math(name, rt), arg(0, rt)};
    e = round_half(rt, cat(call.first, "(", call.second, ")"));
    if (!kVectorMath.count(name)) call = {};
  } else if (name == "neg") {
    e = integral ? cat("(", T, ")-", arg(0, rt)) : cat("-", arg(0, rt));
  } else if (name == "abs") {
    std::string x = arg(0, ot);
    e = integral ? cat("(", T, ")(", x, " < 0 ? -", x, " : ", x, ")") : cat(libm("fabs", rt), "(", x, ")");
  } else if (name == "floor" || name == "ceil" || name == "round" || name == "trunc") {
    std::string x = arg(0, rt);
    e = integral ? x : cat(libm(name == "round" ? "nearbyint" : name, rt), "(", x, ")");
  } else if (name == "add" || name == "sub" || name == "mul") {
    const char* op = name == "add" ? "+" : name == "sub" ? "-" : "*";
    std::string x = cat(arg(0, rt), " ", op, " ", arg(1, rt));
    e = integral ? cat("(", T, ")(", x, ")") : round_half(rt, cat("(", x, ")"));
  } else if (name == "maximum" || name == "minimum") {
    std::string h = cat(name, "_", integral ? "int" : "float");
    helpers.insert(h);
    e = integral ? cat("(", T, ")", h, "(", arg(0, rt), ", ", arg(1, rt), ")") : cat(h, "_", T, "(", arg(0, rt), ", ", arg(1, rt), ")");
    if (!integral) helpers.insert(cat(h, "_", T));
  } else if (name == "div") {
    e = round_half(rt, cat("(", arg(0, rt), " / ", arg(1, rt), ")"));
  } else if (name == "fmod" || name == "copysign" || name == "atan2" || name == "hypot") {
    e = round_half(rt, cat(math(name, rt), "(", arg(0, rt), ", ", arg(1, rt), ")"));
  } else if (kBitwise.count(name)) {
    const char* op = name == "bitwise_and" ? "&" : name == "bitwise_or" ? "|" : "^";
    e = cat("(", T, ")(", arg(0, rt), " ", op, " ", arg(1, rt), ")");
  } else if (name == "pow") {
    const Value& y = b.args[1];
    if (integral) {
      helpers.insert("powi");
      e = cat("(", T, ")powi(", arg(0, rt), ", ", arg(1, rt), ")");
    } else if (!y.is_tensor() && y.python_number_type() != NumberType::Complex &&
               (y.as_double() == 2 || y.as_double() == 3 || y.as_double() == 0.5 || y.as_double() == -0.5 ||
                y.as_double() == -1 || y.as_double() == -2)) {
      // torch's CPU pow computes these exponents by multiplication and sqrt
      std::string x = arg(0, rt);
      double p = y.as_double();
      std::string one = literal(Value::constant(1.0), rt);
      if (p == 2) e = cat("(", x, " * ", x, ")");
      else if (p == 3) e = cat("(", x, " * ", x, " * ", x, ")");
      else if (p == 0.5) e = cat(libm("sqrt", rt), "(", x, ")");
      else if (p == -0.5) e = cat("(", one, " / ", libm("sqrt", rt), "(", x, "))");
      else if (p == -1) e = cat("(", one, " / ", x, ")");
      else e = cat("(", one, " / (", x, " * ", x, "))");
      e = round_half(rt, e);
    } else {
      e = round_half(rt, cat(math("pow", rt), "(", arg(0, rt), ", ", arg(1, rt), ")"));
      costly = true;
    }
  } else {
    throw Unsupported{cat(b.sym->name(), " is not supported by the CPU code generator")};
  }
  Result r = emit(rt, e, inner);
  if (costly && inner) costly_names_.insert(r.name);
  if (!call.first.empty() && inner && !is_half(rt)) strip_calls_.emplace(r.name, call);
  return r;
}

std::set<const ValueNode*> Variant::row_cache_candidates() const {
  std::set<const ValueNode*> out;
  int64_t bytes = 0;
  for (const auto& [node, loops] : loops_of_) {
    if (loops.size() < 2 || !costly_.count(node)) continue;
    // row buffers live on the stack of each thread: 64 KiB in all
    bytes += red_numel_ * 8;
    if (bytes > (int64_t{1} << 16)) break;
    out.insert(node);
  }
  return out;
}

// A philox draw at one element: a function of (seed, offset, the element's row-major index), the
// seed and offset read once per kernel (0-dim inputs) or constants.
Result Variant::eval_philox(const BoundSymbol& b, const std::string& name, const Tuple& t) {
  DType rt = b.output.dtype();
  bool inner = false;
  auto seed_arg = [&](const Value& v) {
    if (!v.is_tensor()) return literal(v, DType::Int64);
    Result r = eval(v, Tuple{});
    inner = inner || r.inner;
    return r.name;
  };
  std::string seed = seed_arg(b.args[1]), offset = seed_arg(b.args[2]);
  Ix lin = t.linear ? *t.linear : [&] {
    std::vector<std::string> strides;
    for (int64_t s : contiguous_strides(b.output.shape())) strides.push_back(cat(s));
    return linearize(t.ix, strides);
  }();
  inner = inner || lin.inner;
  helpers.insert("philox");
  std::string args = cat(seed, ", ", offset, ", ", lin.code);
  std::string e;
  if (name == "uniform_philox") {
    helpers.insert("philox_uniform");
    int bits = rt == DType::Float16 ? 11 : rt == DType::BFloat16 ? 8 : 24;
    e = rt == DType::Float64 ? cat("philox_uniform_d(", args, ")") : cat("philox_uniform_f(", args, ", ", bits, ")");
  } else {
    helpers.insert("philox_normal");
    e = rt == DType::Float64 ? cat("philox_normal_d(", args, ")") : round_half(rt, cat("philox_normal_f(", args, ")"));
  }
  return emit(rt, e, inner);
}

// The loop computing a reduction's accumulator, placed in the outer scope before whatever loop
// asked for it.
Result Variant::reduce(const BoundSymbol& b) {
  if (auto it = acc_.find(b.output.node()); it != acc_.end()) return {it->second, false};
  std::string name = prim_name(b);
  DType rt = b.output.dtype();
  std::string T = ctype(rt);
  std::string acc = fresh("acc");
  bool nan_flag = (name == "amax" || name == "amin") && is_floating(rt);
  std::string init;
  if (name == "sum") init = literal(Value::constant(int64_t{0}), rt);
  else if (name == "prod") init = literal(Value::constant(int64_t{1}), rt);
  else if (is_floating(rt)) init = name == "amax" ? "-INFINITY" : "INFINITY";
  else {
    std::string bits = cat(8 * itemsize(rt));
    bool is_unsigned = rt == DType::UInt8;
    if (name == "amax") init = is_unsigned ? "0" : cat("INT", bits, "_MIN");
    else init = is_unsigned ? "UINT8_MAX" : cat("INT", bits, "_MAX");
  }
  // the body, in its own inner scope
  auto saved_inner = inner_;
  auto saved_memo = std::move(memo_inner_);
  memo_inner_.clear();
  std::vector<std::string> body;
  inner_ = &body;
  int saved_loop = loop_id_;
  loop_id_ = next_loop_++;
  auto saved_pending = row_pending_;
  std::vector<std::pair<const ValueNode*, std::string>> pending;
  row_pending_ = &pending;
  Result x = eval(b.args[0], red_tuple_);
  inner_ = saved_inner;
  loop_id_ = saved_loop;
  row_pending_ = saved_pending;
  memo_inner_ = std::move(saved_memo);
  std::string combine, clause;
  if (name == "sum") combine = cat(acc, " += ", x.name, ";"), clause = cat("reduction(+:", acc, ")");
  else if (name == "prod") combine = cat(acc, " *= ", x.name, ";"), clause = cat("reduction(*:", acc, ")");
  else {
    const char* op = name == "amax" ? ">" : "<";
    combine = cat(acc, " = ", x.name, " ", op, " ", acc, " ? ", x.name, " : ", acc, ";");
    clause = cat("reduction(", name == "amax" ? "max" : "min", ":", acc, ")");
  }
  if (nan_flag) {
    combine += cat(" ", acc, "_nan |= ", x.name, " != ", x.name, ";");
    clause += cat(" reduction(|:", acc, "_nan)");
  }
  body.push_back(combine);
  outer_.push_back(cat(T, " ", acc, " = ", init, ";"));
  if (nan_flag) outer_.push_back(cat("int ", acc, "_nan = 0;"));
  std::string open = red_loop_open_;
  size_t pos = open.rfind("@SIMD@");
  open.replace(pos, 6, cat("#pragma omp simd ", clause));
  outer_.push_back(open);
  for (auto& l : body) outer_.push_back("  " + l);
  outer_.push_back(red_loop_close_);
  for (const auto& [node, buf] : pending) row_buffer_[node] = buf;  // later loops read them
  if (nan_flag) outer_.push_back(cat("if (", acc, "_nan) ", acc, " = NAN;"));
  if (is_half(rt)) outer_.push_back(cat(acc, " = ", round_half(rt, acc), ";"));
  acc_[b.output.node()] = acc;
  return {acc, false};
}

// Which values are the region's tensor inputs, the reduction shape, and the iteration domain.
struct Plan {
  std::vector<Value> inputs;
  std::vector<Value> outputs;
  const BoundSymbol* first_reduction = nullptr;
  Shape red_shape;
  std::vector<int64_t> red_dims;
  bool has_views = false;  // expand, permute or slice: the contiguous variant keeps dims
  // column sums (is_column_sum): each a region output, over operands of one shape [..., C] that is
  // the domain (elementwise regions) or the row reductions' operand (which then reduce its last
  // dim only). Rows accumulate by blocks of `block_rows` into a scratch row of `width` (the column
  // sums' C side by side, at `column_offsets`) per block; thunder_kernel_finish adds the blocks up
  // in order, so the sums do not depend on how threads split the blocks.
  std::vector<const BoundSymbol*> column_sums;
  std::vector<size_t> column_outputs;  // their indices in outputs
  std::vector<int64_t> column_offsets;
  Shape column_shape;
  int64_t rows = 0, block_rows = 0, blocks = 0, width = 0;
  bool is_column_output(size_t k) const {
    return std::find(column_outputs.begin(), column_outputs.end(), k) != column_outputs.end();
  }
};

void plan_column_sums(Plan& p) {
  const BoundSymbol& first = *p.column_sums.front();
  p.column_shape = first.args[0].shape();
  const int64_t C = p.column_shape.back();
  for (const BoundSymbol* b : p.column_sums) {
    if (b->args[0].shape() != p.column_shape || b->output.dtype() != first.output.dtype())
      throw Unsupported{"column sums of different shapes or dtypes"};
    size_t k = 0;
    while (k < p.outputs.size() && p.outputs[k].node() != b->output.node()) ++k;
    if (k == p.outputs.size()) throw Unsupported{"a column sum nothing reads"};
    p.column_outputs.push_back(k);
    p.column_offsets.push_back(p.width);
    p.width += C;
  }
  if (p.first_reduction) {
    if (p.red_shape != p.column_shape || p.red_dims != std::vector<int64_t>{static_cast<int64_t>(p.red_shape.size()) - 1})
      throw Unsupported{"column sums beside reductions of other dims"};
  } else {
    for (size_t k = 0; k < p.outputs.size(); ++k)
      if (!p.is_column_output(k) && numel(p.outputs[k].shape()) != numel(p.column_shape))
        throw Unsupported{"elementwise outputs of other sizes than the column sums' operand"};
  }
  p.rows = numel(p.column_shape) / C;
  p.block_rows = std::max<int64_t>(1, (p.rows + 63) / 64);  // at most 64 blocks
  p.blocks = (p.rows + p.block_rows - 1) / p.block_rows;
}

Plan plan(const BoundSymbol& region) {
  Plan p;
  for (const auto& a : region.args) {
    if (a.is_tensor()) p.inputs.push_back(a);
    else if (a.is_number_proxy()) throw Unsupported{"number proxies as region inputs are not supported"};
  }
  for_each_proxy(region.output, [&](const Value& v) {
    if (!v.is_tensor()) throw Unsupported{"outputs must be tensors"};
    p.outputs.push_back(v);
  });
  if (p.outputs.empty()) throw Unsupported{"a region without outputs"};
  // a sum over all dims but the last that only the region's caller reads is a column sum; one
  // that the region reads on is an ordinary reduction
  std::set<const ValueNode*> read_inside;
  for (const auto& b : region.subsymbols)
    for (const auto& a : b.input_proxies()) read_inside.insert(a.node());
  std::vector<const BoundSymbol*> column_sums;
  for (const auto& b : region.subsymbols) {
    if (!can_fuse(b)) throw Unsupported{cat(b.sym->name(), " is not fusible for its operands")};
    std::string name = prim_name(b);
    if (name == "expand" || name == "permute" || name == "slice") p.has_views = true;
    if (!kReductions.count(name)) continue;
    if (is_column_sum(b) && !read_inside.count(b.output.node())) {
      column_sums.push_back(&b);
      continue;
    }
    std::vector<int64_t> dims;
    for (const auto& d : b.args[1].items()) dims.push_back(d.as_int());
    if (!p.first_reduction) {
      p.first_reduction = &b;
      p.red_shape = b.args[0].shape();
      p.red_dims = dims;
    } else if (b.args[0].shape() != p.red_shape || dims != p.red_dims) {
      throw Unsupported{"reductions over different shapes or dims"};
    }
  }
  for (const BoundSymbol* b : column_sums) {
    std::vector<int64_t> dims;
    for (const auto& d : b->args[1].items()) dims.push_back(d.as_int());
    // beside ordinary reductions of the same dims it is one of them
    if (p.first_reduction && b->args[0].shape() == p.red_shape && dims == p.red_dims) continue;
    p.column_sums.push_back(b);
  }
  if (!p.column_sums.empty()) plan_column_sums(p);
  return p;
}

std::string Variant::generate() {
  Plan p = plan(region_);
  for (size_t k = 0; k < p.inputs.size(); ++k) {
    input_index_[p.inputs[k].node()] = k;
    inputs_.push_back(p.inputs[k].meta());
  }
  std::map<std::string, Value> by_key;
  for (const auto& b : region_.subsymbols) {
    for_each_proxy(b.output, [&](const Value& v) { producer_[v.node()] = &b; });
    if (!b.output.is_tensor()) continue;
    std::string key = b.sym->name();
    std::function<void(const Value&)> add = [&](const Value& a) {
      if (a.is_proxy()) {
        auto same = same_as_.find(a.node());
        key += cat("%", static_cast<const void*>(same == same_as_.end() ? a.node() : same->second.node()));
      } else if (a.is_sequence()) {
        key += "[";
        for (const auto& item : a.items()) add(item), key += ",";
        key += "]";
      } else {
        key += python_repr(a);
      }
      key += ";";
    };
    for (const auto& a : b.args) add(a);
    auto [it, fresh] = by_key.emplace(key, b.output);
    if (!fresh) same_as_.emplace(b.output.node(), it->second);
  }

  std::vector<std::string> lines;
  std::string fn = contiguous_ ? "run_contiguous" : "run_strided";
  lines.push_back(cat("static void ", fn, "(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {"));
  size_t slot = 0;
  for (size_t k = 0; k < p.inputs.size(); ++k)
    lines.push_back(cat("  const ", storage_type(inputs_[k].dtype), "* restrict in", k, " = (const ",
                        storage_type(inputs_[k].dtype), "*)data[", slot++, "];"));
  for (size_t k = 0; k < p.outputs.size(); ++k)
    lines.push_back(cat("  ", storage_type(p.outputs[k].dtype()), "* restrict out", k, " = (",
                        storage_type(p.outputs[k].dtype()), "*)data[", slot++, "];"));
  // column sums: the current block's partial sums, column_pointers(<row>) declares them
  std::string column_type = p.column_sums.empty() ? "" : ctype(p.column_sums.front()->output.dtype());
  if (!p.column_sums.empty())
    lines.push_back(cat("  ", column_type, "* restrict part = (", column_type, "*)data[", slot++, "];"));
  auto column_pointers = [&](std::vector<std::string>& into, const std::string& row) {
    for (size_t j = 0; j < p.column_sums.size(); ++j)
      into.push_back(cat("  ", column_type, "* restrict col", j, " = part + (", row, " / ", p.block_rows, ") * ", p.width,
                         " + ", p.column_offsets[j], ";"));
  };
  size_t stride_line = lines.size();

  std::vector<std::string> body;  // the outer loop
  if (!p.first_reduction) {
    // elementwise: rows of the domain's last dim
    // the domain: the outputs' shape, or with column sums their operand's (whose last dim is
    // the column index; plan_column_sums checked the other outputs' sizes)
    Shape dom = p.column_sums.empty() ? p.outputs[0].shape() : p.column_shape;
    if (p.column_sums.empty()) {
      for (const auto& o : p.outputs)
        if (o.shape().size() > dom.size()) dom = o.shape();
      for (const auto& o : p.outputs)
        if (numel(o.shape()) != numel(dom)) throw Unsupported{"elementwise outputs of different sizes"};
    }
    if (contiguous_ && !p.has_views) dom = p.column_sums.empty() ? Shape{numel(dom)} : Shape{p.rows, dom.back()};
    if (dom.empty()) dom = {1};
    int64_t n = static_cast<int64_t>(dom.size()), last = dom.back();
    Tuple t;
    std::string jv = cat("d", n - 1);
    body.push_back("for (int64_t i = begin; i < end;) {");
    if (n > 1) {
      body.push_back(cat("  const int64_t row = i / ", last, ";"));
      body.push_back(cat("  const int64_t first = i - row * ", last, ";"));
      int64_t stride = 1;
      std::vector<std::string> decl;
      for (int64_t k = n - 2; k >= 0; --k) {
        Ix c = component({"row", false}, stride, dom[k], k == 0);
        decl.insert(decl.begin(), cat("  const int64_t d", k, " = ", c.code, ";"));
        stride *= dom[k];
      }
      for (auto& d : decl) body.push_back(d);
      column_pointers(body, "row");
    } else {
      body.push_back("  const int64_t first = i;");
    }
    body.push_back(cat("  const int64_t stop = ", last, " < first + (end - i) ? ", last, " : first + (end - i);"));
    for (int64_t k = 0; k < n; ++k) t.ix.push_back({cat("d", k), k == n - 1});
    t.linear = n > 1 ? Ix{cat("(row * ", last, " + ", jv, ")"), true} : Ix{jv, true};
    std::vector<std::string> loop;
    inner_ = &loop;
    for (size_t k = 0; k < p.outputs.size(); ++k) {
      if (p.is_column_output(k)) continue;
      Tuple u = reshape_map(t, dom, p.outputs[k].shape());
      Result r = eval(p.outputs[k], u);
      loop.push_back(store(p.outputs[k].meta(), k, u, r.name));
    }
    for (size_t j = 0; j < p.column_sums.size(); ++j) {
      const Value& x = p.column_sums[j]->args[0];
      Result r = eval(x, reshape_map(t, dom, x.shape()));
      loop.push_back(cat("col", j, "[", jv, "] += ", r.name, ";"));
    }
    for (auto& l : outer_) body.push_back("  " + l);
    for (auto& l : strip_mined(loop, strip_calls_, jv, "first", "stop")) body.push_back("  " + l);
    body.push_back("  i += stop - first;");
    body.push_back("}");
  } else {
    // reductions: one outer index per reduction result, inner loops over the reduced dims
    const Shape& s = p.red_shape;
    std::vector<bool> reduced(s.size(), false);
    for (int64_t d : p.red_dims) reduced[d] = true;
    bool trailing = true;
    for (size_t k = 0; k < s.size(); ++k)
      if (!reduced[k] && k > static_cast<size_t>(p.red_dims.front())) trailing = false;
    Shape outer_shape, red_sizes;
    for (size_t k = 0; k < s.size(); ++k) (reduced[k] ? red_sizes : outer_shape).push_back(s[k]);
    // the domain: the operand's shape, or [outer, reduced] when the reduced dims are trailing
    Shape dom = s;
    std::vector<bool> dom_red = reduced;
    if (contiguous_ && trailing) {
      dom = {numel(outer_shape), numel(red_sizes)};
      dom_red = {false, true};
    }
    Tuple dt;
    std::vector<std::string> outer_decl;
    int64_t stride = 1;
    std::vector<int64_t> outer_dims, inner_dims;
    for (size_t k = 0; k < dom.size(); ++k) (dom_red[k] ? inner_dims : outer_dims).push_back(k);
    for (size_t q = outer_dims.size(); q-- > 0;) {
      int64_t k = outer_dims[q];
      Ix c = component({"o", false}, stride, dom[k], q == 0);
      outer_decl.insert(outer_decl.begin(), cat("const int64_t d", k, " = ", c.code, ";"));
      stride *= dom[k];
    }
    for (size_t k = 0; k < dom.size(); ++k) dt.ix.push_back({cat("d", k), static_cast<bool>(dom_red[k])});
    if (contiguous_ && trailing) dt.linear = Ix{cat("(d0 * ", dom[1], " + d1)"), true};
    red_tuple_ = reshape_map(dt, dom, s);
    {
      std::vector<Ix> red_ix;
      Shape red_dom;
      for (int64_t k : inner_dims) red_ix.push_back(dt.ix[k]), red_dom.push_back(dom[k]);
      std::vector<std::string> rs;
      for (int64_t st : contiguous_strides(red_dom)) rs.push_back(cat(st));
      red_lin_ = linearize(red_ix, rs).code;
      red_numel_ = numel(red_dom);
    }
    Tuple ot;  // the reduction result's index
    for (size_t k = 0; k < s.size(); ++k)
      if (!reduced[k]) ot.ix.push_back(red_tuple_.ix[k]);
    ot.linear = Ix{"o", false};
    red_outer_key_ = ot.key();
    // the reduced dims' loops, innermost last; "@SIMD@" becomes the reduction's pragma
    std::string open, close, final_open;
    for (size_t q = 0; q < inner_dims.size(); ++q) {
      int64_t k = inner_dims[q];
      std::string pad(2 * q, ' ');
      std::string head = cat(pad, "for (int64_t d", k, " = 0; d", k, " < ", dom[k], "; ++d", k, ") {");
      bool innermost = q + 1 == inner_dims.size();
      open += (q ? "\n" : "") + (innermost ? pad + "@SIMD@\n" : "") + head;
      final_open += (q ? "\n" : "") + (innermost ? pad + "#pragma GCC ivdep\n" : "") + head;
    }
    for (size_t q = inner_dims.size(); q-- > 0;) close += std::string(2 * q, ' ') + "}" + (q ? "\n" : "");
    red_loop_open_ = open, red_loop_close_ = close;
    // fix the body's indentation: inner statements sit at the innermost loop's depth
    std::string body_pad(2 * (inner_dims.size() - 1), ' ');

    body.push_back("for (int64_t o = begin; o < end; ++o) {");
    for (auto& d : outer_decl) body.push_back("  " + d);
    column_pointers(body, "o");
    std::vector<std::string> loop;
    int64_t full = numel(s), part = numel(outer_shape);
    std::vector<size_t> full_outputs;
    for (size_t k = 0; k < p.outputs.size(); ++k) {
      int64_t n = numel(p.outputs[k].shape());
      if (p.is_column_output(k)) continue;
      if (n == full) {
        full_outputs.push_back(k);
      } else if (n == part) {
        Tuple u = reshape_map(ot, outer_shape, p.outputs[k].shape());
        inner_ = nullptr;
        Result r = eval(p.outputs[k], u);
        outer_.push_back(store(p.outputs[k].meta(), k, u, r.name));
      } else {
        throw Unsupported{cat("output ", p.outputs[k].name(), " has neither the reduced operand's size nor the result's")};
      }
    }
    // every reduction is computed even where only another one's result is used
    for (const auto& b : region_.subsymbols)
      if (kReductions.count(prim_name(b)) && !same_as_.count(b.output.node()) &&
          std::find(p.column_sums.begin(), p.column_sums.end(), &b) == p.column_sums.end())
        reduce(b);
    const bool final_loop = !full_outputs.empty() || !p.column_sums.empty();
    if (final_loop) {
      inner_ = &loop;
      memo_inner_.clear();
      loop_id_ = next_loop_++;
      for (size_t j = 0; j < p.column_sums.size(); ++j) {
        Result r = eval(p.column_sums[j]->args[0], red_tuple_);
        loop.push_back(cat("col", j, "[", red_lin_, "] += ", r.name, ";"));
      }
      for (size_t k : full_outputs) {
        // a reshape of a value of the operand's shape is stored from that value at the operand's
        // index (the same row-major offset): read through the reshape, the reductions' results
        // would be indexed by divisions of the offset, which the generator does not match
        Value src = p.outputs[k];
        for (auto pr = producer_.find(src.node()); src.shape() != s && pr != producer_.end() &&
                                                   prim_name(*pr->second) == "reshape";
             pr = producer_.find(src.node()))
          src = pr->second->args[0];
        if (src.shape() == s) {
          TensorMeta m = p.outputs[k].meta();
          m.shape = s;
          Result r = eval(src, red_tuple_);
          loop.push_back(store(m, k, red_tuple_, r.name));
          continue;
        }
        Tuple u = reshape_map(red_tuple_, s, p.outputs[k].shape());
        Result r = eval(p.outputs[k], u);
        loop.push_back(store(p.outputs[k].meta(), k, u, r.name));
      }
    }
    for (auto& l : outer_) {
      // multi-line statements (loops) are indented line by line
      size_t start = 0;
      while (start <= l.size()) {
        size_t end = l.find('\n', start);
        if (end == std::string::npos) end = l.size();
        body.push_back("  " + l.substr(start, end - start));
        start = end + 1;
      }
    }
    if (final_loop) {
      std::string fo = final_open;
      size_t start = 0;
      while (start <= fo.size()) {
        size_t end = fo.find('\n', start);
        if (end == std::string::npos) end = fo.size();
        body.push_back("  " + fo.substr(start, end - start));
        start = end + 1;
      }
      for (auto& l : loop) body.push_back("  " + body_pad + "  " + l);
      size_t cs = 0;
      while (cs <= close.size()) {
        size_t end = close.find('\n', cs);
        if (end == std::string::npos) end = close.size();
        body.push_back("  " + close.substr(cs, end - cs));
        cs = end + 1;
      }
    }
    body.push_back("}");
  }
  std::vector<std::string> strides;
  for (const auto& s : stride_names_) {
    size_t us = s.find('_');
    size_t k = std::stoul(s.substr(1, us - 1)), d = std::stoul(s.substr(us + 1));
    size_t off = 0;
    for (size_t q = 0; q < k; ++q) off += inputs_[q].shape.size();
    strides.push_back(cat("  const int64_t ", s, " = strides[", off + d, "];"));
  }
  if (strides.empty()) strides.push_back("  (void)strides;");
  for (const auto& d : row_decls_) strides.push_back("  " + d);
  lines.insert(lines.begin() + stride_line, strides.begin(), strides.end());
  for (auto& l : body) lines.push_back("  " + l);
  lines.push_back("}");
  return join(lines, "\n") + "\n";
}

// The start of thunder_kernel for a region with column sums: zero the partial sums of blocks
// [begin, end), then turn them into rows (row kernels) or elements.
std::string column_sum_entry(const Plan& p, const KernelSource& k) {
  std::string t = ctype(p.column_sums.front()->output.dtype());
  size_t scratch = k.inputs.size() + k.outputs.size();
  int64_t unit = p.first_reduction ? p.block_rows : p.block_rows * p.column_shape.back();
  int64_t total = p.first_reduction ? p.rows : numel(p.column_shape);
  return cat("  memset((", t, "*)data[", scratch, "] + begin * ", p.width, ", 0, sizeof(", t, ") * (end - begin) * ", p.width,
             ");\n  begin *= ", unit, ";\n  end = end * ", unit, " < ", total, " ? end * ", unit, " : ", total, ";\n");
}

// thunder_kernel_finish: each column sum, its blocks' partial sums added in block order.
std::string column_sum_finish(const Plan& p, const KernelSource& k) {
  std::string t = ctype(p.column_sums.front()->output.dtype());
  size_t n_in = k.inputs.size();
  int64_t C = p.column_shape.back();
  std::string src = cat("\nvoid thunder_kernel_finish(void* const* data) {\n  const ", t, "* restrict part = (const ", t,
                        "*)data[", n_in + k.outputs.size(), "];\n");
  for (size_t j = 0; j < p.column_sums.size(); ++j) {
    src += cat("  {\n    ", t, "* restrict out = (", t, "*)data[", n_in + p.column_outputs[j], "];\n");
    src += cat("    for (int64_t c = 0; c < ", C, "; ++c) out[c] = 0;\n");
    src += cat("    for (int64_t b = 0; b < ", p.blocks, "; ++b)\n      for (int64_t c = 0; c < ", C, "; ++c) out[c] += part[b * ",
               p.width, " + ", p.column_offsets[j], " + c];\n  }\n");
  }
  return src + "}\n";
}

}  // namespace

KernelSource generate(const BoundSymbol& region) {
  KernelSource k;
  std::string contiguous, strided;
  std::set<std::string> helpers, vector_math;
  Plan p;
  try {
    p = plan(region);
    Variant c0(region, true), s0(region, false);
    contiguous = c0.generate();
    strided = s0.generate();
    Variant c(region, true, c0.row_cache_candidates()), s(region, false, s0.row_cache_candidates());
    contiguous = c.generate();
    strided = s.generate();
    helpers = c.helpers;
    helpers.insert(s.helpers.begin(), s.helpers.end());
    vector_math = c.vector_math;
  } catch (const Unsupported& u) {
    throw UserError(ErrorKind::NotImplemented, cat("cpu fusion: ", u.reason));
  }
  for (const auto& v : p.inputs) k.inputs.push_back(v.meta());
  for (const auto& v : p.outputs) k.outputs.push_back(v.meta());
  if (!p.column_sums.empty()) {
    // the parallel range counts blocks of rows; thunder_kernel turns a part of it into rows
    // (row kernels) or elements
    k.work = numel(p.column_shape);
    k.range = p.blocks;
    k.scratch_bytes = std::max<int64_t>(8, p.blocks * p.width * itemsize(p.column_sums.front()->output.dtype()));
  } else if (p.first_reduction) {
    k.work = numel(p.red_shape);
    Shape outer;
    for (size_t d = 0; d < p.red_shape.size(); ++d)
      if (std::find(p.red_dims.begin(), p.red_dims.end(), static_cast<int64_t>(d)) == p.red_dims.end())
        outer.push_back(p.red_shape[d]);
    k.range = numel(outer);
  } else {
    k.work = k.range = numel(k.outputs[0].shape);
  }
  if (helpers.count("f16_to_f32") || helpers.count("exp_f") || helpers.count("f32_to_f16") || helpers.count("bf16_to_f32") ||
      helpers.count("f32_to_bf16") || helpers.count("round_f16") || helpers.count("round_bf16"))
    helpers.insert("bits");
  if (helpers.count("round_f16")) helpers.insert({"f16_to_f32", "f32_to_f16"});
  if (helpers.count("round_bf16")) helpers.insert({"bf16_to_f32", "f32_to_bf16"});

  std::string src = "// thunder CPU kernel: a region of " + std::to_string(region.subsymbols.size()) + " prims\n";
  // no proxy names in the source: the source is the cache key, and the same region in every layer
  // of a model (same prims, shapes and dtypes, other names) is then one kernel, compiled once
  for (size_t i = 0; i < p.inputs.size(); ++i) src += cat("// in", i, ": ", p.inputs[i].meta().str(), "\n");
  for (size_t i = 0; i < p.outputs.size(); ++i)
    src += cat("// out", i, ": ", p.outputs[i].meta().str(), "\n");
  src += "#include <math.h>\n#include <stdbool.h>\n#include <stdint.h>\n#include <string.h>\n\n";
  if (!vector_math.empty()) {
    src += "#ifdef THUNDER_VECMATH\n// vector variants from glibc's libmvec, so loops calling these vectorize\n";
    for (const auto& fn : vector_math) {
      bool is_float = fn.back() == 'f' && !kVectorMath.count(fn);
      std::string base = is_float ? fn.substr(0, fn.size() - 1) : fn;
      std::string t = is_float ? "float" : "double";
      std::string params = kVectorMath.at(base) == 2 ? t + ", " + t : t;
      src += cat("#pragma omp declare simd notinbranch\n", t, " ", fn, "(", params, ");\n");
    }
    src += "#endif\n\n";
  }
  for (const auto& [name, text] : helper_sources())
    if (helpers.count(name)) src += text;
  if (!helpers.empty()) src += "\n";
  src += contiguous + "\n" + strided + "\n";
  // the contiguous variant runs when every input's strides are row-major (size-1 dims ignored)
  std::vector<std::string> checks;
  size_t off = 0;
  for (const auto& m : k.inputs) {
    Shape cs = contiguous_strides(m.shape);
    for (size_t d = 0; d < m.shape.size(); ++d)
      if (m.shape[d] != 1) checks.push_back(cat("strides[", off + d, "] == ", cs[d]));
    off += m.shape.size();
  }
  if (k.range == 0 || numel(k.outputs[0].shape) == 0) checks.clear();
  src += "void thunder_kernel(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {\n";
  if (!p.column_sums.empty()) src += column_sum_entry(p, k);
  if (checks.empty()) {
    src += "  run_contiguous(data, strides, begin, end);\n";
  } else {
    src += "  if (" + join(checks, " &&\n      ") + ")\n";
    src += "    run_contiguous(data, strides, begin, end);\n  else\n    run_strided(data, strides, begin, end);\n";
  }
  src += "}\n";
  if (checks.empty()) {
    // the strided variant is unused: drop it so the compiler does not warn
    size_t a = src.find("static void run_strided");
    size_t b = src.find("\n}\n", a);
    src.erase(a, b + 3 - a + 1);
  }
  if (!p.column_sums.empty()) src += column_sum_finish(p, k);
  k.source = std::move(src);
  return k;
}

std::optional<std::string> region_unsupported(const BoundSymbol& region) {
  try {
    Variant c(region, true), s(region, false);
    c.generate();
    s.generate();
  } catch (const Unsupported& u) {
    return u.reason;
  }
  return std::nullopt;
}

}  // namespace thunder::codegen::cpu
