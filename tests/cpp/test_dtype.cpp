#include <gtest/gtest.h>

#include "ir/dtype.h"

using namespace thunder;
using D = DType;

TEST(DType, NamesRoundTrip) {
  for (int k = 0; k < kNumDTypes; ++k) {
    auto t = static_cast<DType>(k);
    EXPECT_EQ(dtype_from_name(dtype_name(t)), t);
  }
  EXPECT_EQ(dtype_from_name("torch.float"), D::Float32);
  EXPECT_EQ(dtype_from_name("long"), D::Int64);
  EXPECT_EQ(dtype_from_name("float8"), std::nullopt);
  EXPECT_EQ(dtype_short_name(D::BFloat16), "bf16");
}

TEST(DType, Categories) {
  EXPECT_TRUE(is_bool(D::Bool));
  EXPECT_FALSE(is_integer(D::Bool));
  EXPECT_TRUE(is_integer(D::UInt8));
  EXPECT_TRUE(is_floating(D::BFloat16));
  EXPECT_TRUE(is_complex(D::Complex32));
  EXPECT_EQ(itemsize(D::Complex128), 16);
  EXPECT_EQ(to_real(D::Complex64), D::Float32);
  EXPECT_EQ(to_complex(D::Float64), D::Complex128);
  EXPECT_EQ(opmath_type(D::BFloat16), D::Float32);
  EXPECT_EQ(opmath_type(D::Int8), D::Int8);
}

// Expected values are torch.promote_types's.
TEST(DType, PromoteIntegers) {
  EXPECT_EQ(promote_types(D::UInt8, D::Int8), D::Int16);
  EXPECT_EQ(promote_types(D::UInt8, D::Int32), D::Int32);
  EXPECT_EQ(promote_types(D::Int16, D::Int64), D::Int64);
  EXPECT_EQ(promote_types(D::Bool, D::UInt8), D::UInt8);
  EXPECT_EQ(promote_types(D::Int8, D::Int8), D::Int8);
}

TEST(DType, PromoteFloats) {
  EXPECT_EQ(promote_types(D::Float16, D::BFloat16), D::Float32);
  EXPECT_EQ(promote_types(D::Float16, D::Float32), D::Float32);
  EXPECT_EQ(promote_types(D::BFloat16, D::Float64), D::Float64);
  EXPECT_EQ(promote_types(D::Int64, D::Float16), D::Float16);
  EXPECT_EQ(promote_types(D::Bool, D::BFloat16), D::BFloat16);
}

TEST(DType, PromoteComplex) {
  EXPECT_EQ(promote_types(D::Complex64, D::Float64), D::Complex128);
  EXPECT_EQ(promote_types(D::Complex32, D::BFloat16), D::Complex64);
  EXPECT_EQ(promote_types(D::Complex64, D::Int64), D::Complex64);
  EXPECT_EQ(promote_types(D::Float16, D::Complex32), D::Complex32);
}

TEST(DType, PromotionIsSymmetric) {
  for (int a = 0; a < kNumDTypes; ++a)
    for (int b = 0; b < kNumDTypes; ++b)
      EXPECT_EQ(promote_types(static_cast<D>(a), static_cast<D>(b)), promote_types(static_cast<D>(b), static_cast<D>(a)));
}

TEST(ResultType, DimensionedTensorsWinWithinACategory) {
  ResultType rt;
  rt.add_tensor(D::Float16, false);
  rt.add_tensor(D::Float64, true);  // zero-dim float64 does not upgrade a float16 tensor
  EXPECT_EQ(rt.result(), D::Float16);
}

TEST(ResultType, HigherCategoryFromZeroDim) {
  ResultType rt;
  rt.add_tensor(D::Int8, false);
  rt.add_tensor(D::Float64, true);  // int8 tensor + float64 scalar tensor -> float64
  EXPECT_EQ(rt.result(), D::Float64);
}

TEST(ResultType, PythonNumbers) {
  ResultType a;
  a.add_tensor(D::Int32, false);
  a.add_number(NumberType::Float);  // int tensor + 2.5 -> default dtype
  EXPECT_EQ(a.result(), D::Float32);
  ResultType b;
  b.add_tensor(D::Float16, false);
  b.add_number(NumberType::Complex);  // float16 tensor + 1j -> complex32
  EXPECT_EQ(b.result(), D::Complex32);
  ResultType c;
  c.add_tensor(D::UInt8, false);
  c.add_number(NumberType::Int);  // uint8 tensor + 300 stays uint8
  EXPECT_EQ(c.result(), D::UInt8);
  ResultType d;
  d.add_tensor(D::Bool, false);
  d.add_number(NumberType::Int);
  EXPECT_EQ(d.result(), D::Int64);
}

TEST(Promotion, Kinds) {
  EXPECT_EQ(apply_promotion(D::Int64, Promotion::IntToFloat).result, D::Float32);
  EXPECT_EQ(apply_promotion(D::Float16, Promotion::Default).computation, D::Float32);
  EXPECT_EQ(apply_promotion(D::Float16, Promotion::Default).result, D::Float16);
  EXPECT_EQ(apply_promotion(D::Float64, Promotion::AlwaysBool).result, D::Bool);
  EXPECT_EQ(apply_promotion(D::Complex64, Promotion::ComplexToFloat).result, D::Float32);
  EXPECT_EQ(apply_promotion(D::Bool, Promotion::BoolToLong).result, D::Int64);
  EXPECT_EQ(apply_promotion(D::BFloat16, Promotion::NoOpmath).computation, D::BFloat16);
}
