// Rematerialization: golden traces of small differentiated programs, before and after the pass.
#include "helpers.h"
#include "transforms/grad.h"
#include "transforms/remat.h"

namespace thunder::testing {
namespace {

class Remat : public TraceTest {
 protected:
  Value grad_input(const std::string& name, Shape shape, DType dtype = DType::Float32) {
    return builder.add_input(name, TensorMeta{std::move(shape), dtype, Device::parse("cpu"), true});
  }
  // The grad transform and rematerialization of what was recorded, returning `out`.
  std::pair<transforms::GradTraces, transforms::GradTraces> differentiate(const Value& out) {
    builder.set_output(out);
    Trace t = builder.finish();
    t.grad_enabled = true;
    transforms::GradTraces g = transforms::grad_transform(t);
    transforms::GradTraces r = transforms::rematerialize(g);
    verify(r.forward);
    verify(r.backward);
    return {g, r};
  }
};

std::vector<std::string> names(const std::vector<Value>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(v.name());
  return out;
}

// An elementwise chain between an input and a matmul: backward recomputes the chain from the
// input (free to keep) instead of saving its results.
TEST_F(Remat, ElementwiseChainIsRecomputedFromTheInput) {
  Value x = grad_input("x", {4, 8});
  Value w = grad_input("w", {8, 16});
  Value a = op("exp", {x});
  Value b = op("mul", {a, a});
  auto [g, r] = differentiate(op("matmul", {b, w}));
  EXPECT_EQ(names(g.saved), (std::vector<std::string>{"w", "t1", "t0"}));
  EXPECT_EQ(transforms::tensor_bytes(g.saved), 3 * 4 * 8 * 4 + 8 * 16 * 4 - 4 * 8 * 4);
  EXPECT_EQ(names(r.saved), (std::vector<std::string>{"w", "x"}));
  EXPECT_EQ(r.backward.str(), R"(# Constructed by Rematerialization (backward)
import torch
from thunder import prims

def backward(w, x, g_t2):
  # w: "cpu f32[8, 16]"
  # x: "cpu f32[4, 8]"
  # g_t2: "cpu f32[4, 16]"
  t3 = prims.permute(w, [1, 0])  # t3: "cpu f32[16, 8]"
  t4 = prims.matmul(g_t2, t3)  # t4: "cpu f32[4, 8]"
  t0 = prims.exp(x)  # t0: "cpu f32[4, 8]"
  t1 = prims.mul(t0, t0)  # t1: "cpu f32[4, 8]"
  t5 = prims.permute(t1, [1, 0])  # t5: "cpu f32[8, 4]"
  t6 = prims.matmul(t5, g_t2)  # t6: "cpu f32[8, 16]"
  t7 = prims.mul(t4, t0)  # t7: "cpu f32[4, 8]"
  t8 = prims.mul(t4, t0)  # t8: "cpu f32[4, 8]"
  t9 = prims.add(t7, t8)  # t9: "cpu f32[4, 8]"
  t10 = prims.mul(t9, t0)  # t10: "cpu f32[4, 8]"
  return (t10, t6)
)");
}

// A matmul is never recomputed: its result is saved, and the elementwise ops after it, whose
// results backward reads, are recomputed from it.
TEST_F(Remat, MatmulIsSavedItsElementwiseConsumersRecomputed) {
  Value x = grad_input("x", {4, 8});
  Value w = grad_input("w", {8, 16});
  Value w2 = grad_input("w2", {16, 2});
  Value h = op("matmul", {x, w});
  Value y = op("mul", {h, op("tanh", {h})});
  auto [g, r] = differentiate(op("matmul", {y, w2}));
  EXPECT_LT(transforms::tensor_bytes(r.saved), transforms::tensor_bytes(g.saved));
  EXPECT_EQ(r.forward.str(), R"(# Constructed by Rematerialization
import torch
from thunder import prims

def computation(x, w, w2):
  # x: "cpu f32[4, 8]"
  # w: "cpu f32[8, 16]"
  # w2: "cpu f32[16, 2]"
  t0 = prims.matmul(x, w)  # t0: "cpu f32[4, 16]"
  t1 = prims.tanh(t0)  # t1: "cpu f32[4, 16]"
  t2 = prims.mul(t0, t1)  # t2: "cpu f32[4, 16]"
  t3 = prims.matmul(t2, w2)  # t3: "cpu f32[4, 2]"
  return (t3, (w2, t0, w, x))
)");
  EXPECT_EQ(r.backward.str(), R"(# Constructed by Rematerialization (backward)
import torch
from thunder import prims

def backward(w2, t0, w, x, g_t3):
  # w2: "cpu f32[16, 2]"
  # t0: "cpu f32[4, 16]"
  # w: "cpu f32[8, 16]"
  # x: "cpu f32[4, 8]"
  # g_t3: "cpu f32[4, 2]"
  t4 = prims.permute(w2, [1, 0])  # t4: "cpu f32[2, 16]"
  t5 = prims.matmul(g_t3, t4)  # t5: "cpu f32[4, 16]"
  t1 = prims.tanh(t0)  # t1: "cpu f32[4, 16]"
  t2 = prims.mul(t0, t1)  # t2: "cpu f32[4, 16]"
  t6 = prims.permute(t2, [1, 0])  # t6: "cpu f32[16, 4]"
  t7 = prims.matmul(t6, g_t3)  # t7: "cpu f32[16, 2]"
  t8 = prims.mul(t5, t1)  # t8: "cpu f32[4, 16]"
  t9 = prims.mul(t5, t0)  # t9: "cpu f32[4, 16]"
  t10 = prims.mul(t1, t1)  # t10: "cpu f32[4, 16]"
  t11 = 1 - t10  # t11: "cpu f32[4, 16]"
  t12 = prims.mul(t9, t11)  # t12: "cpu f32[4, 16]"
  t13 = prims.add(t8, t12)  # t13: "cpu f32[4, 16]"
  t14 = prims.permute(w, [1, 0])  # t14: "cpu f32[16, 8]"
  t15 = prims.matmul(t13, t14)  # t15: "cpu f32[4, 8]"
  t16 = prims.permute(x, [1, 0])  # t16: "cpu f32[8, 4]"
  t17 = prims.matmul(t16, t13)  # t17: "cpu f32[8, 16]"
  return (t15, t17, t7)
)");
}

// A random draw is never recomputed (backward would draw other numbers): the mask computed from
// it is saved, one byte an element instead of the draw's four.
TEST_F(Remat, RandomDrawIsNeverRecomputedItsMaskIsSaved) {
  Value x = grad_input("x", {4, 8});
  Value u = op("rand_like", {x});
  Value mask = op("lt", {u, f(0.5)});
  auto [g, r] = differentiate(op("mul", {op("exp", {x}), mask}));
  EXPECT_EQ(r.forward.str(), R"(# Constructed by Rematerialization
import torch
from thunder import prims

def computation(x):
  # x: "cpu f32[4, 8]"
  t0 = torch.rand_like(x)  # t0: "cpu f32[4, 8]"
  t1 = torch.lt(t0, 0.5)  # t1: "cpu b8[4, 8]"
    # t1 = prims.lt(t0, 0.5)
  t2 = prims.exp(x)  # t2: "cpu f32[4, 8]"
  t3 = prims.convert_element_type(t1, torch.float32)  # t3: "cpu f32[4, 8]"
  t4 = prims.mul(t2, t3)  # t4: "cpu f32[4, 8]"
  return (t4, (t1, x))
)");
  EXPECT_EQ(r.backward.str(), R"(# Constructed by Rematerialization (backward)
import torch
from thunder import prims

def backward(t1, x, g_t4):
  # t1: "cpu b8[4, 8]"
  # x: "cpu f32[4, 8]"
  # g_t4: "cpu f32[4, 8]"
  t3 = prims.convert_element_type(t1, torch.float32)  # t3: "cpu f32[4, 8]"
  t5 = prims.mul(g_t4, t3)  # t5: "cpu f32[4, 8]"
  t2 = prims.exp(x)  # t2: "cpu f32[4, 8]"
  t7 = prims.mul(t5, t2)  # t7: "cpu f32[4, 8]"
  return (t7,)
)");
}

// Cheap pure calls may be recomputed; a matmul and a random draw may not.
TEST(RematRecomputable, CheapCallsOnlyAndNeverSideEffects) {
  TraceBuilder b;
  TraceBuilder::Scope scope(b);
  Value x = b.add_input("x", TensorMeta{{4, 8}, DType::Float32, Device::parse("cpu"), false});
  Value w = b.add_input("w", TensorMeta{{8, 8}, DType::Float32, Device::parse("cpu"), false});
  ops::call("prims.exp", {x});
  ops::call("prims.matmul", {x, w});
  ops::call("rand_like", {x});
  Trace t = b.finish();
  ASSERT_EQ(t.bound_symbols.size(), 3u);
  EXPECT_TRUE(transforms::recomputable(t.bound_symbols[0]));
  EXPECT_FALSE(transforms::recomputable(t.bound_symbols[1]));
  EXPECT_FALSE(transforms::recomputable(t.bound_symbols[2]));
}

// Dropout with rng="philox": backward draws the mask again from the saved seed and offset (two
// 0-dim int64 tensors) instead of saving it; the draw itself is pure and recomputable, taking the
// seed and offset is not.
TEST_F(Remat, PhiloxDropoutMaskIsRecomputedFromSeedAndOffset) {
  Value x = grad_input("x", {4, 8});
  Value y = op("dropout_philox", {x, f(0.5)});
  auto [g, r] = differentiate(op("mul", {y, y}));
  EXPECT_EQ(names(r.saved), (std::vector<std::string>{"t0", "t1", "x"}));
  EXPECT_EQ(transforms::tensor_bytes(r.saved), 8 + 8 + 4 * 8 * 4);
  EXPECT_EQ(r.backward.str(), R"(# Constructed by Rematerialization (backward)
import torch
from thunder import prims

def backward(t0, t1, x, g_t7):
  # t0: "cpu i64[]"
  # t1: "cpu i64[]"
  # x: "cpu f32[4, 8]"
  # g_t7: "cpu f32[4, 8]"
  t2 = prims.uniform_philox([4, 8], t0, t1, dtype=torch.float32, device=torch.device('cpu'))  # t2: "cpu f32[4, 8]"
  t3 = prims.lt(t2, 0.5)  # t3: "cpu b8[4, 8]"
  t4 = prims.convert_element_type(t3, torch.float32)  # t4: "cpu f32[4, 8]"
  t5 = prims.div(t4, 0.5)  # t5: "cpu f32[4, 8]"
  t6 = prims.mul(x, t5)  # t6: "cpu f32[4, 8]"
  t8 = prims.mul(g_t7, t6)  # t8: "cpu f32[4, 8]"
  t9 = prims.mul(g_t7, t6)  # t9: "cpu f32[4, 8]"
  t10 = prims.add(t8, t9)  # t10: "cpu f32[4, 8]"
  t11 = prims.mul(t10, t5)  # t11: "cpu f32[4, 8]"
  return (t11,)
)");
  Trace fw = r.forward;
  ASSERT_GE(fw.bound_symbols.size(), 2u);
  EXPECT_FALSE(transforms::recomputable(fw.bound_symbols[0]));  // prims.philox_seed_offset
  EXPECT_TRUE(transforms::recomputable(fw.bound_symbols[1]));   // prims.uniform_philox
}

}  // namespace
}  // namespace thunder::testing
