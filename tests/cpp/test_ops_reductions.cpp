// Reductions and statistics: meta rules (shapes, dtypes) and error messages, with torch's results
// as the expected values.
#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

namespace {

class Reductions : public TraceTest {};

Value ints(std::initializer_list<int64_t> v) {
  std::vector<Value> items;
  for (int64_t x : v) items.push_back(i(x));
  return Value::sequence(std::move(items));
}
Value b(bool v) { return Value::constant(v); }
Value dt(D t) { return Value::constant(t); }
Value none() { return Value::none(); }

}  // namespace

TEST_F(Reductions, ProdAccumulatesIntegersInInt64AndTakesOneDim) {
  Value x = input("x", {2, 3}, D::UInt8);
  EXPECT_EQ(op("prod", {x}).dtype(), D::Int64);
  EXPECT_EQ(op("prod", {input("b", {2}, D::Bool)}).dtype(), D::Int64);
  EXPECT_EQ(op("prod", {input("h", {2}, D::Float16)}).dtype(), D::Float16);
  EXPECT_EQ(op("prod", {x, i(1)}, {{"dtype", dt(D::Float32)}}).dtype(), D::Float32);
  EXPECT_EQ(op("prod", {x, i(-1), b(true)}).shape(), (Shape{2, 1}));
  EXPECT_EQ(user_error([&] { op("prod", {x, ints({0, 1})}); }, ErrorKind::Type),
            "prod: expected 'dim' to be an int or None, got tuple");
}

TEST_F(Reductions, AminRejectsEmptyReductions) {
  Value e = input("e", {0, 3});
  EXPECT_EQ(op("amin", {e, i(1)}).shape(), (Shape{0}));
  EXPECT_EQ(op("amin", {input("b", {2}, D::Bool)}).dtype(), D::Bool);
  EXPECT_EQ(user_error([&] { op("amin", {e}); }),
            "amin(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the "
            "'dim' argument.");
  EXPECT_EQ(user_error([&] { op("amin", {e, i(0)}); }, ErrorKind::Index),
            "amin(): Expected reduction dim 0 to have non-zero size.");
  EXPECT_EQ(user_error([&] { op("amin", {e, i(2)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
}

TEST_F(Reductions, MaxReturnsValuesAndIndicesWithADim) {
  Value x = input("x", {2, 3}, D::Int32);
  Value full = op("max", {x});
  EXPECT_TRUE(full.is_tensor());
  EXPECT_EQ(full.shape(), Shape{});
  Value vi = op("max", {x, i(1)}, {{"keepdim", b(true)}});
  ASSERT_TRUE(vi.is_sequence());
  EXPECT_EQ(vi.items()[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(vi.items()[0].dtype(), D::Int32);
  EXPECT_EQ(vi.items()[1].dtype(), D::Int64);
  Value s = op("min", {input("s", {}), i(0)});
  EXPECT_EQ(s.items()[1].shape(), Shape{});
  EXPECT_EQ(op("max", {input("bb", {2, 3}, D::Bool), i(0)}).items()[1].shape(), (Shape{3}));
  Value e = input("e", {0, 3});
  EXPECT_EQ(op("max", {e, i(1)}).items()[0].shape(), (Shape{0}));
  EXPECT_EQ(user_error([&] { op("max", {e}); }),
            "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the "
            "'dim' argument.");
  EXPECT_EQ(user_error([&] { op("min", {e, i(0)}); }, ErrorKind::Index),
            "min(): Expected reduction dim 0 to have non-zero size.");
}

TEST_F(Reductions, MaxOfTwoTensorsIsMaximum) {
  Value x = input("x", {2, 3}), y = input("y", {3});
  if (ops::op_table().find("maximum")) {
    EXPECT_EQ(op("max", {x, y}).shape(), (Shape{2, 3}));
  } else {
    EXPECT_EQ(user_error([&] { op("max", {x, y}); }, ErrorKind::NotImplemented),
              "max(input, other) is not supported yet, use torch.maximum");
  }
}

TEST_F(Reductions, ArgmaxFlattensWithoutADim) {
  Value x = input("x", {2, 3});
  EXPECT_EQ(op("argmax", {x}).shape(), Shape{});
  EXPECT_EQ(op("argmax", {x}).dtype(), D::Int64);
  EXPECT_EQ(op("argmax", {x, none(), b(true)}).shape(), (Shape{1, 1}));
  EXPECT_EQ(op("argmin", {x, i(0), b(true)}).shape(), (Shape{1, 3}));
  EXPECT_EQ(user_error([&] { op("argmax", {input("b", {2}, D::Bool)}); }), "argmax(): does not support bool input");
  EXPECT_EQ(user_error([&] { op("argmin", {input("e", {0, 3})}); }, ErrorKind::Index),
            "argmin(): Expected reduction dim to be specified for input.numel() == 0.");
}

TEST_F(Reductions, AllAndAnyReturnBoolButKeepUint8) {
  EXPECT_EQ(op("all", {input("x", {2, 3})}).dtype(), D::Bool);
  EXPECT_EQ(op("any", {input("u", {2, 3}, D::UInt8), i(0)}).dtype(), D::UInt8);
  EXPECT_EQ(op("any", {input("i", {2, 3}, D::Int32), ints({0, 1})}).shape(), Shape{});
  EXPECT_EQ(op("all", {input("y", {2, 3, 4}), ints({0, 2}), b(true)}).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(user_error([&] { op("all", {input("z", {2}), i(1)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
}

TEST_F(Reductions, LogsumexpPromotesIntegersAndNeedsADim) {
  EXPECT_EQ(op("logsumexp", {input("x", {2, 3}, D::Int64), i(1)}).dtype(), D::Float32);
  EXPECT_EQ(op("logsumexp", {input("h", {2, 3}, D::Float16), i(1), b(true)}).shape(), (Shape{2, 1}));
  EXPECT_EQ(op("logsumexp", {input("e", {0, 3}), i(0)}).shape(), (Shape{3}));
  EXPECT_EQ(user_error([&] { op("logsumexp", {input("y", {2})}); }, ErrorKind::Type),
            "logsumexp() missing required argument 'dim'");
}

TEST_F(Reductions, CumsumPromotesIntegersToInt64) {
  EXPECT_EQ(op("cumsum", {input("x", {2, 3}, D::Int32), i(0)}).dtype(), D::Int64);
  EXPECT_EQ(op("cumprod", {input("b", {2, 3}, D::Bool), i(1)}).dtype(), D::Int64);
  EXPECT_EQ(op("cumsum", {input("u", {2, 3}, D::UInt8), i(0)}, {{"dtype", dt(D::Int32)}}).dtype(), D::Int32);
  EXPECT_EQ(op("cumsum", {input("h", {2, 3}, D::Float16), i(-1)}).dtype(), D::Float16);
  EXPECT_EQ(user_error([&] { op("cumsum", {input("y", {2, 3}), i(3)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-2, 1], but got 3)");
}

TEST_F(Reductions, TopkAndSort) {
  Value x = input("x", {3, 5});
  Value t = op("topk", {x, i(2)});
  EXPECT_EQ(t.items()[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(t.items()[1].dtype(), D::Int64);
  EXPECT_EQ(op("topk", {x, i(3), i(0)}).items()[0].shape(), (Shape{3, 5}));
  EXPECT_EQ(user_error([&] { op("topk", {x, i(6)}); }), "selected index k out of range");
  EXPECT_EQ(user_error([&] { op("topk", {x, i(-1)}); }), "selected index k out of range");
  EXPECT_EQ(user_error([&] { op("topk", {input("b", {3}, D::Bool), i(1)}); }), "topk does not support bool dtypes on CPU");
  Value s = op("sort", {input("u", {4, 2}, D::UInt8), i(0), b(true)}, {{"stable", b(true)}});
  EXPECT_EQ(s.items()[0].dtype(), D::UInt8);
  EXPECT_EQ(s.items()[1].shape(), (Shape{4, 2}));
  EXPECT_EQ(op("argsort", {x}, {{"descending", b(true)}}).dtype(), D::Int64);
}

TEST_F(Reductions, SortPrintsStableWithKeywords) {
  Value x = input("x", {3, 5});
  op("sort", {x, i(0)}, {{"stable", b(true)}});
  op("argsort", {x, i(0), b(true)});
  op("sort", {x});
  std::string text = builder.finish().str();
  EXPECT_NE(text.find("torch.sort(x, dim=0, descending=False, stable=True)"), std::string::npos) << text;
  EXPECT_NE(text.find("torch.argsort(x, 0, True)"), std::string::npos) << text;
  EXPECT_NE(text.find("torch.sort(x)"), std::string::npos) << text;
}

TEST_F(Reductions, VarAcceptsCorrectionAndTheLegacyUnbiased) {
  Value x = input("x", {2, 3, 4});
  EXPECT_EQ(op("var", {x}).shape(), Shape{});
  EXPECT_EQ(op("var", {x, ints({0, 2})}, {{"keepdim", b(true)}, {"correction", i(0)}}).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(op("std", {x, b(false)}).shape(), Shape{});          // torch.std(x, False)
  EXPECT_EQ(op("var", {x, i(1), b(false), b(true)}).shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(op("var", {input("h", {3}, D::Float16)}).dtype(), D::Float16);
  Value vm = op("var_mean", {x, i(1)});
  EXPECT_EQ(vm.items()[0].shape(), (Shape{2, 4}));
  EXPECT_EQ(vm.items()[1].shape(), (Shape{2, 4}));
  EXPECT_EQ(user_error([&] { op("var", {input("i", {2}, D::Int64)}); }),
            "std and var only support floating point and complex dtypes");
  EXPECT_EQ(user_error([&] { op("std", {x}, {{"unbiased", b(true)}, {"correction", i(1)}}); }, ErrorKind::Type),
            "std: expected at most one of 'unbiased' and 'correction', got both");
  EXPECT_EQ(user_error([&] { op("var", {x, i(3)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
}

TEST_F(Reductions, VarPrintsTheCorrectionOverload) {
  Value x = input("x", {2, 3});
  op("var", {x, i(1), b(false), b(true)});
  op("std", {x, b(false)});
  op("var_mean", {x}, {{"correction", f(2.5)}});
  std::string text = builder.finish().str();
  EXPECT_NE(text.find("torch.var(x, 1, correction=0, keepdim=True)"), std::string::npos) << text;
  EXPECT_NE(text.find("torch.std(x, correction=0)"), std::string::npos) << text;
  EXPECT_NE(text.find("torch.var_mean(x, correction=2.5)"), std::string::npos) << text;
}

TEST_F(Reductions, VectorNormDtypesAndErrors) {
  Value x = input("x", {0, 3});
  EXPECT_EQ(op("linalg_vector_norm", {input("h", {2, 3}, D::BFloat16)}).dtype(), D::BFloat16);
  EXPECT_EQ(op("linalg_vector_norm", {input("y", {2, 3})}, {{"dtype", dt(D::Float64)}}).dtype(), D::Float64);
  EXPECT_EQ(op("linalg_vector_norm", {input("z", {2, 3}), f(1.5), i(1), b(true)}).shape(), (Shape{2, 1}));
  EXPECT_EQ(op("linalg_vector_norm", {x, f(INFINITY), i(1)}).shape(), (Shape{0}));
  EXPECT_EQ(user_error([&] { op("linalg_vector_norm", {input("i", {2}, D::Int64)}); }),
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long");
  EXPECT_EQ(user_error([&] { op("linalg_vector_norm", {x, f(INFINITY)}); }),
            "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an "
            "identity");
  EXPECT_EQ(user_error([&] { op("linalg_vector_norm", {x, i(-1)}); }),
            "linalg.vector_norm cannot compute the -1 norm on an empty tensor because the operation does not have an "
            "identity");
  EXPECT_EQ(user_error([&] { op("linalg_vector_norm", {input("w", {2})}, {{"dtype", dt(D::Float16)}}); }),
            "linalg.vector_norm: the dtype of the input (Float) should be convertible without narrowing to the "
            "specified dtype (Half)");
  EXPECT_EQ(user_error([&] { op("linalg_vector_norm", {input("v", {2})}, {{"dtype", dt(D::Int64)}}); }),
            "linalg.vector_norm: dtype should be floating point or complex, but got Long");
}

TEST_F(Reductions, NormIsAVectorNormOrAnUnsupportedMatrixNorm) {
  Value x = input("x", {2, 3, 4});
  auto str = [](const char* s) { return Value::constant(std::string(s)); };
  EXPECT_EQ(op("norm", {x, str("fro"), ints({0, 1})}).shape(), (Shape{4}));
  EXPECT_EQ(op("norm", {x, none(), i(2)}).shape(), (Shape{2, 3}));
  EXPECT_EQ(op("norm", {x}, {{"dtype", dt(D::Float64)}}).dtype(), D::Float64);
  EXPECT_EQ(user_error([&] { op("norm", {x, str("nuc")}); }, ErrorKind::NotImplemented),
            "norm: p='nuc' (the nuclear norm) is not supported yet");
  EXPECT_EQ(user_error([&] { op("norm", {x, str("abc")}); }), "linalg.matrix_norm: Order abc not supported.");
  EXPECT_EQ(user_error([&] { op("norm", {x, str("fro"), ints({0, 1, 2})}); }),
            "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2");
  EXPECT_EQ(user_error([&] { op("norm", {input("i", {2}, D::Int64)}); }),
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long");
}
