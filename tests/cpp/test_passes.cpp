// Golden-text tests for CSE, claiming (with the decomposition fallback), fusion partitioning and
// the pipeline's switches.
#include "helpers.h"
#include "transforms/passes.h"

namespace thunder {
namespace {

using testing::f;
using testing::i;

Value input(TraceBuilder& b, const std::string& name, Shape shape) {
  return b.add_input(name, TensorMeta{std::move(shape), DType::Float32, Device{}, false});
}

Value op(std::string_view name, std::vector<Value> args, const Kwargs& kw = {}) {
  return ops::call(name, std::move(args), kw);
}

// A fusion executor for tests: fuses elementwise, reduction and shape prims.
exec::Executor fuser(bool reductions_end_regions = false) {
  return exec::Executor{.name = "fuse",
                        .kind = exec::Executor::Kind::Fusion,
                        .checker =
                            [](const BoundSymbol& b) {
                              return b.sym->is_prim() && b.sym->fusion() != FusionClass::Opaque &&
                                     !b.sym->side_effect();
                            },
                        .reductions_end_regions = reductions_end_regions};
}

std::vector<exec::Executor> fuser_then_aten(bool reductions_end_regions = false) {
  return {fuser(reductions_end_regions), exec::Executor::aten()};
}

// Runs passes up to the fusion stage and returns the fused trace (verified).
Trace fused(Trace t, bool reductions_end_regions = false) {
  auto executors = fuser_then_aten(reductions_end_regions);
  Trace out = exec::partition_fusions(exec::claim(transforms::dead_code_elimination(t), executors), executors);
  verify(out);
  return out;
}

TEST(CSE, MergesRepeatedCallsAndRenamesTheirUses) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  Value a = op("exp", {x});
  Value c = op("exp", {x});
  Value d = op("add", {a, c});
  Value e = op("mul", {x, i(2)});
  Value g = op("mul", {x, f(2.0)});  // 2 and 2.0 are different constants
  b.set_output(Value::sequence({d, e, g, c}));
  Trace t = transforms::common_subexpression_elimination(b.finish());
  verify(t);
  EXPECT_EQ(t.str(), R"(# Constructed by Common Subexpression Elimination
import torch

def computation(x):
  # x: "cpu f32[4]"
  t0 = torch.exp(x)  # t0: "cpu f32[4]"
    # t0 = prims.exp(x)
  t2 = torch.add(t0, t0)  # t2: "cpu f32[4]"
    # t2 = prims.add(t0, t0)
  t3 = torch.mul(x, 2)  # t3: "cpu f32[4]"
    # t3 = prims.mul(x, 2)
  t4 = torch.mul(x, 2.0)  # t4: "cpu f32[4]"
    # t4 = prims.mul(x, 2.0)
  return (t2, t3, t4, t0)
)");
}

// A permute of a permute is one permute of the first one's input, or that input where they cancel
// (a linear's backward transposing the transposed weight back); likewise a reshape of a reshape.
TEST(CSE, FoldsPermutesOfPermutesAndReshapesOfReshapes) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value w = input(b, "w", {3, 4});
  Value x = input(b, "x", {2, 3, 4});
  Value back = op("prims.permute", {op("prims.permute", {w, Value::sequence({i(1), i(0)}, true)}),
                                    Value::sequence({i(1), i(0)}, true)});
  Value rolled = op("prims.permute", {op("prims.permute", {x, Value::sequence({i(1), i(2), i(0)}, true)}),
                                      Value::sequence({i(1), i(2), i(0)}, true)});
  Value flat = op("prims.reshape", {op("prims.reshape", {x, Value::sequence({i(6), i(4)}, true)}),
                                    Value::sequence({i(24)}, true)});
  Value same = op("prims.reshape", {op("prims.reshape", {x, Value::sequence({i(6), i(4)}, true)}),
                                    Value::sequence({i(2), i(3), i(4)}, true)});
  b.set_output(Value::sequence({op("mul", {back, w}), rolled, flat, same}));
  Trace t = transforms::dead_code_elimination(transforms::common_subexpression_elimination(b.finish()));
  verify(t);
  EXPECT_EQ(t.str(), R"(# Constructed by Dead Code Elimination
import torch
from thunder import prims

def computation(w, x):
  # w: "cpu f32[3, 4]"
  # x: "cpu f32[2, 3, 4]"
  t3 = prims.permute(x, [2, 0, 1])  # t3: "cpu f32[4, 2, 3]"
  t5 = prims.reshape(x, [24])  # t5: "cpu f32[24]"
  t8 = torch.mul(w, w)  # t8: "cpu f32[3, 4]"
    # t8 = prims.mul(w, w)
  return (t8, t3, t5, x)
)");
}

TEST(CSE, NeverMergesRandomDrawsOrCopies) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  Value r1 = op("rand_like", {x});
  Value r2 = op("rand_like", {x});
  Value y = op("neg", {x});
  op("prims.copy_", {x, y});
  op("prims.copy_", {x, y});
  b.set_output(Value::sequence({r1, r2}));
  Trace before = b.finish();
  Trace t = transforms::common_subexpression_elimination(before);
  EXPECT_TRUE(transforms::same_program(before, t)) << t.str();
}

TEST(CSE, KeepsCallsUnderDifferentGradModesApart) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  Value a = op("exp", {x});
  op("prims.set_grad_enabled", {Value::constant(false)});
  Value c = op("exp", {x});
  b.set_output(Value::sequence({a, c}));
  Trace before = b.finish();
  EXPECT_TRUE(transforms::same_program(before, transforms::common_subexpression_elimination(before)));
}

TEST(Claim, ExecutorsInPriorityOrderAndTheDecompositionFallback) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {2, 3});
  Value w = input(b, "w", {3});
  Value y = op("layer_norm", {x, Value::sequence({i(3)}, true), w});
  Value z = op("tanh", {y});
  b.set_output(op("add", {z, x}));
  Trace t = b.finish();
  // "mine" implements layer_norm and prims.tanh but declines layer_norm without a weight;
  // nobody implements torch-level tanh, so its prim is claimed instead.
  exec::Executor mine{.name = "mine",
                      .ops = {"layer_norm", "prims.tanh", "add"},
                      .checker = [](const BoundSymbol& c) { return c.sym->name() != "layer_norm" || !c.args[2].is_none(); }};
  exec::Executor only_add{.name = "adder", .ops = {"prims.add"}};
  Trace claimed = exec::claim(t, {only_add, mine});
  verify(claimed);
  EXPECT_EQ(claimed.str(), R"(# Constructed by Claim by executors
import torch

def computation(x, w):
  # x: "cpu f32[2, 3]"
  # w: "cpu f32[3]"
  t14 = mine.layer_norm(x, [3], w)  # t14: "cpu f32[2, 3]"
    # t0 = prims.sum(x, [1])
    # t1 = prims.reshape(t0, [2, 1])
    # t2 = prims.div(t1, 3.0)
    # t3 = prims.expand(t2, [2, 3])
    # t4 = prims.sub(x, t3)
    # t5 = prims.mul(t4, t4)
    # t6 = prims.sum(t5, [1])
    # t7 = prims.reshape(t6, [2, 1])
    # t8 = prims.div(t7, 3.0)
    # t9 = prims.expand(t8, [2, 3])
    # t10 = prims.add(t9, 1e-05)
    # t11 = prims.pow(t10, -0.5)
    # t12 = prims.mul(t4, t11)
    # t13 = prims.expand(w, [2, 3])
    # t14 = prims.mul(t12, t13)
  t15 = mine.prims_tanh(t14)  # t15: "cpu f32[2, 3]"
  t16 = mine.add(t15, x)  # t16: "cpu f32[2, 3]"
    # t16 = prims.add(t15, x)
  return t16
)");
  // without an executor for prims.tanh the trace cannot run
  std::string msg = testing::user_error([&] { exec::claim(t, {only_add}); }, ErrorKind::NotImplemented);
  EXPECT_NE(msg.find("no executor can run prims."), std::string::npos) << msg;
  EXPECT_NE(msg.find("executors tried, in order: adder"), std::string::npos) << msg;
}

TEST(Claim, BuiltinCheckersAreFoundByExecutorName) {
  exec::register_builtin_checker("builtin_fuse", [](const BoundSymbol& b) { return b.sym->name() == "prims.exp"; });
  const auto* checker = exec::builtin_checker("builtin_fuse");
  ASSERT_NE(checker, nullptr);
  EXPECT_EQ(exec::builtin_checker("no_such_executor"), nullptr);
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  b.set_output(op("sin", {op("exp", {x})}));
  exec::Executor ex{.name = "builtin_fuse", .kind = exec::Executor::Kind::Fusion, .checker = *checker};
  Trace t = exec::partition_fusions(exec::claim(b.finish(), {ex, exec::Executor::aten()}), {ex});
  verify(t);
  ASSERT_EQ(t.bound_symbols.size(), 2u);
  EXPECT_TRUE(exec::is_fusion_region(t.bound_symbols[0]));
  EXPECT_EQ(t.bound_symbols[1].sym->name(), "sin");
}

TEST(Fusion, AChainBecomesOneRegionWithItsOutputsUsedLater) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4, 8});
  Value w = input(b, "w", {8, 8});
  Value a = op("tanh", {x});
  Value c = op("mul", {a, f(0.5)});
  Value m = op("matmul", {c, w});  // opaque: ATen
  Value d = op("add", {m, c});
  b.set_output(Value::sequence({op("exp", {d}), a}));
  Trace t = fused(b.finish());
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch

def computation(x, w):
  # x: "cpu f32[4, 8]"
  # w: "cpu f32[8, 8]"
  [t0, t1] = fuse0(x)  # t0: "cpu f32[4, 8]", t1: "cpu f32[4, 8]"
    # t0 = prims.tanh(x)
    # t1 = prims.mul(t0, 0.5)
  t2 = torch.matmul(t1, w)  # t2: "cpu f32[4, 8]"
    # t2 = prims.matmul(t1, w)
  [t4] = fuse1(t2, t1)  # t4: "cpu f32[4, 8]"
    # t3 = prims.add(t2, t1)
    # t4 = prims.exp(t3)
  return (t4, t0)
)");
}

TEST(Fusion, NoRegionThatWouldMakeACycle) {
  // a -> (opaque) -> c, and a -> c directly: c cannot join a's region, whose output the opaque
  // call reads, unless the opaque call joined it too.
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  Value a = op("exp", {x});
  Value o = op("cumsum", {a, i(0)});  // opaque prim
  Value c = op("add", {a, o});
  b.set_output(c);
  Trace t = fused(b.finish());
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch

def computation(x):
  # x: "cpu f32[4]"
  [t0] = fuse0(x)  # t0: "cpu f32[4]"
    # t0 = prims.exp(x)
  t1 = torch.cumsum(t0, 0)  # t1: "cpu f32[4]"
    # t1 = prims.cumsum(t0, 0)
  [t2] = fuse1(t0, t1)  # t2: "cpu f32[4]"
    # t2 = prims.add(t0, t1)
  return t2
)");
}

TEST(Fusion, ViewsInsideAndIndependentWorkJoinsAnEarlierRegion) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {2, 3});
  Value y = input(b, "y", {3, 2});
  Value a = op("reshape", {op("exp", {x}), Value::sequence({i(3), i(2)})});
  Value c = op("permute", {op("sin", {y}), Value::sequence({i(1), i(0)})});
  b.set_output(Value::sequence({op("add", {a, y}), c}));
  Trace t = fused(b.finish());
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch
from thunder import prims

def computation(x, y):
  # x: "cpu f32[2, 3]"
  # y: "cpu f32[3, 2]"
  [t2, t4] = fuse0(x, y)  # t2: "cpu f32[3, 2]", t4: "cpu f32[3, 2]"
    # t0 = prims.exp(x)
    # t1 = prims.reshape(t0, [3, 2])
    # t2 = prims.sin(y)
    # t4 = prims.add(t1, y)
  t3 = prims.permute(t2, [1, 0])  # t3: "cpu f32[2, 3]"
  return (t4, t3)
)");
}

// A region's trailing view read only outside it runs after it, as a view of its output; a call
// that reads none of a region's values does not join a region whose values are already read outside
// it (the matmul here), so the multiply reading both can join it.
TEST(Fusion, TrailingViewsLeaveAndClosedRegionsStayClosed) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {2, 3});
  Value y = input(b, "y", {2, 3});
  Value w = input(b, "w", {3, 3});
  Value m = op("matmul", {op("exp", {x}), w});
  Value c = op("sin", {op("cos", {y})});
  b.set_output(op("mul", {m, c}));
  Trace t = fused(b.finish());
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch

def computation(x, y, w):
  # x: "cpu f32[2, 3]"
  # y: "cpu f32[2, 3]"
  # w: "cpu f32[3, 3]"
  [t0] = fuse0(x)  # t0: "cpu f32[2, 3]"
    # t0 = prims.exp(x)
  t1 = torch.matmul(t0, w)  # t1: "cpu f32[2, 3]"
    # t1 = prims.matmul(t0, w)
  [t4] = fuse1(y, t1)  # t4: "cpu f32[2, 3]"
    # t2 = prims.cos(y)
    # t3 = prims.sin(t2)
    # t4 = prims.mul(t1, t3)
  return t4
)");
}

// An index grid computed from nothing (iota and views of it) is copied into each region that reads
// it: the kernel computes positions instead of reading an expanded int64 tensor.
TEST(Fusion, GeneratorsAreCopiedIntoTheRegionsThatReadThem) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4, 8});
  Value w = input(b, "w", {8, 8});
  Value positions = op("prims.expand", {op("prims.reshape", {ops::iota(8, 0, 1, DType::Int64, Device{}), Value::sequence({i(1), i(8)})}),
                                        Value::sequence({i(4), i(8)})});
  Value y = op("where", {op("eq", {positions, i(3)}), op("exp", {x}), Value::constant(0.0)});
  Value m = op("matmul", {y, w});
  b.set_output(op("mul", {op("sin", {m}), positions}));
  Trace t = fused(b.finish());
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch

def computation(x, w):
  # x: "cpu f32[4, 8]"
  # w: "cpu f32[8, 8]"
  [t5] = fuse0(x)  # t5: "cpu f32[4, 8]"
    # t0 = prims.iota(8, 0, 1, torch.int64, torch.device('cpu'))
    # t1 = prims.reshape(t0, (1, 8))
    # t2 = prims.expand(t1, (4, 8))
    # t3 = prims.eq(t2, 3)
    # t4 = prims.exp(x)
    # t5 = prims.where(t3, t4, 0.0)
  t6 = torch.matmul(t5, w)  # t6: "cpu f32[4, 8]"
    # t6 = prims.matmul(t5, w)
  [t9] = fuse1(t6)  # t9: "cpu f32[4, 8]"
    # t0 = prims.iota(8, 0, 1, torch.int64, torch.device('cpu'))
    # t1 = prims.reshape(t0, (1, 8))
    # t2 = prims.expand(t1, (4, 8))
    # t8 = prims.convert_element_type(t2, torch.float32)
    # t7 = prims.sin(t6)
    # t9 = prims.mul(t7, t8)
  return t9
)");
}

// A region whose value an outside call reads (a recomputed forward before its matmul) still takes
// a sibling reading the same large tensor (tanh(x)); a piece the greedy pass started apart (g times
// the weight) merges in afterwards, as no outside call lies between them; the weight's expand, a
// view of an input, is copied into the region instead of binding it.
TEST(Fusion, SiblingsJoinAndSplitRegionsMerge) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {64, 64});
  Value w = input(b, "w", {64});
  Value a = input(b, "a", {64, 64});
  Value w2 = input(b, "w2", {64, 64});
  Value g = op("matmul", {a, w2});
  Value r = op("mul", {op("exp", {x}), op("prims.expand", {w, Value::sequence({i(64), i(64)})})});
  Value m = op("matmul", {r, w2});
  Value h = op("mul", {g, op("prims.expand", {w, Value::sequence({i(64), i(64)})})});
  Value y = op("mul", {h, op("tanh", {x})});
  b.set_output(Value::sequence({m, y}));
  Trace t = fused(b.finish());
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch

def computation(x, w, a, w2):
  # x: "cpu f32[64, 64]"
  # w: "cpu f32[64]"
  # a: "cpu f32[64, 64]"
  # w2: "cpu f32[64, 64]"
  t0 = torch.matmul(a, w2)  # t0: "cpu f32[64, 64]"
    # t0 = prims.matmul(a, w2)
  [t3, t8] = fuse0(w, x, t0)  # t3: "cpu f32[64, 64]", t8: "cpu f32[64, 64]"
    # t2 = prims.expand(w, (64, 64))
    # t5 = prims.expand(w, (64, 64))
    # t1 = prims.exp(x)
    # t3 = prims.mul(t1, t2)
    # t6 = prims.mul(t0, t5)
    # t7 = prims.tanh(x)
    # t8 = prims.mul(t6, t7)
  t4 = torch.matmul(t3, w2)  # t4: "cpu f32[64, 64]"
    # t4 = prims.matmul(t3, w2)
  return (t4, t8)
)");
}

TEST(Fusion, ReductionsAsRegionRoots) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4, 8});
  b.set_output(op("softmax", {x, i(1)}));
  Trace traced = b.finish();
  Trace one = fused(traced);
  ASSERT_EQ(one.bound_symbols.size(), 1u) << one.str();  // the whole softmax, one region
  Trace rooted = fused(traced, /*reductions_end_regions=*/true);
  EXPECT_EQ(rooted.str(), R"(# Constructed by Fusion
import torch

def computation(x):
  # x: "cpu f32[4, 8]"
  [t0] = fuse0(x)  # t0: "cpu f32[4]"
    # t0 = prims.amax(x, [1])
  [t4, t5] = fuse1(t0, x)  # t4: "cpu f32[4, 8]", t5: "cpu f32[4]"
    # t1 = prims.reshape(t0, [4, 1])
    # t2 = prims.expand(t1, [4, 8])
    # t3 = prims.sub(x, t2)
    # t4 = prims.exp(t3)
    # t5 = prims.sum(t4, [1])
  [t8] = fuse2(t5, t4)  # t8: "cpu f32[4, 8]"
    # t6 = prims.reshape(t5, [4, 1])
    # t7 = prims.expand(t6, [4, 8])
    # t8 = prims.div(t4, t7)
  return t8
)");
}

TEST(Fusion, ARegionTheExecutorRejectsIsCutIntoPiecesInOrder) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  Value a = op("exp", {x});
  Value c = op("sin", {a});
  Value d = op("add", {c, a});
  b.set_output(op("cos", {d}));
  exec::Executor ex = fuser();
  ex.region_checker = [](const BoundSymbol& r) { return r.subsymbols.size() <= 2; };
  std::vector<exec::Executor> executors{ex, exec::Executor::aten()};
  Trace t = exec::partition_fusions(exec::claim(b.finish(), executors), executors);
  verify(t);
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch

def computation(x):
  # x: "cpu f32[4]"
  [t0, t1] = fuse0(x)  # t0: "cpu f32[4]", t1: "cpu f32[4]"
    # t0 = prims.exp(x)
    # t1 = prims.sin(t0)
  [t3] = fuse1(t1, t0)  # t3: "cpu f32[4]"
    # t2 = prims.add(t1, t0)
    # t3 = prims.cos(t2)
  return t3
)");
}

// A reduction at a region's edge (nothing in the region reads it) that the executor cannot
// compile with the rest leaves the region and runs after it, where cutting in order would split
// the region around it.
TEST(Fusion, EdgeReductionsThatDoNotFitLeaveTheRegion) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4, 8});
  Value y = input(b, "y", {4, 12});
  Value a = op("exp", {x});
  Value c = op("exp", {y});
  Value wide = op("prims.sum", {c, Value::sequence({i(0)})});
  Value m = op("mul", {a, a});
  Value narrow = op("prims.sum", {m, Value::sequence({i(0)})});
  b.set_output(Value::sequence({m, narrow, wide}));
  exec::Executor ex = fuser();
  ex.min_computing_prims = 2;  // a lone call runs on ATen
  // sums of 12 columns do not fit beside the region's 8
  ex.region_checker = [](const BoundSymbol& r) {
    for (const auto& sub : r.subsymbols)
      if (sub.sym->name() == "prims.sum" && sub.args[0].shape().back() == 12) return false;
    return true;
  };
  std::vector<exec::Executor> executors{ex, exec::Executor::aten()};
  Trace t = exec::partition_fusions(exec::claim(b.finish(), executors), executors);
  verify(t);
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch
from thunder import prims

def computation(x, y):
  # x: "cpu f32[4, 8]"
  # y: "cpu f32[4, 12]"
  [t1, t3, t4] = fuse0(x, y)  # t1: "cpu f32[4, 12]", t3: "cpu f32[4, 8]", t4: "cpu f32[8]"
    # t0 = prims.exp(x)
    # t1 = prims.exp(y)
    # t3 = prims.mul(t0, t0)
    # t4 = prims.sum(t3, (0,))
  t2 = prims.sum(t1, (0,))  # t2: "cpu f32[12]"
  return (t3, t4, t2)
)");
}

TEST(Fusion, SideEffectsAreBarriers) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  Value a = op("exp", {x});
  op("prims.set_grad_enabled", {Value::constant(false)});
  Value c = op("sin", {x});
  b.set_output(op("add", {a, c}));
  Trace t = fused(b.finish());
  EXPECT_EQ(t.str(), R"(# Constructed by Fusion
import torch
from thunder import prims

def computation(x):
  # x: "cpu f32[4]"
  [t0] = fuse0(x)  # t0: "cpu f32[4]"
    # t0 = prims.exp(x)
  prims.set_grad_enabled(False)
  [t2] = fuse1(x, t0)  # t2: "cpu f32[4]"
    # t1 = prims.sin(x)
    # t2 = prims.add(t0, t1)
  return t2
)");
}

// q, k and v as head views of the thirds of a [2, 4, 24] projection (2 heads of 4).
std::vector<Value> head_views(const Value& x) {
  auto list = [](std::vector<int64_t> v) {
    std::vector<Value> items;
    for (int64_t k : v) items.push_back(i(k));
    return Value::sequence(items, true);
  };
  std::vector<Value> heads;
  for (int64_t k = 0; k < 3; ++k) {
    Value s = op("prims.slice", {x, list({0, 0, 8 * k}), list({2, 4, 8 * k + 8}), list({1, 1, 1})});
    heads.push_back(op("prims.permute", {op("prims.reshape", {s, list({2, 4, 2, 4})}), list({0, 2, 1, 3})}));
  }
  return heads;
}

TEST(AttentionPacking, SelfAttentionOnAPackedProjectionReadsItWhole) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {2, 4, 24});
  auto h = head_views(x);
  Value out = op("prims.sdpa_cpu", {h[0], h[1], h[2], Value::constant(true), Value::constant(NoneType{})});
  b.set_output(out);
  Trace t = exec::pack_attention(b.finish());
  verify(t);
  EXPECT_EQ(t.str(), R"(# Constructed by Attention packing
import torch
from thunder import prims

def computation(x):
  # x: "cpu f32[2, 4, 24]"
  (t9, t10) = prims.sdpa_cpu_packed(x, 2, True, None)  # t9: "cpu f32[2, 2, 4, 4]", t10: "cpu f32[2, 2, 4]"
  return (t9, t10)
)");
}

// How backward joins attention's gradients on a packed projection's head views: the gradients in
// `order` through permute and reshape (to [1, B * T, C] where `flat`) into a cat along `dim`; a
// sum over the batch dims where `summed` (the projection's bias gradient), dq's exp beside it
// where `reader`.
struct Joined {
  std::vector<int> order{0, 1, 2};
  int64_t dim = 2;
  bool reader = false, flat = false, summed = false;
};
Trace joined_gradients(const Joined& j) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {2, 4, 24});
  Value o = input(b, "o", {2, 2, 4, 4});
  Value lse = input(b, "lse", {2, 2, 4});
  Value g = input(b, "g", {2, 2, 4, 4});
  auto h = head_views(x);
  Value grads = op("prims.sdpa_cpu_backward", {g, h[0], h[1], h[2], o, lse, Value::constant(true), Value::constant(NoneType{})});
  std::vector<Value> joined;
  for (int k : j.order) {
    std::vector<Value> shape = j.flat ? std::vector<Value>{i(1), i(8), i(8)} : std::vector<Value>{i(2), i(4), i(8)};
    joined.push_back(op("prims.reshape", {op("prims.permute", {grads.items()[k], Value::sequence({i(0), i(2), i(1), i(3)}, true)}),
                                          Value::sequence(shape, true)}));
  }
  Value dx = op("prims.cat", {Value::sequence(joined), i(j.dim)});
  if (j.summed) dx = op("prims.sum", {dx, Value::sequence({i(0), i(1)}, true)});
  std::vector<Value> out{dx};
  if (j.reader) out.push_back(op("exp", {grads.items()[0]}));
  b.set_output(out.size() == 1 ? out[0] : Value::sequence(out));
  return b.finish();
}

TEST(AttentionPacking, TheJoinedGradientComesStraightFromTheKernel) {
  Trace t = exec::pack_attention(joined_gradients({.summed = true}));
  verify(t);
  EXPECT_EQ(t.str(), R"(# Constructed by Attention packing
import torch
from thunder import prims

def computation(x, o, lse, g):
  # x: "cpu f32[2, 4, 24]"
  # o: "cpu f32[2, 2, 4, 4]"
  # lse: "cpu f32[2, 2, 4]"
  # g: "cpu f32[2, 2, 4, 4]"
  t18 = prims.sdpa_cpu_packed_backward(g, x, o, lse, 2, True, None)  # t18: "cpu f32[2, 4, 24]"
  t19 = prims.sum(t18, [0, 1])  # t19: "cpu f32[24]"
  return t19
)");
}

TEST(AttentionPacking, HeadViewsUsedElsewhereOrKeysFromAnotherTensorStay) {
  auto unchanged = [](const std::function<void(TraceBuilder&)>& build) {
    TraceBuilder b;
    TraceBuilder::Scope s(b);
    build(b);
    Trace t = b.finish();
    return transforms::same_program(exec::pack_attention(t), t);
  };
  Value none = Value::constant(NoneType{}), yes = Value::constant(true);
  // the key view also read by another call
  EXPECT_TRUE(unchanged([&](TraceBuilder& b) {
    auto h = head_views(input(b, "x", {2, 4, 24}));
    b.set_output(Value::sequence({op("prims.sdpa_cpu", {h[0], h[1], h[2], yes, none}), op("exp", {h[1]})}));
  }));
  // query and value from one tensor, the key from another (each view read once)
  EXPECT_TRUE(unchanged([&](TraceBuilder& b) {
    auto h = head_views(input(b, "x", {2, 4, 24}));
    auto other = head_views(input(b, "y", {2, 4, 24}));
    b.set_output(op("prims.sdpa_cpu", {h[0], other[1], h[2], yes, none}));
  }));
  // keys before queries in the packed tensor
  EXPECT_TRUE(unchanged([&](TraceBuilder& b) {
    auto h = head_views(input(b, "x", {2, 4, 24}));
    b.set_output(op("prims.sdpa_cpu", {h[1], h[0], h[2], yes, none}));
  }));
}

TEST(AttentionPacking, GradientsJoinedAnyOtherWayStay) {
  auto unchanged = [](const Joined& j) {
    Trace t = joined_gradients(j);
    return transforms::same_program(exec::pack_attention(t), t);
  };
  EXPECT_FALSE(unchanged({}));  // the packed layout: rewritten
  EXPECT_TRUE(unchanged({.order = {1, 0, 2}}));
  EXPECT_TRUE(unchanged({.dim = 1}));
  EXPECT_TRUE(unchanged({.reader = true}));
  EXPECT_TRUE(unchanged({.flat = true}));
}

TEST(Pipeline, SwitchesAndUnchangedHeaders) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = input(b, "x", {4});
  Value a = op("exp", {x});
  Value c = op("exp", {x});
  b.set_output(op("add", {a, c}));
  Trace t = b.finish();
  auto headers = [](const std::vector<Trace>& stages) {
    std::vector<std::string> out;
    for (const auto& st : stages) out.push_back(st.header);
    return out;
  };
  EXPECT_EQ(headers(transforms::run_pipeline(t, {.verify = true, .executors = fuser_then_aten()})),
            (std::vector<std::string>{"Tracing", "Dead Code Elimination (unchanged)", "Common Subexpression Elimination",
                                      "Claim by executors", "Fusion", "Transform for execution"}));
  auto stages = transforms::run_pipeline(t, {.verify = true, .disabled = {"cse", "dce"}});
  EXPECT_EQ(headers(stages), (std::vector<std::string>{"Tracing", "Claim by executors (unchanged)", "Transform for execution"}));
  EXPECT_NE(stages.back().str().find("t1 = torch.exp(x)"), std::string::npos);  // not merged
  for (const auto& st : stages) EXPECT_GE(st.seconds, 0.0);
}

}  // namespace
}  // namespace thunder
