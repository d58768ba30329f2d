#include "helpers.h"
#include "transforms/grad.h"
#include "transforms/passes.h"

using namespace thunder;
using namespace thunder::testing;

namespace {

Value grad_input(TraceBuilder& b, const std::string& name, Shape shape, bool requires_grad) {
  return b.add_input(name, TensorMeta{std::move(shape), DType::Float32, Device{}, requires_grad});
}

}  // namespace

// sin(x) * w summed: forward keeps the torch-level calls that have rules and decomposes the rest;
// backward reads x and w (saved), and only x, which requires grad, gets a gradient.
TEST(Grad, GoldenForwardAndBackward) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = grad_input(b, "x", {2, 3}, true);
  Value w = grad_input(b, "w", {3}, false);
  b.set_output(ops::call("sum", {ops::call("mul", {ops::call("sin", {x}), w})}));
  Trace t = b.finish();
  t.grad_enabled = true;
  transforms::GradTraces g = transforms::grad_transform(t);
  verify(g.forward);
  verify(g.backward);
  EXPECT_EQ(transforms::dead_code_elimination(g.forward).str(), R"(# Constructed by Dead Code Elimination
import torch
from thunder import prims

def computation(x, w):
  # x: "cpu f32[2, 3]"
  # w: "cpu f32[3]"
  t0 = prims.sin(x)  # t0: "cpu f32[2, 3]"
  t1 = prims.expand(w, [2, 3])  # t1: "cpu f32[2, 3]"
  t2 = prims.mul(t0, t1)  # t2: "cpu f32[2, 3]"
  t3 = prims.sum(t2, [0, 1])  # t3: "cpu f32[]"
  return (t3, (t1, x))
)");
  EXPECT_EQ(g.backward.str(), R"(# Constructed by Grad transform (backward)
import torch
from thunder import prims

def backward(t1, x, g_t3):
  # t1: "cpu f32[2, 3]"
  # x: "cpu f32[2, 3]"
  # g_t3: "cpu f32[]"
  t4 = prims.reshape(g_t3, [1, 1])  # t4: "cpu f32[1, 1]"
  t5 = prims.expand(t4, [2, 3])  # t5: "cpu f32[2, 3]"
  t6 = prims.mul(t5, t1)  # t6: "cpu f32[2, 3]"
  t8 = prims.cos(x)  # t8: "cpu f32[2, 3]"
  t9 = prims.mul(t6, t8)  # t9: "cpu f32[2, 3]"
  return (t9, None)
)");
  ASSERT_EQ(g.saved.size(), 2u);
  EXPECT_EQ(g.cotangent_positions, std::vector<int64_t>{0});
}

// A value used twice gets the sum of its cotangents; a no_grad region is not differentiated.
TEST(Grad, FanOutSumsAndNoGradStops) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = grad_input(b, "x", {4}, true);
  Value y = ops::call("exp", {x});
  ops::call("prims.set_grad_enabled", {Value::constant(false)});
  Value z = ops::call("mul", {x, x});
  ops::call("prims.set_grad_enabled", {Value::constant(true)});
  b.set_output(Value::sequence({ops::call("mul", {y, y}), z}));
  Trace t = b.finish();
  t.grad_enabled = true;
  transforms::GradTraces g = transforms::grad_transform(t);
  verify(g.backward);
  // only the first output carries a gradient; the forward drops the grad-mode switches
  EXPECT_EQ(g.cotangent_positions, std::vector<int64_t>{0});
  for (const auto& bs : g.forward.bound_symbols) EXPECT_NE(bs.sym->name(), "prims.set_grad_enabled");
  int adds = 0;
  for (const auto& bs : g.backward.bound_symbols) adds += bs.sym->name() == "prims.add";
  EXPECT_EQ(adds, 1);  // y's two cotangents
}

// CPU dropout decomposes (its mask is a tensor backward reuses); CUDA dropout is one call of
// aten::native_dropout, whose rule multiplies by the boolean mask it returns.
TEST(Grad, DropoutMaskOnCpuAndCuda) {
  for (const char* device : {"cpu", "cuda"}) {
    TraceBuilder b;
    TraceBuilder::Scope s(b);
    Value x = b.add_input("x", TensorMeta{{4}, DType::Float32, Device::parse(device), true});
    b.set_output(ops::call("dropout", {x, Value::constant(0.5)}));
    Trace t = b.finish();
    t.grad_enabled = true;
    if (std::string(device) == "cuda") {
      transforms::GradTraces g = transforms::grad_transform(t);
      std::string mask;
      for (const auto& bs : g.forward.bound_symbols)
        if (bs.sym->name() == "prims.native_dropout") mask = bs.output.items().at(1).name();
      ASSERT_FALSE(mask.empty());
      ASSERT_EQ(g.saved.size(), 1u);
      EXPECT_EQ(g.saved[0].name(), mask);  // backward reads the draw's mask, nothing else
      continue;
    }
    transforms::GradTraces g = transforms::grad_transform(t);
    std::string mask;
    for (const auto& bs : g.forward.bound_symbols)
      if (bs.sym->name() == "bernoulli_functional") mask = bs.output.name();
    ASSERT_FALSE(mask.empty());
    // backward multiplies by the scaled mask, a saved tensor computed from the draw
    EXPECT_EQ(g.saved.size(), 1u);
  }
}
