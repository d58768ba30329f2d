// Factories: dtype inference, devices, sizes and errors, with torch's results as expected values.
#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

class Factories : public TraceTest {};

TEST_F(Factories, ArangeDtypeAndLength) {
  EXPECT_EQ(op("arange", {i(5)}).dtype(), D::Int64);
  EXPECT_EQ(op("arange", {i(5)}).shape(), (Shape{5}));
  EXPECT_EQ(op("arange", {f(0.5), f(2.75), f(0.25)}).dtype(), D::Float32);
  EXPECT_EQ(op("arange", {f(0.5), f(2.75), f(0.25)}).shape(), (Shape{9}));
  EXPECT_EQ(op("arange", {i(5), i(-3), i(-2)}).shape(), (Shape{4}));
  EXPECT_EQ(op("arange", {i(3)}, {{"dtype", Value::constant(D::Float16)}}).dtype(), D::Float16);
  EXPECT_EQ(user_error([&] { op("arange", {i(0), i(5), i(0)}); }), "step must be nonzero");
  EXPECT_EQ(user_error([&] { op("arange", {i(5), i(0), i(1)}); }), "upper bound and larger bound inconsistent with step sign");
}

TEST_F(Factories, FullInfersTheDtypeFromTheValue) {
  Value size = Value::sequence({i(2), i(3)});
  EXPECT_EQ(op("full", {size, i(7)}).dtype(), D::Int64);
  EXPECT_EQ(op("full", {size, f(7)}).dtype(), D::Float32);
  EXPECT_EQ(op("full", {size, Value::constant(true)}).dtype(), D::Bool);
  EXPECT_EQ(op("full", {size, i(7)}).shape(), (Shape{2, 3}));
}

TEST_F(Factories, ZerosOnesAndLikes) {
  EXPECT_EQ(op("zeros", {i(2), i(3)}).shape(), (Shape{2, 3}));
  EXPECT_EQ(op("ones", {Value::sequence({i(4)})}).dtype(), D::Float32);
  Value x = input("x", {2, 5}, D::BFloat16, "cuda:1");
  Value z = op("zeros_like", {x});
  EXPECT_EQ(z.meta().str(), "cuda:1 bf16[2, 5]");
  EXPECT_EQ(op("ones_like", {x}, {{"device", Value::constant(Device::parse("cpu"))}}).meta().str(), "cpu bf16[2, 5]");
  EXPECT_EQ(user_error([&] { op("zeros", {i(2), i(-1)}); }), "Trying to create tensor with negative dimension -1: [2, -1]");
  EXPECT_EQ(user_error([&] { op("ones", {i(2)}, {{"requires_grad", Value::constant(true)}}); }, ErrorKind::NotImplemented),
            "ones: requires_grad=True is not supported inside compiled code yet");
}

TEST_F(Factories, TensorFromNestedSequences) {
  Value data = Value::sequence({Value::sequence({i(1), i(2)}), Value::sequence({i(3), f(4.5)})});
  Value t = op("tensor", {data});
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.dtype(), D::Float32);
  EXPECT_EQ(op("tensor", {Value::constant(true)}).dtype(), D::Bool);
  EXPECT_EQ(op("tensor", {Value::constant(true)}).shape(), Shape{});
  Value ragged = Value::sequence({Value::sequence({i(1), i(2)}), Value::sequence({i(3)})});
  EXPECT_EQ(user_error([&] { op("tensor", {ragged}); }, ErrorKind::Value), "expected sequence of length 2 at dim 1 (got 1)");
}
