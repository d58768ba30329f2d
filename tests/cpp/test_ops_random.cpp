// Random ops: output metadata, side effects (nothing recorded inside, kept by DCE) and torch's
// error messages, with torch's results as expected values.
#include "helpers.h"
#include "transforms/passes.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

class Random : public TraceTest {
 protected:
  Value dtype(D t) { return Value::constant(t); }
  Value seq(std::vector<Value> v) { return Value::sequence(std::move(v)); }
};

TEST_F(Random, SamplersAreOpaqueSideEffects) {
  for (const char* name : {"rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "uniform",
                           "normal_functional", "bernoulli_functional", "random", "exponential", "dropout",
                           "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"}) {
    const Symbol& s = ops::op_table().at(name);
    EXPECT_TRUE(s.side_effect()) << name;
  }
  EXPECT_EQ(ops::op_table().at("uniform").inplace_names(), std::vector<std::string>{"torch.Tensor.uniform_"});
}

TEST_F(Random, FactoriesShapeDtypeDevice) {
  EXPECT_EQ(op("rand", {i(2), i(3)}).meta().str(), "cpu f32[2, 3]");
  EXPECT_EQ(op("randn", {seq({i(4)})}, {{"dtype", dtype(D::Float64)}}).meta().str(), "cpu f64[4]");
  EXPECT_EQ(op("randn", {i(2)}, {{"dtype", dtype(D::Complex64)}, {"device", Value::constant(std::string("cuda"))}})
                .meta().str(),
            "cuda:0 c64[2]");
  // randint(high, size), randint(low, high, size), randint(high, size=...)
  EXPECT_EQ(op("randint", {i(10), seq({i(3)})}).meta().str(), "cpu i64[3]");
  EXPECT_EQ(op("randint", {i(2), i(10), seq({i(3), i(1)})}, {{"dtype", dtype(D::Float32)}}).meta().str(),
            "cpu f32[3, 1]");
  EXPECT_EQ(op("randint", {i(5)}, {{"size", seq({i(2)})}}).meta().str(), "cpu i64[2]");
  EXPECT_EQ(op("randperm", {i(5)}).meta().str(), "cpu i64[5]");
  EXPECT_EQ(op("randperm", {i(0)}, {{"dtype", dtype(D::Float16)}}).meta().str(), "cpu f16[0]");
  EXPECT_EQ(op("normal", {f(0), f(1), seq({i(2), i(3)})}).meta().str(), "cpu f32[2, 3]");
}

TEST_F(Random, LikesAndTensorSamplers) {
  Value x = input("x", {2, 3}, D::BFloat16, "cuda:1");
  EXPECT_EQ(op("rand_like", {x}).meta().str(), "cuda:1 bf16[2, 3]");
  EXPECT_EQ(op("randn_like", {x}, {{"dtype", dtype(D::Float64)}}).meta().str(), "cuda:1 f64[2, 3]");
  EXPECT_EQ(op("randint_like", {x, i(5)}).meta().str(), "cuda:1 bf16[2, 3]");
  EXPECT_EQ(op("bernoulli", {x}).meta().str(), "cuda:1 bf16[2, 3]");
  EXPECT_EQ(op("uniform", {x, f(-1), f(1)}).meta().str(), "cuda:1 bf16[2, 3]");
  Value p = input("p", {4, 5}, D::Float32);
  EXPECT_EQ(op("multinomial", {p, i(3)}).meta().str(), "cpu i64[4, 3]");
  EXPECT_EQ(op("multinomial", {p, i(9), Value::constant(true)}).meta().str(), "cpu i64[4, 9]");
  // normal's overloads: broadcast tensors take the mean's dtype; a number mean takes the std's
  Value m = input("m", {4, 1, 3}, D::Float64);
  Value s = input("s", {2, 3}, D::Float32);
  EXPECT_EQ(op("normal", {m, s}).meta().str(), "cpu f64[4, 2, 3]");
  EXPECT_EQ(op("normal", {f(1), s}).meta().str(), "cpu f32[2, 3]");
  EXPECT_EQ(op("normal", {m}).meta().str(), "cpu f64[4, 1, 3]");
}

TEST_F(Random, OpaqueAndKeptByDeadCodeElimination) {
  Value x = input("x", {2, 3});
  op("rand_like", {x});  // unused: it still advances the generator
  op("dropout", {x, f(0.5)});
  builder.set_output(x);
  Trace t = transforms::dead_code_elimination(builder.finish());
  ASSERT_EQ(t.bound_symbols.size(), 2u);
  EXPECT_EQ(t.bound_symbols[0].sym->name(), "rand_like");
  EXPECT_TRUE(t.bound_symbols[0].subsymbols.empty());
  // CPU dropout decomposes as torch's CPU kernel computes it: the mask is an explicit draw
  const auto& drop = t.bound_symbols[1];
  ASSERT_EQ(drop.subsymbols.size(), 3u);
  EXPECT_EQ(drop.subsymbols[0].sym->name(), "bernoulli_functional");
  EXPECT_EQ(drop.subsymbols[1].sym->name(), "prims.div");
  EXPECT_EQ(drop.subsymbols[2].sym->name(), "prims.mul");
}

TEST_F(Random, FactoryErrors) {
  EXPECT_EQ(user_error([&] { op("rand", {i(2)}, {{"dtype", dtype(D::Int64)}}); }, ErrorKind::NotImplemented),
            "\"rand\" not implemented for 'Long'");
  EXPECT_EQ(user_error([&] { op("randn", {i(-1)}); }), "Trying to create tensor with negative dimension -1: [-1]");
  EXPECT_EQ(user_error([&] { op("rand", {i(2)}, {{"requires_grad", Value::constant(true)}}); }, ErrorKind::NotImplemented),
            "rand: requires_grad=True is not supported inside compiled code yet");
  EXPECT_EQ(user_error([&] { op("randint", {i(10), i(2), seq({i(3)})}); }),
            "random_ expects 'from' to be less than 'to', but got from=10 >= to=2");
  EXPECT_EQ(user_error([&] { op("randint", {i(300), seq({i(3)})}, {{"dtype", dtype(D::UInt8)}}); }),
            "to - 1 is out of bounds for unsigned char");
  EXPECT_EQ(user_error([&] { op("randint", {i(-1), i(3), seq({i(3)})}, {{"dtype", dtype(D::UInt8)}}); }),
            "from is out of bounds for unsigned char");
  EXPECT_EQ(user_error([&] { op("randint", {i(10), seq({i(3)})}, {{"dtype", dtype(D::Bool)}}); }),
            "to - 1 is out of bounds for bool");
  EXPECT_EQ(user_error([&] { op("randint", {f(1.5), seq({i(3)})}); }, ErrorKind::Type),
            "randint: expected 'high' to be an int, got float");
  EXPECT_EQ(user_error([&] { op("randperm", {i(257)}, {{"dtype", dtype(D::UInt8)}}); }),
            "value cannot be converted to type uint8_t without overflow");
  EXPECT_EQ(user_error([&] { op("randperm", {i(2050)}, {{"dtype", dtype(D::Float16)}}); }),
            "n cannot be greater than 2049 for Half type.");
  EXPECT_EQ(user_error([&] { op("randperm", {i(5)}, {{"dtype", dtype(D::Bool)}}); }, ErrorKind::NotImplemented),
            "\"randperm\" not implemented for 'Bool'");
}

TEST_F(Random, SamplerErrors) {
  Value x = input("x", {2, 3});
  Value n = input("n", {2, 3}, D::Int64);
  EXPECT_EQ(user_error([&] { op("rand_like", {n}); }, ErrorKind::NotImplemented),
            "\"rand_like\" not implemented for 'Long'");
  EXPECT_EQ(user_error([&] { op("bernoulli", {n}); }, ErrorKind::NotImplemented),
            "\"bernoulli\" not implemented for 'Long'");
  EXPECT_EQ(user_error([&] { op("bernoulli", {x, f(1.5)}); }), "bernoulli_ expects p to be in [0, 1], but got p=1.5");
  EXPECT_EQ(user_error([&] { op("multinomial", {x, i(4)}); }),
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  EXPECT_EQ(user_error([&] { op("multinomial", {x, i(0)}); }), "cannot sample n_sample <= 0 samples");
  EXPECT_EQ(user_error([&] { op("multinomial", {n, i(1)}); }),
            "multinomial only supports floating-point dtypes for input, got: Long");
  EXPECT_EQ(user_error([&] { op("multinomial", {input("s", {}), i(1)}); }), "prob_dist must be 1 or 2 dim");
  EXPECT_EQ(user_error([&] { op("normal", {x, f(-1)}); }), "normal expects std >= 0.0, but found std -1");
  EXPECT_EQ(user_error([&] { op("normal", {n, f(1)}); }, ErrorKind::NotImplemented),
            "\"normal\" not implemented for 'Long'");
  EXPECT_EQ(user_error([&] { op("normal", {x, input("s", {4})}); }),
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1");
  EXPECT_EQ(user_error([&] { op("rand", {i(2)}, {{"generator", i(0)}}); }, ErrorKind::NotImplemented),
            "rand: generator= is not supported yet; compiled code draws from torch's default generator (seed it with "
            "torch.manual_seed)");
}

TEST_F(Random, FillErrors) {
  Value x = input("x", {2, 3});
  Value h = input("h", {2}, D::Float16);
  Value n = input("n", {2, 3}, D::Int64);
  EXPECT_EQ(user_error([&] { op("uniform", {x, i(2), i(1)}); }),
            "uniform_ expects to return a [from, to) range, but found from=2 > to=1");
  EXPECT_EQ(user_error([&] { op("uniform", {h, i(-70000), i(1)}); }), "from is out of bounds for c10::Half");
  EXPECT_EQ(user_error([&] { op("uniform", {h, i(-60000), i(60000)}); }),
            "uniform_ expects to-from <= std::numeric_limits<Half>::max(), but found to=60000 and from=-60000 which "
            "result in to-from to exceed the limit");
  EXPECT_EQ(user_error([&] { op("uniform", {n}); }, ErrorKind::NotImplemented), "\"uniform_\" not implemented for 'Long'");
  EXPECT_EQ(user_error([&] { op("normal_functional", {x, i(0), i(-1)}); }), "normal expects std >= 0.0, but found std -1");
  EXPECT_EQ(user_error([&] { op("random", {x, i(5), i(2)}); }),
            "random_ expects 'from' to be less than 'to', but got from=5 >= to=2");
  EXPECT_EQ(user_error([&] { op("random", {input("b", {2}, D::Bool), i(3)}); }), "to - 1 is out of bounds for bool");
  EXPECT_EQ(user_error([&] { op("random", {input("i", {2}, D::Int32), i(int64_t{1} << 32)}); }),
            "to - 1 is out of bounds for int");
  EXPECT_EQ(user_error([&] { op("exponential", {x, i(-1)}); }), "exponential_ expects lambda > 0.0, but found lambda=-1");
  EXPECT_EQ(user_error([&] { op("exponential", {n}); }),
            "Exponential distribution is a continuous probability distribution. dtype must be a floating point but "
            "you specified Long");
  EXPECT_EQ(user_error([&] { op("bernoulli_functional", {x, input("p", {4})}); }),
            "The expanded size of the tensor (3) must match the existing size (4) at non-singleton dimension 1.  Target "
            "sizes: [2, 3].  Tensor sizes: [4]");
}

TEST_F(Random, DropoutIdentityAndErrors) {
  Value x = input("x", {2, 3, 4});
  Value n = input("n", {2, 3}, D::Int64);
  // eval and p = 0 are the identity (an alias); training draws (opaque, nothing recorded inside)
  EXPECT_EQ(op("dropout", {x, f(0.5), Value::constant(false)}).meta().str(), "cpu f32[2, 3, 4]");
  EXPECT_EQ(op("dropout", {n, f(0.5), Value::constant(false)}).dtype(), D::Int64);
  EXPECT_EQ(op("dropout", {n, f(1.0)}).dtype(), D::Int64);  // torch multiplies by zero
  EXPECT_EQ(op("dropout1d", {x, f(0.5)}).meta().str(), "cpu f32[2, 3, 4]");
  EXPECT_EQ(user_error([&] { op("dropout", {x, f(1.5)}); }, ErrorKind::Value),
            "dropout probability has to be between 0 and 1, but got 1.5");
  EXPECT_EQ(user_error([&] { op("dropout", {n, f(0.5)}); }), "result type Float can't be cast to the desired output type Long");
  EXPECT_EQ(user_error([&] { op("alpha_dropout", {n, f(0.5), Value::constant(true)}); }),
            "result type Float can't be cast to the desired output type Long");
  EXPECT_EQ(user_error([&] { op("dropout1d", {input("y", {2, 3, 4, 5}), f(0.5)}); }),
            "dropout1d: Expected 2D or 3D input, but received a 4D input. Note that dropout1d exists to provide "
            "channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs).");
}
