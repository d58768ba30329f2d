#include "exec/executor.h"
#include "helpers.h"
#include "transforms/passes.h"

using namespace thunder;
using namespace thunder::testing;

namespace {

// x * 2 + y, then relu; also computes an unused value.
Trace small_trace(TraceBuilder& b) {
  Value x = b.add_input("x", TensorMeta{{2, 3}, DType::Float32, Device{}, false});
  Value y = b.add_input("y", TensorMeta{{3}, DType::Float32, Device{}, false});
  Value t = ops::call("mul", {x, Value::constant(int64_t{2})});
  ops::call("exp", {x});  // dead
  Value u = ops::call("add", {t, y});
  b.set_output(ops::call("relu", {u}));
  return b.finish();
}

}  // namespace

TEST(Printer, GoldenComputationTrace) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Trace t = small_trace(b);
  EXPECT_EQ(t.str(), R"(# Constructed by Tracing
import torch

def computation(x, y):
  # x: "cpu f32[2, 3]"
  # y: "cpu f32[3]"
  t0 = torch.mul(x, 2)  # t0: "cpu f32[2, 3]"
    # t0 = prims.mul(x, 2)
  t1 = torch.exp(x)  # t1: "cpu f32[2, 3]"
    # t1 = prims.exp(x)
  t3 = torch.add(t0, y)  # t3: "cpu f32[2, 3]"
    # t2 = prims.expand(y, [2, 3])
    # t3 = prims.add(t0, t2)
  t5 = torch.relu(t3)  # t5: "cpu f32[2, 3]"
    # t4 = prims.le(t3, 0)
    # t5 = prims.where(t4, 0, t3)
  return t5
)");
  verify(t);
}

TEST(Printer, NumberFirstOperandsUseOperators) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2}, DType::Float32, Device{}, false});
  b.set_output(ops::call("sub", {f(1.5), x}));
  Trace t = b.finish();
  EXPECT_NE(t.str().find("t0 = 1.5 - x  # t0: \"cpu f32[2]\""), std::string::npos) << t.str();
}

TEST(Printer, DefaultsAreOmittedAndKeywordOnlyArgsNamed) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2, 3}, DType::Int32, Device{}, false});
  Value a = ops::call("sum", {x});
  Value c = ops::call("sum", {x, i(1)}, {{"dtype", Value::constant(DType::Float64)}});
  b.set_output(Value::sequence({a, c}));
  std::string text = b.finish().str();
  EXPECT_NE(text.find("= torch.sum(x)  #"), std::string::npos) << text;
  EXPECT_NE(text.find("= torch.sum(x, 1, dtype=torch.float64)  #"), std::string::npos) << text;
  EXPECT_NE(text.find("return (t1, t3)"), std::string::npos) << text;
}

TEST(Builder, InputNamesAreUniqueIdentifiers) {
  TraceBuilder b;
  TensorMeta m{{1}, DType::Float32, Device{}, false};
  EXPECT_EQ(b.add_input("x", m).name(), "x");
  EXPECT_EQ(b.add_input("x", m).name(), "x_1");
  EXPECT_EQ(b.add_input("lambda", m).name(), "_lambda");
  EXPECT_EQ(b.add_input("0weird-name", m).name(), "_0weird_name");
  EXPECT_EQ(b.new_tensor(m).name(), "t0");
}

TEST(Builder, IdentityDecompositionGetsAnAlias) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2, 1}, DType::Float32, Device{}, false});
  Value y = ops::call("squeeze", {x, i(0)});  // dim 0 is not 1: nothing to do
  EXPECT_FALSE(y.same(x));
  b.set_output(y);
  Trace t = b.finish();
  ASSERT_EQ(t.bound_symbols.size(), 1u);
  ASSERT_EQ(t.bound_symbols[0].subsymbols.size(), 1u);
  EXPECT_EQ(t.bound_symbols[0].subsymbols[0].sym->name(), "prims.alias");
  verify(t);
}

TEST(Builder, FailedRecordLeavesTheTraceUnchanged) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2}, DType::Float32, Device{}, false});
  Value y = b.add_input("y", TensorMeta{{3}, DType::Float32, Device{}, false});
  EXPECT_THROW(ops::call("add", {x, y}), UserError);
  b.set_output(ops::call("neg", {x}));
  Trace t = b.finish();
  ASSERT_EQ(t.bound_symbols.size(), 1u);
  verify(t);
}

TEST(Verifier, RejectsUseBeforeDefinition) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Trace t = small_trace(b);
  std::swap(t.bound_symbols[0], t.bound_symbols[2]);
  try {
    verify(t);
    FAIL() << "expected an internal error";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("t0 is used by the call of add"), std::string::npos) << e.what();
  }
}

TEST(Verifier, RejectsDoubleDefinition) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Trace t = small_trace(b);
  t.bound_symbols.push_back(t.bound_symbols[0]);
  EXPECT_THROW(verify(t), InternalError);
}

TEST(Verifier, RejectsOutputsTheMetaRuleDoesNotProduce) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2}, DType::Float32, Device{}, false});
  Value y = ops::call("prims.exp", {x});
  b.set_output(y);
  Trace t = b.finish();
  t.bound_symbols[0].output = Value::tensor(y.name(), TensorMeta{{3}, DType::Float32, Device{}, false});
  t.output = t.bound_symbols[0].output;
  EXPECT_THROW(verify(t), InternalError);
}

TEST(Verifier, RejectsTwoValuesWithOneName) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2}, DType::Float32, Device{}, false});
  Value y = ops::call("prims.exp", {x});
  b.set_output(y);
  Trace t = b.finish();
  t.bound_symbols[0].output = Value::tensor("x", y.meta());  // a second value named x
  t.output = t.bound_symbols[0].output;
  try {
    verify(t);
    FAIL() << "expected an internal error";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("two different values are both named x"), std::string::npos) << e.what();
  }
}

TEST(Passes, DeadCodeElimination) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Trace t = transforms::dead_code_elimination(small_trace(b));
  EXPECT_EQ(t.header, "Dead Code Elimination");
  ASSERT_EQ(t.bound_symbols.size(), 3u);
  for (const auto& bs : t.bound_symbols) EXPECT_NE(bs.sym->name(), "exp");
  verify(t);
}

TEST(Passes, DeadCodeEliminationKeepsSideEffects) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2}, DType::Float32, Device{}, false});
  Value y = ops::call("neg", {x});
  ops::call("prims.copy_", {x, y});
  ops::call("prims.set_grad_enabled", {Value::constant(true)});
  ops::call("exp", {x});  // dead
  b.set_output(Value::none());
  Trace t = transforms::dead_code_elimination(b.finish());
  std::vector<std::string> names;
  for (const auto& bs : t.bound_symbols) names.push_back(bs.sym->name());
  EXPECT_EQ(names, (std::vector<std::string>{"neg", "prims.copy_", "prims.set_grad_enabled"}));
  EXPECT_NE(t.str().find("  prims.copy_(x, t0)\n  prims.set_grad_enabled(True)\n"), std::string::npos) << t.str();
  verify(t);
}

TEST(Passes, DecomposeToPrims) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Trace t = transforms::decompose_to_prims(transforms::dead_code_elimination(small_trace(b)));
  std::vector<std::string> names;
  for (const auto& bs : t.bound_symbols) names.push_back(bs.sym->name());
  EXPECT_EQ(names, (std::vector<std::string>{"prims.mul", "prims.expand", "prims.add", "prims.le", "prims.where"}));
  EXPECT_NE(t.str().find("from thunder import prims"), std::string::npos);
  verify(t);
}

TEST(Passes, DeletesAfterLastUse) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Trace t = exec::insert_deletes(transforms::dead_code_elimination(small_trace(b)));
  EXPECT_EQ(t.header, "Transform for execution");
  std::string text = t.str();
  EXPECT_NE(text.find("  t0 = torch.mul(x, 2)  # t0: \"cpu f32[2, 3]\"\n    # t0 = prims.mul(x, 2)\n  del x\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  del t0, y\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  del t3\n  return t5\n"), std::string::npos) << text;
  verify(t);
}

TEST(Passes, PipelineStages) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  auto stages = transforms::run_pipeline(small_trace(b), {.decompose = true, .verify = true});
  std::vector<std::string> headers;
  for (const auto& t : stages) headers.push_back(t.header);
  EXPECT_EQ(headers, (std::vector<std::string>{"Tracing", "Dead Code Elimination", "Common Subexpression Elimination (unchanged)",
                                               "Decomposition into prims", "Claim by executors (unchanged)",
                                               "Transform for execution"}));
}

TEST(Printer, GoldenSymbolicNumberTrace) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2}, DType::Float32, Device{}, false});
  Value n = b.add_number_input("n", NumberType::Int);
  Value m = ops::call("prims.number_add", {n, i(1)});
  EXPECT_EQ(m.number_type(), NumberType::Int);
  EXPECT_EQ(ops::call("prims.number_truediv", {m, i(2)}).number_type(), NumberType::Float);
  b.set_output(Value::sequence({ops::call("mul", {x, m}), ops::call("full", {Value::sequence({i(2)}), n})}));
  Trace t = b.finish();
  EXPECT_EQ(t.str(), R"(# Constructed by Tracing
import torch
from thunder import prims

def computation(x, n):
  # x: "cpu f32[2]"
  # n: "int"
  n0 = prims.number_add(n, 1)  # n0: "int"
  n1 = prims.number_truediv(n0, 2)  # n1: "float"
  t2 = torch.mul(x, n0)  # t2: "cpu f32[2]"
    # t2 = prims.mul(x, n0)
  t3 = torch.full((2,), n)  # t3: "cpu i64[2]"
    # t3 = prims.full([2], n, torch.int64, torch.device('cpu'))
  return (t2, t3)
)");
  verify(t);
}
