// Which prim calls the CPU code generator compiles (the op tables codegen.cpp generates code for,
// and can_fuse), and the whole-trace regions tests and benchmarks use.
#include <set>

#include "codegen/cpu/codegen.h"
#include "codegen/cpu/internal.h"
#include "ir/error.h"

namespace thunder::codegen::cpu {

const std::set<std::string> kFloatUnary = {"exp",  "expm1", "log",  "log1p", "log2",  "log10", "sqrt", "sin",
                                           "cos",  "tan",   "asin", "acos",  "atan",  "sinh",  "cosh", "tanh",
                                           "asinh", "acosh", "atanh", "erf",  "erfc",  "lgamma"};
const std::set<std::string> kNumericUnary = {"neg", "abs", "floor", "ceil", "round", "trunc"};
const std::set<std::string> kArith = {"add", "sub", "mul", "maximum", "minimum"};
const std::set<std::string> kFloatBinary = {"div", "fmod", "copysign", "atan2", "hypot"};
const std::set<std::string> kBitwise = {"bitwise_and", "bitwise_or", "bitwise_xor"};
const std::map<std::string, std::string> kCompare = {{"eq", "=="}, {"ne", "!="}, {"lt", "<"},
                                                     {"le", "<="}, {"gt", ">"},  {"ge", ">="}};
const std::set<std::string> kViews = {"expand", "reshape", "permute", "slice", "alias"};
const std::set<std::string> kReductions = {"sum", "prod", "amax", "amin"};

std::string prim_name(const BoundSymbol& b) {
  const std::string& n = b.sym->name();
  return n.rfind("prims.", 0) == 0 ? n.substr(6) : "";
}

bool supported_dtype(DType t) { return !is_complex(t); }

namespace {

// Whether a reduction reduces its input's innermost dim (of size > 1).
bool reduces_innermost(const BoundSymbol& b) {
  const Value& x = b.args.at(0);
  if (!x.is_tensor() || !b.args.at(1).is_sequence()) return true;
  int64_t inner = x.rank() - 1;
  while (inner >= 0 && x.shape()[inner] == 1) --inner;
  if (inner < 0) return true;
  for (const auto& d : b.args[1].items())
    if (d.is_int() && d.as_int() == inner) return true;
  return false;
}

}  // namespace

bool is_column_sum(const BoundSymbol& b) {
  if (prim_name(b) != "sum" || !b.args.at(0).is_tensor() || !b.args.at(1).is_sequence()) return false;
  const Value& x = b.args[0];
  DType t = b.output.dtype();
  if (x.rank() < 2 || x.shape().back() < 16 || x.dtype() != t || (t != DType::Float32 && t != DType::Float64)) return false;
  const auto& dims = b.args[1].items();
  if (static_cast<int64_t>(dims.size()) != x.rank() - 1) return false;
  for (size_t k = 0; k < dims.size(); ++k)
    if (!dims[k].is_int() || dims[k].as_int() != static_cast<int64_t>(k)) return false;
  return true;
}

// The generator's reduction loop walks the reduced dims innermost; over leading dims only it would
// stride through memory and not vectorize, where ATen reduces along rows about ten times faster:
// the executor leaves those reductions to ATen, except column sums, which a kernel accumulates
// row by row into per-block partial sums (codegen.cpp) while it computes their operand.
bool worth_fusing(const BoundSymbol& b) {
  if (!can_fuse(b)) return false;
  return !kReductions.count(prim_name(b)) || reduces_innermost(b) || is_column_sum(b);
}

bool can_fuse(const BoundSymbol& b) {
  std::string name = prim_name(b);
  if (name.empty() || !b.output.is_tensor()) return false;
  for (const auto& a : b.args) {
    if (a.is_number_proxy()) return false;
    if (a.is_tensor() && (a.meta().device.type != DeviceType::CPU || !supported_dtype(a.dtype()))) return false;
    if (a.is_constant() && a.is_number() && a.python_number_type() == NumberType::Complex) return false;
  }
  DType out = b.output.dtype();
  if (b.output.meta().device.type != DeviceType::CPU || !supported_dtype(out)) return false;
  DType in = out;
  for (const auto& a : b.args)
    if (a.is_tensor()) in = a.dtype();
  if (name == "where" || name == "convert_element_type" || kViews.count(name) || kCompare.count(name)) return true;
  if (name == "iota") return is_integer(out);
  if (name == "full") return b.args.at(1).is_constant();
  if (kFloatUnary.count(name) || kFloatBinary.count(name)) return is_floating(out);
  if (kNumericUnary.count(name)) return out != DType::Bool;
  if (kArith.count(name)) return true;
  if (kBitwise.count(name)) return !is_floating(out);
  if (name == "pow") return out != DType::Bool;
  if (name == "sum" || name == "prod") return is_floating(in) || in == DType::Int64;
  if (name == "amax" || name == "amin") return in != DType::Bool;
  if (name == "uniform_philox" || name == "normal_philox") return is_floating(out);
  return false;
}

const Symbol& region_symbol() {
  static const Symbol sym(OpSpec{.schema = "cpu_fusion(args)", .print_name = "cpu_fusion", .impl = [](const Args& a) {
                                   return a[0];
                                 }});
  return sym;
}

BoundSymbol region_from_trace(const Trace& trace) {
  BoundSymbol r;
  r.sym = &region_symbol();
  std::set<const ValueNode*> defined;
  for (const auto& v : trace.inputs)
    if (v.is_tensor()) r.args.push_back(v);
  for (const auto& b : trace.bound_symbols) {
    if (b.sym == &del_symbol()) continue;
    THUNDER_CHECK(can_fuse(b), NotImplemented, "cpu fusion: ", b.sym->name(), " cannot be fused");
    r.subsymbols.push_back(b);
    for_each_proxy(b.output, [&](const Value& v) { defined.insert(v.node()); });
  }
  std::vector<Value> outs;
  for_each_proxy(trace.output, [&](const Value& v) {
    if (v.is_tensor() && defined.count(v.node())) outs.push_back(v);
  });
  r.output = Value::sequence(outs);
  return r;
}

}  // namespace thunder::codegen::cpu
