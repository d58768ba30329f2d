#include <cmath>

#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;

TEST(Value, FloatReprMatchesPython) {
  EXPECT_EQ(python_repr(f(0.5)), "0.5");
  EXPECT_EQ(python_repr(f(1.0)), "1.0");
  EXPECT_EQ(python_repr(f(-2.0)), "-2.0");
  EXPECT_EQ(python_repr(f(1e-5)), "1e-05");
  EXPECT_EQ(python_repr(f(0.0001)), "0.0001");
  EXPECT_EQ(python_repr(f(1e16)), "1e+16");
  EXPECT_EQ(python_repr(f(123456789.125)), "123456789.125");
  EXPECT_EQ(python_repr(f(0.1)), "0.1");
  EXPECT_EQ(python_repr(f(1.0 / 3)), "0.3333333333333333");
  EXPECT_EQ(python_repr(f(INFINITY)), "float('inf')");
  EXPECT_EQ(python_repr(f(NAN)), "float('nan')");
}

TEST(Value, ConstantsPrintAsPython) {
  EXPECT_EQ(python_repr(Value::none()), "None");
  EXPECT_EQ(python_repr(Value::constant(true)), "True");
  EXPECT_EQ(python_repr(i(-3)), "-3");
  EXPECT_EQ(python_repr(Value::constant(std::string("it's"))), "'it\\'s'");
  EXPECT_EQ(python_repr(Value::constant(DType::BFloat16)), "torch.bfloat16");
  EXPECT_EQ(python_repr(Value::constant(Device::parse("cuda:1"))), "torch.device('cuda:1')");
  EXPECT_EQ(python_repr(Value::constant(Complex(1, -2))), "complex(1.0, -2.0)");
  EXPECT_EQ(python_repr(Value::sequence({i(1)})), "(1,)");
  EXPECT_EQ(python_repr(Value::sequence({i(1), i(2)}, true)), "[1, 2]");
}

TEST(Value, Accessors) {
  Value t = Value::tensor("x", TensorMeta{{2, 3}, DType::Float16, Device::parse("cuda:0"), true});
  EXPECT_TRUE(t.is_tensor());
  EXPECT_TRUE(t.is_proxy());
  EXPECT_EQ(t.rank(), 2);
  EXPECT_EQ(t.meta().str(), "cuda:0 f16[2, 3]");
  EXPECT_TRUE(f(1.5).is_number());
  EXPECT_EQ(f(1.5).python_number_type(), NumberType::Float);
  EXPECT_FALSE(Value::constant(true).is_int());
  EXPECT_EQ(type_name(Value::constant(std::string("a"))), "str");
  EXPECT_THROW(i(1).name(), InternalError);
}

TEST(Device, Parse) {
  EXPECT_EQ(Device::parse("cpu").str(), "cpu");
  EXPECT_EQ(Device::parse("cuda").index, -1);
  EXPECT_EQ(Device::parse("cuda:3").index, 3);
  EXPECT_EQ(Device::parse("meta").type, DeviceType::Meta);
  EXPECT_THROW(Device::parse("tpu"), UserError);
  EXPECT_THROW(Device::parse("cuda:x"), UserError);
}

TEST(Shape, Broadcast) {
  EXPECT_EQ(broadcast_shapes({2, 1, 4}, {3, 1}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}), (Shape{5}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 3}), (Shape{0, 3}));
  std::string msg = user_error([] { broadcast_shapes({2}, {3}); });
  EXPECT_EQ(msg, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
}

TEST(Shape, WrapDim) {
  EXPECT_EQ(wrap_dim(-1, 3), 2);
  EXPECT_EQ(wrap_dim(0, 0), 0);
  EXPECT_EQ(wrap_dim(-1, 0), 0);
  std::string msg = user_error([] { wrap_dim(2, 2); }, ErrorKind::Index);
  EXPECT_EQ(msg, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
}
