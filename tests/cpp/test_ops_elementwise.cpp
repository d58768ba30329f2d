// The elementwise family's meta rules and errors, with torch's results and messages as the
// expected values.
#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

namespace {

Value s(const char* v) { return Value::constant(std::string(v)); }
Value dt(D t) { return Value::constant(t); }
Value b(bool v) { return Value::constant(v); }

}  // namespace

class Elementwise : public TraceTest {
 protected:
  std::vector<std::string> sub_names() {
    Trace t = builder.finish();
    std::vector<std::string> out;
    for (const auto& sub : t.bound_symbols.back().subsymbols) out.push_back(sub.sym->name());
    return out;
  }
};

TEST_F(Elementwise, UnaryFloatOpsPromoteIntegersAndBools) {
  for (const char* name : {"sqrt", "rsqrt", "reciprocal", "exp2", "expm1", "log1p", "log2", "log10", "tan", "asin",
                           "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "lgamma"}) {
    EXPECT_EQ(op(name, {input(std::string("i") + name, {2}, D::Int32)}).dtype(), D::Float32) << name;
    EXPECT_EQ(op(name, {input(std::string("b") + name, {2}, D::Bool)}).dtype(), D::Float32) << name;
    EXPECT_EQ(op(name, {input(std::string("h") + name, {2, 3}, D::Float16)}).dtype(), D::Float16) << name;
  }
  EXPECT_EQ(op("sqrt", {input("c", {2}, D::Complex64)}).dtype(), D::Complex64);
  EXPECT_EQ(user_error([&] { op("erf", {input("c2", {2}, D::Complex64)}); }, ErrorKind::NotImplemented),
            "\"erf\" not implemented for 'ComplexFloat'");
}

TEST_F(Elementwise, IntegerPreservingUnaryOps) {
  Value x = input("x", {3}, D::Int64);
  for (const char* name : {"abs", "sign", "floor", "ceil", "trunc", "round", "square", "bitwise_not", "positive"})
    EXPECT_EQ(op(name, {x}).dtype(), D::Int64) << name;
  EXPECT_EQ(op("square", {input("b", {3}, D::Bool)}).dtype(), D::Int64);
  EXPECT_EQ(op("sign", {input("b2", {3}, D::Bool)}).dtype(), D::Bool);
  EXPECT_EQ(op("abs", {input("c", {3}, D::Complex128)}).dtype(), D::Float64);
}

TEST_F(Elementwise, UnaryErrors) {
  Value tb = input("b", {2}, D::Bool);
  Value c = input("c", {2}, D::Complex64);
  Value ti = input("i", {2}, D::Int32);
  Value tf = input("f", {2});
  EXPECT_EQ(user_error([&] { op("abs", {tb}); }, ErrorKind::NotImplemented), "\"abs\" not implemented for 'Bool'");
  EXPECT_EQ(user_error([&] { op("floor", {c}); }, ErrorKind::NotImplemented), "floor is not supported for complex inputs");
  EXPECT_EQ(user_error([&] { op("floor", {tb}); }, ErrorKind::NotImplemented), "\"floor\" not implemented for 'Bool'");
  EXPECT_EQ(user_error([&] { op("sign", {c}); }, ErrorKind::NotImplemented),
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead.");
  EXPECT_EQ(user_error([&] { op("round", {ti}, {{"decimals", i(2)}}); }, ErrorKind::NotImplemented),
            "\"round\" not implemented for 'Int'");
  EXPECT_EQ(user_error([&] { op("frac", {ti}); }, ErrorKind::NotImplemented), "\"frac\" not implemented for 'Int'");
  EXPECT_EQ(user_error([&] { op("signbit", {c}); }, ErrorKind::NotImplemented),
            "signbit is not implemented for complex tensors.");
  EXPECT_EQ(user_error([&] { op("bitwise_not", {tf}); }, ErrorKind::NotImplemented),
            "\"bitwise_not\" not implemented for 'Float'");
  EXPECT_EQ(user_error([&] { op("positive", {tb}); }), "The `+` operator, on a bool tensor is not supported.");
  EXPECT_EQ(user_error([&] { op("sqrt", {i(2)}); }, ErrorKind::Type), "sqrt: expected 'input' to be a tensor, got int");
}

TEST_F(Elementwise, ClassificationIsBool) {
  for (const char* name : {"isnan", "isinf", "isfinite", "signbit", "logical_not", "isposinf", "isneginf"}) {
    Value z = op(name, {input(std::string("x") + name, {2, 0, 3}, D::BFloat16)});
    EXPECT_EQ(z.dtype(), D::Bool) << name;
    EXPECT_EQ(z.shape(), (Shape{2, 0, 3})) << name;
  }
}

TEST_F(Elementwise, RoundingOpsOfIntegersReturnTheInputUnderANewName) {
  Value x = input("x", {3}, D::Int32);
  Value y = op("floor", {x});
  EXPECT_FALSE(y.same(x));
  EXPECT_EQ(sub_names(), std::vector<std::string>{"prims.alias"});
}

TEST_F(Elementwise, BinaryPromotion) {
  Value ti = input("i", {4, 1}, D::Int32);
  Value h = input("h", {3}, D::Float16);
  Value tb = input("b", {3}, D::Bool);
  EXPECT_EQ(op("maximum", {ti, h}).dtype(), D::Float16);
  EXPECT_EQ(op("maximum", {ti, h}).shape(), (Shape{4, 3}));
  EXPECT_EQ(op("atan2", {ti, ti}).dtype(), D::Float32);
  EXPECT_EQ(op("copysign", {ti, i(-1)}).dtype(), D::Float32);
  EXPECT_EQ(op("xlogy", {i(2), ti}).dtype(), D::Float32);
  EXPECT_EQ(op("remainder", {ti, f(2.5)}).dtype(), D::Float32);
  EXPECT_EQ(op("floor_divide", {tb, i(2)}).dtype(), D::Int64);
  EXPECT_EQ(op("bitwise_or", {i(2), tb}).dtype(), D::Int64);
  EXPECT_EQ(op("bitwise_and", {tb, tb}).dtype(), D::Bool);
  EXPECT_EQ(op("logical_xor", {h, ti}).dtype(), D::Bool);
  EXPECT_EQ(op("logical_xor", {h, ti}).shape(), (Shape{4, 3}));
  EXPECT_EQ(op("hypot", {h, ti}).dtype(), D::Float16);
}

TEST_F(Elementwise, BinaryErrors) {
  Value tf = input("f", {2});
  Value ti = input("i", {2}, D::Int64);
  Value tb = input("b", {2}, D::Bool);
  Value c = input("c", {2}, D::Complex64);
  EXPECT_EQ(user_error([&] { op("maximum", {tf, i(2)}); }, ErrorKind::Type),
            "maximum(): argument 'other' (position 2) must be Tensor, not int");
  EXPECT_EQ(user_error([&] { op("logical_and", {f(1.5), tf}); }, ErrorKind::Type),
            "logical_and(): argument 'input' (position 1) must be Tensor, not float");
  EXPECT_EQ(user_error([&] { op("fmod", {i(2), tf}); }, ErrorKind::Type),
            "fmod(): argument 'input' (position 1) must be Tensor, not int");
  EXPECT_EQ(user_error([&] { op("maximum", {c, c}); }), "maximum not implemented for complex tensors.");
  EXPECT_EQ(user_error([&] { op("fmin", {c, c}); }), "fmin not implemented for complex tensors.");
  EXPECT_EQ(user_error([&] { op("remainder", {tb, tb}); }, ErrorKind::NotImplemented),
            "\"remainder\" not implemented for 'Bool'");
  EXPECT_EQ(user_error([&] { op("floor_divide", {tb, tb}); }, ErrorKind::NotImplemented),
            "\"div_floor\" not implemented for 'Bool'");
  EXPECT_EQ(user_error([&] { op("bitwise_xor", {ti, f(0.5)}); }, ErrorKind::NotImplemented),
            "\"bitwise_xor\" not implemented for 'Float'");
  EXPECT_EQ(user_error([&] { op("hypot", {ti, ti}); }, ErrorKind::NotImplemented), "\"hypot\" not implemented for 'Long'");
  EXPECT_EQ(user_error([&] { op("atan2", {c, c}); }, ErrorKind::NotImplemented),
            "\"atan2\" not implemented for 'ComplexFloat'");
}

TEST_F(Elementwise, IntegerDivisionDecomposesIntoPrims) {
  Value ti = input("i", {3}, D::Int64);
  Value q = op("div", {ti, i(3)}, {{"rounding_mode", s("floor")}});
  EXPECT_EQ(q.dtype(), D::Int64);
  std::vector<std::string> subs = sub_names();
  EXPECT_EQ(subs.front(), "prims.div");
  EXPECT_EQ(subs.back(), "prims.where");
}

TEST_F(Elementwise, FloatFloorDivisionOfHalfComputesInItsDtype) {
  Value h = input("h", {3}, D::Float16);
  EXPECT_EQ(op("floor_divide", {h, input("g", {3}, D::Float16)}).dtype(), D::Float16);
  for (const auto& name : sub_names()) EXPECT_NE(name, "prims.convert_element_type");
}

TEST_F(Elementwise, Where) {
  Value c = input("c", {3, 1}, D::Bool);
  Value x = input("x", {4}, D::Float16);
  Value z = op("where", {c, x, f(2.0)});
  EXPECT_EQ(z.shape(), (Shape{3, 4}));
  EXPECT_EQ(z.dtype(), D::Float16);
  EXPECT_EQ(op("where", {c, i(1), f(0.5)}).dtype(), D::Float32);
  EXPECT_EQ(op("where", {c, i(1), i(0)}).dtype(), D::Int64);
  EXPECT_EQ(op("where", {c, b(true), b(false)}).dtype(), D::Bool);
  EXPECT_EQ(op("where", {input("u", {4}, D::UInt8), x, input("i", {4}, D::Int32)}).dtype(), D::Float16);
  EXPECT_EQ(user_error([&] { op("where", {x, x, x}); }),
            "where expected condition to be a boolean tensor, but got a tensor with dtype Half");
}

TEST_F(Elementwise, MaskedFill) {
  Value x = input("x", {3}, D::Int32);
  Value m = input("m", {2, 3}, D::Bool);
  Value z = op("masked_fill", {x, m, f(2.7)});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.dtype(), D::Int32);
  EXPECT_EQ(user_error([&] { op("masked_fill", {x, input("fm", {3}), i(1)}); }),
            "masked_fill_ only supports boolean masks, but got mask with dtype float");
  EXPECT_EQ(user_error([&] { op("masked_fill", {x, input("lm", {3}, D::Int64), i(1)}); }),
            "masked_fill_ only supports boolean masks, but got mask with dtype long int");
  EXPECT_EQ(user_error([&] { op("masked_fill", {x, m, input("v", {1}, D::Int32)}); }),
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).");
  EXPECT_EQ(user_error([&] { op("masked_fill", {x, m, i(int64_t{1} << 40)}); }),
            "value cannot be converted to type int without overflow");
  Value u = input("u", {3}, D::UInt8);
  EXPECT_EQ(user_error([&] { op("masked_fill", {u, m, f(-1.5)}); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(user_error([&] { op("masked_fill", {u, m, i(-256)}); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(op("masked_fill", {u, m, i(-255)}).dtype(), D::UInt8);
  EXPECT_EQ(user_error([&] { op("masked_fill", {input("h", {3}, D::Float16), m, i(70000)}); }),
            "value cannot be converted to type c10::Half without overflow");
  EXPECT_EQ(user_error([&] { op("masked_fill", {input("g", {3}), m, Value::constant(Complex(0, 1))}); }),
            "value cannot be converted to type float without overflow");
  EXPECT_EQ(op("masked_fill", {input("bb", {3}, D::Bool), m, f(0.5)}).dtype(), D::Bool);
}

TEST_F(Elementwise, Clamp) {
  Value ti = input("i", {3}, D::Int32);
  EXPECT_EQ(op("clamp", {ti, f(0.5)}).dtype(), D::Float32);
  EXPECT_EQ(op("clamp", {ti, i(0), i(2)}).dtype(), D::Int32);
  EXPECT_EQ(op("clamp", {input("b", {3}, D::Bool), i(0)}).dtype(), D::Int64);
  EXPECT_EQ(op("clamp", {ti, input("lo", {2, 1}, D::Float64)}).shape(), (Shape{2, 3}));
  EXPECT_EQ(op("clamp_min", {ti, input("lo2", {}, D::Float64)}).dtype(), D::Float64);
  EXPECT_EQ(user_error([&] { op("clamp", {ti}); }), "torch.clamp: At least one of 'min' or 'max' must not be None");
  EXPECT_EQ(user_error([&] { op("clamp", {input("c", {3}, D::Complex64), i(0)}); }, ErrorKind::NotImplemented),
            "clamp is not supported for complex types");
  EXPECT_EQ(user_error([&] { op("clamp", {ti, i(int64_t{1} << 40)}); }),
            "value cannot be converted to type int without overflow");
  EXPECT_EQ(user_error([&] { op("clamp", {ti, input("t", {3}), f(2.0)}); }, ErrorKind::Type),
            "clamp(): expected min and max to be both tensors or both numbers, got tensor and float");
}

TEST_F(Elementwise, Lerp) {
  Value x = input("x", {4, 1}, D::BFloat16);
  Value e = input("e", {3}, D::BFloat16);
  EXPECT_EQ(op("lerp", {x, e, f(0.25)}).shape(), (Shape{4, 3}));
  EXPECT_EQ(op("lerp", {x, e, input("w0", {}, D::Float64)}).dtype(), D::BFloat16);
  EXPECT_EQ(user_error([&] { op("lerp", {x, input("e2", {3}), f(0.5)}); }),
            "expected dtype c10::BFloat16 for `end` but got dtype float");
  EXPECT_EQ(user_error([&] { op("lerp", {x, e, input("w", {3}, D::Float16)}); }),
            "expected dtype c10::BFloat16 for `weight` but got dtype c10::Half");
  Value ti = input("i", {3}, D::Int32);
  EXPECT_EQ(user_error([&] { op("lerp", {ti, ti, f(0.5)}); }, ErrorKind::NotImplemented),
            "\"lerp\" not implemented for 'Int'");
}

TEST_F(Elementwise, AddcmulAndAddcdiv) {
  Value h = input("h", {2, 3}, D::Float16);
  Value g = input("g", {3});
  Value ti = input("i", {3}, D::Int32);
  EXPECT_EQ(op("addcmul", {h, g, g}).dtype(), D::Float32);
  EXPECT_EQ(op("addcmul", {ti, ti, ti}, {{"value", f(0.5)}}).dtype(), D::Int32);
  EXPECT_EQ(op("addcdiv", {ti, g, g}).dtype(), D::Float32);
  EXPECT_EQ(op("addcdiv", {h, g, g}).shape(), (Shape{2, 3}));
  EXPECT_NE(user_error([&] { op("addcdiv", {g, ti, ti}); }).find("Integer division with addcdiv is no longer supported"),
            std::string::npos);
  Value tb = input("b", {3}, D::Bool);
  EXPECT_EQ(user_error([&] { op("addcmul", {tb, tb, tb}); }, ErrorKind::NotImplemented),
            "\"addcmul\" not implemented for 'Bool'");
  EXPECT_EQ(user_error([&] { op("addcmul", {g, g, g}, {{"value", Value::constant(Complex(0, 1))}}); }),
            "value cannot be converted to type float without overflow");
}

TEST_F(Elementwise, NanToNum) {
  EXPECT_EQ(op("nan_to_num", {input("h", {2}, D::Float16)}).dtype(), D::Float16);
  Value ti = input("i", {2}, D::Int32);
  EXPECT_FALSE(op("nan_to_num", {ti, f(1.0)}).same(ti));
  EXPECT_EQ(user_error([&] { op("nan_to_num", {input("x", {2}), s("zero")}); }, ErrorKind::Type),
            "nan_to_num: expected 'nan' to be a float or None, got str");
}

TEST_F(Elementwise, Conversions) {
  Value x = input("x", {2, 3});
  EXPECT_EQ(op("to", {x, dt(D::Float16)}).dtype(), D::Float16);
  EXPECT_EQ(op("to", {x, s("cpu"), dt(D::Int32)}).dtype(), D::Int32);
  EXPECT_EQ(op("to", {x}, {{"dtype", dt(D::Float64)}, {"copy", b(true)}}).dtype(), D::Float64);
  EXPECT_EQ(op("to", {x, input("other", {1}, D::BFloat16)}).dtype(), D::BFloat16);
  EXPECT_EQ(op("to", {x, Value::none(), dt(D::Int8)}).dtype(), D::Int8);
  EXPECT_EQ(op("type_as", {x, input("o2", {}, D::Int64)}).dtype(), D::Int64);
  EXPECT_EQ(op("long", {x}).dtype(), D::Int64);
  EXPECT_EQ(op("char", {x}).dtype(), D::Int8);
  EXPECT_EQ(op("byte", {x}).dtype(), D::UInt8);
  EXPECT_EQ(op("bfloat16", {x}).dtype(), D::BFloat16);
  EXPECT_EQ(user_error([&] { op("to", {x, s("cuda:1")}); }, ErrorKind::NotImplemented),
            "to: moving a tensor to another device (cpu -> cuda:1) is not supported yet");
  EXPECT_NE(user_error([&] { op("to", {x, dt(D::Float16)}, {{"dtype", dt(D::Float64)}}); }, ErrorKind::Type)
                .find("to() received an invalid combination of arguments - got (torch.dtype, dtype=torch.dtype)"),
            std::string::npos);
  EXPECT_NE(user_error([&] { op("to", {x, dt(D::Float16), s("cpu")}); }, ErrorKind::Type).find("invalid combination"),
            std::string::npos);
}

TEST_F(Elementwise, ConversionToTheSameDtypeGivesAFreshName) {
  Value x = input("x", {2}, D::Float32);
  Value y = op("float", {x});
  EXPECT_FALSE(y.same(x));
  EXPECT_EQ(sub_names(), std::vector<std::string>{"prims.alias"});
}

TEST_F(Elementwise, ToPrintsItsArgumentsSpreadOut) {
  Value x = input("x", {2}, D::Float32);
  op("to", {x, s("cpu"), dt(D::Float16)}, {{"non_blocking", b(true)}});
  Trace t = builder.finish();
  EXPECT_NE(t.str().find("t0 = torch.Tensor.to(x, 'cpu', torch.float16, non_blocking=True)"), std::string::npos)
      << t.str();
}

TEST_F(Elementwise, OperatorFormsPrintWithANumberFirst) {
  Value x = input("x", {2}, D::Int64);
  op("remainder", {i(7), x});
  op("floor_divide", {i(7), x});
  op("bitwise_xor", {i(3), x});
  Trace t = builder.finish();
  std::string text = t.str();
  EXPECT_NE(text.find("= 7 % x"), std::string::npos) << text;
  EXPECT_NE(text.find("= 7 // x"), std::string::npos) << text;
  EXPECT_NE(text.find("= 3 ^ x"), std::string::npos) << text;
}

TEST_F(Elementwise, PrimsRejectNumbersTheirAtenCallsReject) {
  Value x = input("x", {2});
  EXPECT_THROW(op("prims.maximum", {x, f(1.0)}), InternalError);
  EXPECT_THROW(op("prims.fmod", {f(1.0), x}), InternalError);
  EXPECT_EQ(op("prims.fmod", {x, f(1.0)}).dtype(), D::Float32);
  EXPECT_EQ(op("prims.abs", {input("c", {2}, D::Complex64)}).dtype(), D::Float32);
  EXPECT_EQ(op("prims.where", {input("p", {2}, D::Bool), f(1.0), f(0.0)}).dtype(), D::Float32);
}
