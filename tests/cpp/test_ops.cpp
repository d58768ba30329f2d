// Meta rules: shapes, dtypes and errors, with torch's results as the expected values.
#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

class Ops : public TraceTest {};

TEST_F(Ops, AddBroadcastsAndPromotes) {
  Value x = input("x", {4, 1}, D::Int32);
  Value y = input("y", {3}, D::Float16);
  Value z = op("add", {x, y});
  EXPECT_EQ(z.shape(), (Shape{4, 3}));
  EXPECT_EQ(z.dtype(), D::Float16);
  EXPECT_EQ(op("add", {x, f(2.5)}).dtype(), D::Float32);
  EXPECT_EQ(op("mul", {input("b", {2}, D::Bool), i(3)}).dtype(), D::Int64);
}

TEST_F(Ops, AddAlphaRules) {
  Value x = input("x", {2}, D::Int64);
  EXPECT_EQ(user_error([&] { op("add", {x, x}, {{"alpha", f(0.5)}}); }),
            "For integral input tensors, argument alpha must not be a floating point number.");
  EXPECT_EQ(op("add", {x, x}, {{"alpha", i(3)}}).dtype(), D::Int64);
}

TEST_F(Ops, BoolSubtractionAndNegationAreRejected) {
  Value b = input("b", {2}, D::Bool);
  EXPECT_NE(user_error([&] { op("sub", {b, b}); }).find("with two bool tensors is not supported"), std::string::npos);
  EXPECT_NE(user_error([&] { op("sub", {input("x", {2}), b}); }).find("with a bool tensor is not supported"),
            std::string::npos);
  EXPECT_NE(user_error([&] { op("neg", {b}); }).find("on a bool tensor is not supported"), std::string::npos);
}

TEST_F(Ops, DivisionPromotesIntegersToFloat) {
  Value x = input("x", {2}, D::Int64);
  EXPECT_EQ(op("div", {x, i(2)}).dtype(), D::Float32);
  EXPECT_EQ(op("div", {x, i(2)}, {{"rounding_mode", Value::constant(std::string("floor"))}}).dtype(), D::Int64);
  EXPECT_EQ(user_error([&] { op("div", {x, x}, {{"rounding_mode", Value::constant(std::string("up"))}}); },
                       ErrorKind::Value),
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'up'");
}

TEST_F(Ops, UnaryFloatOpsPromoteIntegers) {
  EXPECT_EQ(op("exp", {input("x", {2}, D::Int32)}).dtype(), D::Float32);
  EXPECT_EQ(op("sigmoid", {input("y", {2}, D::Bool)}).dtype(), D::Float32);
  EXPECT_EQ(op("tanh", {input("z", {2}, D::Float64)}).dtype(), D::Float64);
  EXPECT_EQ(op("neg", {input("w", {2}, D::Int8)}).dtype(), D::Int8);
}

TEST_F(Ops, PowRules) {
  Value x = input("x", {2}, D::Int32);
  EXPECT_EQ(op("pow", {x, f(2.5)}).dtype(), D::Float32);
  EXPECT_EQ(op("pow", {i(2), x}).dtype(), D::Int32);
  EXPECT_EQ(user_error([&] { op("pow", {x, i(-2)}); }), "Integers to negative integer powers are not allowed.");
}

TEST_F(Ops, Comparisons) {
  Value z = op("lt", {input("x", {2, 3}, D::Float16), input("y", {3}, D::Int64)});
  EXPECT_EQ(z.dtype(), D::Bool);
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
}

TEST_F(Ops, SumDtypes) {
  Value x = input("x", {2, 3, 4}, D::Int32);
  EXPECT_EQ(op("sum", {x}).dtype(), D::Int64);
  EXPECT_EQ(op("sum", {x}).shape(), Shape{});
  EXPECT_EQ(op("sum", {x, Value::sequence({i(0), i(-1)}), Value::constant(true)}).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(op("sum", {input("h", {2}, D::Float16)}).dtype(), D::Float16);
  EXPECT_EQ(op("sum", {x}, {{"dtype", Value::constant(D::Float64)}}).dtype(), D::Float64);
  EXPECT_EQ(user_error([&] { op("sum", {x, Value::sequence({i(1), i(-2)})}); }),
            "sum: dim 1 appears multiple times in the list of dims");
}

TEST_F(Ops, MeanRequiresFloatingOrComplex) {
  EXPECT_EQ(op("mean", {input("x", {4, 5}), i(1)}).shape(), (Shape{4}));
  EXPECT_EQ(user_error([&] { op("mean", {input("y", {2}, D::Int64)}); }),
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            "Got: Long");
}

TEST_F(Ops, AmaxRules) {
  EXPECT_EQ(op("amax", {input("x", {2, 3}), i(1), Value::constant(true)}).shape(), (Shape{2, 1}));
  EXPECT_EQ(user_error([&] { op("amax", {input("e", {0, 3}), i(0)}); }, ErrorKind::Index),
            "amax(): Expected reduction dim 0 to have non-zero size.");
}

TEST_F(Ops, MatmulShapes) {
  auto mm = [&](Shape a, Shape b) {
    static int n = 0;
    return op("matmul", {input("a" + std::to_string(n++), a), input("b" + std::to_string(n++), b)}).shape();
  };
  EXPECT_EQ(mm({3}, {3}), Shape{});
  EXPECT_EQ(mm({2, 3}, {3}), (Shape{2}));
  EXPECT_EQ(mm({3}, {3, 4}), (Shape{4}));
  EXPECT_EQ(mm({2, 3}, {3, 4}), (Shape{2, 4}));
  EXPECT_EQ(mm({5, 1, 2, 3}, {7, 3, 4}), (Shape{5, 7, 2, 4}));
  EXPECT_EQ(mm({3}, {6, 3, 4}), (Shape{6, 4}));
  EXPECT_EQ(mm({6, 2, 3}, {3}), (Shape{6, 2}));
}

TEST_F(Ops, MatmulErrors) {
  EXPECT_EQ(user_error([&] { op("matmul", {input("s", {}), input("v", {3})}); }),
            "both arguments to matmul need to be at least 1D, but they are 0D and 1D");
  EXPECT_EQ(user_error([&] { op("matmul", {input("a", {2, 3}), input("b", {4, 5})}); }),
            "matmul: expected the last dim of the first input to match the second-to-last dim of the second, got "
            "shapes [2, 3] and [4, 5]");
  EXPECT_EQ(user_error([&] { op("matmul", {input("c", {2, 3}), input("d", {3, 2}, D::Float64)}); }),
            "matmul: expected both inputs to have the same dtype, got float32, float64");
}

TEST_F(Ops, Linear) {
  Value x = input("x", {8, 64});
  Value w = input("w", {128, 64});
  Value b = input("b", {128});
  EXPECT_EQ(op("linear", {x, w, b}).shape(), (Shape{8, 128}));
  EXPECT_EQ(op("linear", {x, input("v", {64})}).shape(), (Shape{8}));
  EXPECT_EQ(user_error([&] { op("linear", {x, input("bad", {128, 32})}); }),
            "linear: expected weight of shape [*, 64], got [128, 32]");
  EXPECT_EQ(user_error([&] { op("linear", {x, w, input("b2", {128}, D::Float16)}); }),
            "linear: expected input, weight and bias to have the same dtype, got float32, float32, float16");
}

TEST_F(Ops, ReshapeAndView) {
  Value x = input("x", {2, 3, 4});
  EXPECT_EQ(op("reshape", {x, Value::sequence({i(-1), i(4)})}).shape(), (Shape{6, 4}));
  EXPECT_EQ(op("view", {x, i(24)}).shape(), (Shape{24}));
  EXPECT_EQ(user_error([&] { op("reshape", {x, Value::sequence({i(5), i(-1)})}); }),
            "shape '[5, -1]' is invalid for input of size 24");
  EXPECT_EQ(user_error([&] { op("reshape", {x, Value::sequence({i(-1), i(-1)})}); }), "only one dimension can be inferred");
}

TEST_F(Ops, PermuteTransposeSqueeze) {
  Value x = input("x", {2, 1, 4});
  EXPECT_EQ(op("permute", {x, i(2), i(0), i(1)}).shape(), (Shape{4, 2, 1}));
  EXPECT_EQ(op("transpose", {x, i(0), i(-1)}).shape(), (Shape{4, 1, 2}));
  EXPECT_EQ(op("squeeze", {x}).shape(), (Shape{2, 4}));
  EXPECT_EQ(op("squeeze", {x, Value::sequence({i(0), i(1)})}).shape(), (Shape{2, 4}));
  EXPECT_EQ(op("unsqueeze", {x, i(-1)}).shape(), (Shape{2, 1, 4, 1}));
  EXPECT_EQ(user_error([&] { op("permute", {x, i(0), i(0), i(1)}); }), "permute(): duplicate dims are not allowed.");
}

TEST_F(Ops, Expand) {
  Value x = input("x", {3, 1});
  EXPECT_EQ(op("expand", {x, i(2), i(-1), i(5)}).shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(user_error([&] { op("expand", {x, i(4), i(4)}); }),
            "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 0.  "
            "Target sizes: [4, 4].  Tensor sizes: [3, 1]");
}

TEST_F(Ops, Cat) {
  Value a = input("a", {2, 3}, D::Int32);
  Value b = input("b", {4, 3}, D::Float16);
  Value c = op("cat", {Value::sequence({a, b})});
  EXPECT_EQ(c.shape(), (Shape{6, 3}));
  EXPECT_EQ(c.dtype(), D::Float16);
  EXPECT_EQ(op("cat", {Value::sequence({input("e", {0}), a})}).shape(), (Shape{2, 3}));
  EXPECT_EQ(user_error([&] { op("cat", {Value::sequence({a, input("d", {2, 4})}), i(0)}); }),
            "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 in "
            "the list.");
  EXPECT_EQ(user_error([&] { op("cat", {Value::sequence({})}); }, ErrorKind::Value),
            "torch.cat(): expected a non-empty list of Tensors");
}

TEST_F(Ops, GeluAndRelu) {
  Value h = input("h", {4}, D::BFloat16);
  EXPECT_EQ(op("gelu", {h}).dtype(), D::BFloat16);
  EXPECT_EQ(op("gelu", {h}, {{"approximate", Value::constant(std::string("tanh"))}}).dtype(), D::BFloat16);
  EXPECT_EQ(user_error([&] { op("gelu", {input("i", {2}, D::Int64)}); }, ErrorKind::NotImplemented),
            "gelu: expected a floating-point tensor, got int64");
  EXPECT_EQ(user_error([&] { op("relu", {input("b", {2}, D::Bool)}); }), "Boolean inputs not supported for relu");
  EXPECT_EQ(op("relu", {input("n", {2}, D::Int16)}).dtype(), D::Int16);
}

TEST_F(Ops, DevicesMustAgree) {
  Value x = input("x", {2}, D::Float32, "cpu");
  Value y = input("y", {2}, D::Float32, "cuda:0");
  EXPECT_EQ(user_error([&] { op("add", {x, y}); }),
            "add: expected all tensors to be on the same device, got cpu and cuda:0");
  EXPECT_EQ(op("mul", {y, y}).meta().device.str(), "cuda:0");
  // a zero-dim CPU tensor acts as a scalar, as in torch
  Value s = input("s", {}, D::Float32, "cpu");
  EXPECT_EQ(op("mul", {y, s}).meta().str(), "cuda:0 f32[2]");
  EXPECT_EQ(op("add", {s, y}).meta().str(), "cuda:0 f32[2]");
  EXPECT_EQ(user_error([&] { op("add", {input("v", {1}, D::Float32, "cpu"), y}); }),
            "add: expected all tensors to be on the same device, got cpu and cuda:0");
}

TEST_F(Ops, EveryDecompositionVerifies) {
  Value x = input("x", {2, 3}, D::Float16);
  Value w = input("w", {4, 3}, D::Float16);
  Value y = op("linear", {op("sigmoid", {op("gelu", {x})}), w});
  builder.set_output(op("mean", {op("pow", {y, i(2)}), i(-1)}));
  Trace t = builder.finish();
  verify(t);
}
