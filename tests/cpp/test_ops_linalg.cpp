// Linear algebra ops beyond matmul (whose tests are in test_ops.cpp): meta rules and error messages,
// with torch's results as the expected values.
#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

namespace {

class Linalg : public TraceTest {};

}  // namespace

TEST_F(Linalg, OuterIsABroadcastProductThatPromotes) {
  Value y = op("outer", {input("a", {3}), input("b", {4})});
  EXPECT_EQ(y.shape(), (Shape{3, 4}));
  EXPECT_EQ(y.dtype(), D::Float32);
  EXPECT_EQ(op("outer", {input("c", {2}, D::UInt8), input("d", {3}, D::Int8)}).dtype(), D::Int16);
  EXPECT_EQ(op("outer", {input("e", {2}, D::Int32), input("f", {0}, D::Float64)}).shape(), (Shape{2, 0}));
  EXPECT_EQ(user_error([&] { op("outer", {input("g", {2, 2}), input("h", {3})}); }),
            "outer: Expected 1-D argument self, but got 2-D");
  EXPECT_EQ(user_error([&] { op("outer", {input("k", {2}), input("l", {})}); }),
            "outer: Expected 1-D argument vec2, but got 0-D");
  EXPECT_EQ(user_error([&] { op("outer", {input("m", {2}), input("n", {3}, D::Float32, "meta")}); }),
            "outer: expected all tensors to be on the same device, got cpu and meta");
}
