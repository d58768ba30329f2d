// Meta rules of the nn family: output shapes and dtypes, and the messages for bad inputs (torch's
// text where torch has one, checked against torch 2.13).
#include "helpers.h"

using namespace thunder;
using namespace thunder::testing;
using D = DType;

namespace {

Value s(const char* v) { return Value::constant(std::string(v)); }
Value none() { return Value::none(); }
Value b(bool v) { return Value::constant(v); }
Value ints(std::vector<int64_t> v) { return ops::int_list(v); }
Value dt(D t) { return Value::constant(t); }

}  // namespace

class NnOps : public TraceTest {};

TEST_F(NnOps, Softmax) {
  Value h = input("h", {2, 3}, D::Float16);
  EXPECT_EQ(op("softmax", {h, i(1)}).dtype(), D::Float16);
  EXPECT_EQ(op("log_softmax", {h, i(-1), dt(D::Float32)}).dtype(), D::Float32);
  EXPECT_EQ(op("softmax", {input("n", {2, 3}, D::Int64), i(1)}, {{"dtype", dt(D::Float64)}}).dtype(), D::Float64);
  EXPECT_EQ(op("softmax", {input("z", {})}, {{"dim", i(0)}}).shape(), Shape{});
  EXPECT_EQ(user_error([&] { op("softmax", {input("i", {2}, D::Int32), i(0)}); }, ErrorKind::NotImplemented),
            "softmax: expected a floating-point tensor, got int32");
  EXPECT_EQ(user_error([&] { op("softmax", {h, i(2)}); }, ErrorKind::Index),
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
}

TEST_F(NnOps, LayerNormAndRmsNorm) {
  Value x = input("x", {2, 3, 4}, D::BFloat16);
  EXPECT_EQ(op("layer_norm", {x, ints({4}), input("w", {4}), input("b", {4})}).dtype(), D::BFloat16);
  Value f = input("f", {2, 3});
  EXPECT_EQ(user_error([&] { op("layer_norm", {f, ints({2})}); }),
            "Given normalized_shape=[2], expected input with shape [*, 2], but got input of size[2, 3]");
  EXPECT_EQ(user_error([&] { op("layer_norm", {f, ints({3}), input("w2", {2})}); }),
            "Expected weight to be of same shape as normalized_shape, but got weight of shape [2] and "
            "normalized_shape = [3]");
  EXPECT_EQ(user_error([&] { op("layer_norm", {f, ints({})}); }),
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got "
            "normalized_shape = []");
  EXPECT_EQ(user_error([&] { op("layer_norm", {f, ints({3}), input("w3", {3}, D::Float64)}); }),
            "layer_norm: expected weight and bias to have the input's dtype (float32), got float64");
  EXPECT_EQ(op("layer_norm", {x, ints({4}), input("wh", {4}, D::BFloat16)}).dtype(), D::BFloat16);
  EXPECT_EQ(user_error([&] { op("layer_norm", {input("l", {2}, D::Int64), ints({2})}); }, ErrorKind::NotImplemented),
            "layer_norm: expected a floating-point tensor, got int64");
  // rms_norm keeps the input's dtype whatever the weight's
  EXPECT_EQ(op("rms_norm", {f, ints({3}), input("wd", {3}, D::Float64)}).dtype(), D::Float32);
  EXPECT_EQ(user_error([&] { op("rms_norm", {input("r", {2, 3, 4}), ints({2, 4})}); }),
            "Given normalized_shape=[2, 4], expected input with shape [*2, 4], but got input of size[2, 3, 4]");
}

TEST_F(NnOps, GroupNormAndBatchNorm) {
  Value x = input("x", {2, 4, 3});
  EXPECT_EQ(op("group_norm", {x, i(2)}).shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(user_error([&] { op("group_norm", {x, i(3)}); }),
            "Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 4, 3] and "
            "num_groups=3");
  EXPECT_EQ(user_error([&] { op("group_norm", {x, i(2), input("w", {3})}); }),
            "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape "
            "[3] and input of shape [2, 4, 3]");
  EXPECT_EQ(user_error([&] { op("group_norm", {input("v", {4}), i(2)}); }),
            "Expected at least 2 dimensions for input tensor but received 1");

  Value m = input("m", {4}), v = input("var", {4});
  EXPECT_EQ(op("batch_norm", {x, m, v}).shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(op("batch_norm", {x, none(), none()}, {{"training", b(true)}}).shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(user_error([&] { op("batch_norm", {x, none(), none()}); }), "running_mean must be defined in evaluation mode");
  EXPECT_EQ(user_error([&] { op("batch_norm", {x, m, input("v3", {3})}); }), "running_var should contain 4 elements not 3");
  // training with running stats: the output and the new stats, which the frontend writes back
  Value updated = op("batch_norm", {x, m, v}, {{"training", b(true)}});
  ASSERT_EQ(updated.items().size(), 3u);
  EXPECT_EQ(updated.items()[0].shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(updated.items()[2].shape(), (Shape{4}));
  EXPECT_EQ(user_error([&] { op("batch_norm", {x, m, none()}, {{"training", b(true)}}); }, ErrorKind::NotImplemented),
            "batch_norm: training=True with only one of running_mean and running_var is not supported; pass both or "
            "neither");
  EXPECT_EQ(user_error([&] { op("batch_norm", {input("one", {1, 4}), none(), none()}, {{"training", b(true)}}); },
                       ErrorKind::Value),
            "Expected more than 1 value per channel when training, got input size torch.Size([1, 4])");
  EXPECT_EQ(user_error([&] { op("batch_norm", {input("h", {2, 4}, D::Float16), m, input("vh", {4}, D::Float16)}); }),
            "batch_norm: expected weight, bias and running stats to have the input's dtype (float16) or all float32, "
            "got float32, float16");
}

TEST_F(NnOps, Normalize) {
  EXPECT_EQ(op("normalize", {input("x", {3, 4}, D::Float16)}).dtype(), D::Float16);
  EXPECT_EQ(user_error([&] { op("normalize", {input("i", {3, 4}, D::Int64)}); }),
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long");
}

TEST_F(NnOps, Activations) {
  Value h = input("h", {2, 3}, D::BFloat16);
  for (const char* name : {"silu", "mish", "hardswish", "hardsigmoid", "elu", "leaky_relu", "softplus", "logsigmoid"})
    EXPECT_EQ(op(name, {h}).dtype(), D::BFloat16) << name;
  EXPECT_EQ(user_error([&] { op("silu", {input("i", {2}, D::Int64)}); }, ErrorKind::NotImplemented),
            "silu: expected a floating-point tensor, got int64");
  EXPECT_EQ(user_error([&] { op("elu", {h}, {{"inplace", b(true)}}); }, ErrorKind::NotImplemented),
            "elu: inplace=True is not supported yet");
  EXPECT_EQ(op("hardtanh", {input("n", {3}, D::Int32), f(-1.5), f(2.5)}).dtype(), D::Int32);
  EXPECT_EQ(user_error([&] { op("hardtanh", {h, f(2), f(1)}); }, ErrorKind::Value), "min_val cannot be greater than max_val");
  EXPECT_EQ(user_error([&] { op("hardtanh", {input("u", {3}, D::UInt8)}); }),
            "cannot do hardtanh on an unsigned type with negative limits");
  EXPECT_EQ(user_error([&] { op("relu6", {input("b", {3}, D::Bool)}); }), "Bool inputs not supported for hardtanh");
  EXPECT_EQ(op("glu", {input("g", {4, 6})}).shape(), (Shape{4, 3}));
  EXPECT_EQ(user_error([&] { op("glu", {input("o", {2, 3}), i(1)}); }),
            "Halving dimension must be even, but dimension 1 is size 3");
  EXPECT_EQ(user_error([&] { op("glu", {input("z", {}), i(0)}); }),
            "glu does not support scalars because halving size must be even");
}

TEST_F(NnOps, EmbeddingAndOneHot) {
  Value w = input("w", {10, 4}, D::Float16);
  EXPECT_EQ(op("embedding", {input("i", {2, 3}, D::Int64), w}).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(op("embedding", {input("s", {}, D::Int32), w}).shape(), (Shape{4}));
  EXPECT_EQ(user_error([&] { op("embedding", {input("f", {2}), w}); }),
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
            "torch.FloatTensor instead (while checking arguments for embedding)");
  EXPECT_EQ(user_error([&] { op("embedding", {input("j", {2}, D::Int64), input("v", {3})}); }), "'weight' must be 2-D");
  EXPECT_EQ(user_error([&] { op("embedding", {input("k", {2}, D::Int64), w}, {{"padding_idx", i(10)}}); },
                       ErrorKind::Value),
            "Padding_idx must be within num_embeddings");
  EXPECT_EQ(user_error([&] { op("embedding", {input("l", {2}, D::Int64), w}, {{"max_norm", f(1.0)}}); },
                       ErrorKind::NotImplemented),
            "embedding: max_norm renormalizes the weight in place, which is not supported yet");

  Value t = input("t", {2, 3}, D::Int64);
  Value oh = op("one_hot", {t, i(5)});
  EXPECT_EQ(oh.shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(oh.dtype(), D::Int64);
  EXPECT_EQ(user_error([&] { op("one_hot", {t}); }, ErrorKind::NotImplemented),
            "one_hot: num_classes=-1 takes the number of classes from the tensor's values, which are not known while "
            "tracing; pass num_classes explicitly");
  EXPECT_EQ(user_error([&] { op("one_hot", {t, i(0)}); }), "one_hot: expected num_classes to be positive, got 0");
  EXPECT_EQ(user_error([&] { op("one_hot", {input("u", {2}, D::Int32), i(3)}); }),
            "one_hot is only applicable to index tensor of type LongTensor.");
}

TEST_F(NnOps, CrossEntropyAndNllLoss) {
  Value x = input("x", {4, 5});
  Value t = input("t", {4}, D::Int64);
  EXPECT_EQ(op("cross_entropy", {x, t}).shape(), Shape{});
  EXPECT_EQ(op("cross_entropy", {x, t}, {{"reduction", s("none")}}).shape(), (Shape{4}));
  EXPECT_EQ(op("cross_entropy", {input("h", {4, 5}, D::Float16), t}).dtype(), D::Float16);
  // class probabilities promote with the input
  EXPECT_EQ(op("cross_entropy", {x, input("p", {4, 5}, D::Float64)}).dtype(), D::Float64);
  EXPECT_EQ(op("cross_entropy", {input("x3", {4, 5, 2}), input("t3", {4, 2}, D::Int64)}, {{"reduction", s("none")}}).shape(),
            (Shape{4, 2}));
  EXPECT_EQ(user_error([&] { op("cross_entropy", {x, input("ti", {4}, D::Int32)}); }),
            "expected target dtype to be Long or Byte, but got Int");
  EXPECT_EQ(user_error([&] { op("cross_entropy", {x, input("ts", {3}, D::Int64)}); }, ErrorKind::Value),
            "Expected input batch_size (4) to match target batch_size (3).");
  EXPECT_EQ(user_error([&] { op("cross_entropy", {x, t, input("w", {4})}); }),
            "weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: [4]");
  EXPECT_EQ(user_error([&] { op("cross_entropy", {x, t, input("wd", {5}, D::Float64)}); }),
            "expected scalar type Float but found Double");
  EXPECT_EQ(user_error([&] { op("cross_entropy", {x, t}, {{"reduction", s("bad")}}); }, ErrorKind::Value),
            "bad is not a valid value for reduction");
  EXPECT_EQ(user_error([&] { op("cross_entropy", {x, t}, {{"label_smoothing", f(1.5)}}); }),
            "label_smoothing must be between 0.0 and 1.0. Got: 1.5");
  EXPECT_EQ(user_error([&] { op("cross_entropy", {x, input("pp", {4, 5})}, {{"ignore_index", i(1)}}); }),
            "ignore_index is not supported for floating point target");
  EXPECT_EQ(user_error([&] { op("cross_entropy", {input("x4", {4, 5, 2}), t}); }), "Expected target size [4, 2], got [4]");
  EXPECT_EQ(user_error([&] { op("nll_loss", {x, input("t2", {4, 5})}); }),
            "expected target dtype to be Long or Byte, but got Float");
  EXPECT_EQ(user_error([&] { op("nll_loss", {input("v", {5}), input("tv", {5}, D::Int64)}); }, ErrorKind::Value),
            "For 1D input, 1D target must have size 1, but got target size: 5");
  EXPECT_EQ(op("nll_loss", {x, t}, {{"size_average", b(false)}}).shape(), Shape{});
}

TEST_F(NnOps, PointwiseLosses) {
  Value x = input("x", {3, 4}, D::Float16);
  EXPECT_EQ(op("mse_loss", {x, input("y", {3, 4})}).dtype(), D::Float32);
  EXPECT_EQ(op("mse_loss", {x, input("b", {4}, D::Float16)}, {{"reduction", s("none")}}).shape(), (Shape{3, 4}));
  EXPECT_EQ(user_error([&] { op("mse_loss", {input("i", {2}, D::Int64), input("j", {2}, D::Int64)}); },
                       ErrorKind::NotImplemented),
            "mse_loss: expected floating-point tensors, got int64");
  EXPECT_EQ(user_error([&] { op("mse_loss", {x, x}, {{"weight", input("w", {4}, D::Float16)}}); }, ErrorKind::Value),
            "Weights and input must have the same size.");
  EXPECT_EQ(op("l1_loss", {input("k", {2}, D::Int64), input("l", {2}, D::Int64)}, {{"reduction", s("sum")}}).dtype(),
            D::Int64);
  EXPECT_EQ(user_error([&] { op("smooth_l1_loss", {x, x}, {{"beta", f(-1.0)}}); }),
            "smooth_l1_loss does not support negative values for beta.");

  Value p = input("p", {4, 5});
  EXPECT_EQ(user_error([&] { op("binary_cross_entropy", {p, input("q", {5})}); }, ErrorKind::Value),
            "Using a target size (torch.Size([5])) that is different to the input size (torch.Size([4, 5])) is "
            "deprecated. Please ensure they have the same size.");
  EXPECT_EQ(user_error([&] { op("binary_cross_entropy", {p, input("qd", {4, 5}, D::Float64)}); }),
            "Found dtype Double but expected Float");
  // the loss takes the target's dtype: torch computes in place on (1 - target)
  EXPECT_EQ(op("binary_cross_entropy_with_logits", {input("xd", {4, 5}, D::Float64), p}).dtype(), D::Float32);
  EXPECT_EQ(user_error([&] { op("binary_cross_entropy_with_logits", {p, input("tl", {4, 5}, D::Int64)}); }),
            "result type Float can't be cast to the desired output type Long");
  EXPECT_EQ(user_error([&] { op("binary_cross_entropy_with_logits", {p, p}, {{"weight", input("w3", {2, 4, 5})}}); }),
            "output with shape [4, 5] doesn't match the broadcast shape [2, 4, 5]");
  EXPECT_EQ(user_error([&] { op("binary_cross_entropy_with_logits", {p, input("q5", {5})}); }, ErrorKind::Value),
            "Target size (torch.Size([5])) must be the same as input size (torch.Size([4, 5]))");
}

TEST_F(NnOps, ConvolutionShapes) {
  Value x = input("x", {2, 3, 8, 8});
  EXPECT_EQ(op("conv2d", {x, input("w", {4, 3, 3, 3})}).shape(), (Shape{2, 4, 6, 6}));
  EXPECT_EQ(op("conv2d", {x, input("w2", {4, 3, 2, 2})}, {{"padding", s("same")}}).shape(), (Shape{2, 4, 8, 8}));
  EXPECT_EQ(op("conv2d", {x, input("w3", {6, 1, 3, 3})}, {{"stride", i(2)}, {"padding", i(1)}, {"groups", i(3)}}).shape(),
            (Shape{2, 6, 4, 4}));
  EXPECT_EQ(op("conv2d", {input("u", {3, 8, 8}), input("w4", {4, 3, 3, 3})}, {{"dilation", ints({2, 1})}}).shape(),
            (Shape{4, 4, 6}));
  EXPECT_EQ(op("conv1d", {input("y", {2, 3, 8}), input("w5", {4, 3, 2})}, {{"padding", s("same")}}).shape(),
            (Shape{2, 4, 8}));
  EXPECT_EQ(op("conv_transpose2d", {input("t", {1, 3, 8, 8}), input("w6", {3, 4, 3, 3})},
               {{"stride", i(2)}, {"output_padding", i(1)}})
                .shape(),
            (Shape{1, 4, 18, 18}));
  EXPECT_EQ(op("conv_transpose2d", {input("tu", {3, 8, 8}), input("w7", {3, 2, 3, 3})}, {{"groups", i(1)}}).shape(),
            (Shape{2, 10, 10}));
}

TEST_F(NnOps, ConvolutionErrors) {
  Value x = input("x", {1, 5, 8, 8});
  Value w = input("w", {4, 3, 3, 3});
  EXPECT_EQ(user_error([&] { op("conv2d", {input("v", {2, 3}), w}); }),
            "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]");
  EXPECT_EQ(user_error([&] { op("conv2d", {x, w}); }),
            "Given groups=1, weight of size [4, 3, 3, 3], expected input[1, 5, 8, 8] to have 3 channels, but got 5 "
            "channels instead");
  EXPECT_EQ(user_error([&] { op("conv2d", {input("x6", {1, 6, 8, 8}), input("w3", {3, 3, 3, 3})}, {{"groups", i(2)}}); }),
            "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[3, 3, 3, 3]] "
            "instead");
  Value x3 = input("x3", {1, 3, 8, 8});
  EXPECT_EQ(user_error([&] { op("conv2d", {x3, w, input("b", {3})}); }),
            "Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, but got bias of size "
            "[3] instead");
  EXPECT_EQ(user_error([&] { op("conv2d", {x3, input("wd", {4, 3, 3, 3}, D::Float64)}); }),
            "expected scalar type Float but found Double");
  EXPECT_EQ(user_error([&] { op("conv2d", {x3, w, input("bd", {4}, D::Float64)}); }),
            "Input type (float) and bias type (double) should be the same");
  EXPECT_EQ(user_error([&] { op("conv2d", {input("s", {1, 3, 2, 2}), w}); }),
            "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater "
            "than actual input size");
  EXPECT_EQ(user_error([&] { op("conv2d", {x3, w}, {{"stride", ints({1, 1, 1})}}); }),
            "expected stride to be a single integer value or a list of 2 values to match the convolution dimensions, "
            "but got stride=[1, 1, 1]");
  EXPECT_EQ(user_error([&] { op("conv2d", {x3, w}, {{"padding", s("foo")}}); }), "Invalid padding string: 'foo'");
  EXPECT_EQ(user_error([&] { op("conv2d", {x3, w}, {{"padding", s("same")}, {"stride", i(2)}}); }),
            "padding='same' is not supported for strided convolutions");
  EXPECT_EQ(user_error([&] { op("conv2d", {x3, w}, {{"dilation", i(0)}}); }),
            "dilation should be greater than zero, but got [0, 0]");
  EXPECT_EQ(user_error([&] { op("conv_transpose2d", {x3, input("wt", {3, 4, 3, 3})}, {{"output_padding", i(1)}}); }),
            "output padding must be smaller than either stride or dilation, but got output_padding_height: 1 "
            "output_padding_width: 1 stride_height: 1 stride_width: 1 dilation_height: 1 dilation_width: 1");
  EXPECT_EQ(user_error([&] { op("conv_transpose2d", {input("t1", {1, 3, 1, 1}), input("wt2", {3, 4, 3, 3})},
                                {{"padding", i(3)}}); }),
            "Given input size per channel: (1 x 1). Calculated output size per channel: (-3 x -3). Output size is too "
            "small");
  EXPECT_EQ(user_error([&] { op("conv2d", {input("bb", {1, 3, 4, 4}, D::Bool), input("wb", {4, 3, 3, 3}, D::Bool)}); },
                       ErrorKind::NotImplemented),
            "conv2d: expected floating-point or integer tensors, got bool");
}

TEST_F(NnOps, Pooling) {
  Value x = input("x", {1, 5, 8, 8});
  EXPECT_EQ(op("max_pool2d", {x, i(3)}).shape(), (Shape{1, 5, 2, 2}));
  EXPECT_EQ(op("max_pool2d", {input("y", {2, 3, 7, 5}), i(3)}, {{"stride", i(2)}, {"padding", i(1)}, {"ceil_mode", b(true)}})
                .shape(),
            (Shape{2, 3, 4, 3}));
  EXPECT_EQ(op("avg_pool2d", {input("z", {5, 8, 8}), ints({2, 3})}).shape(), (Shape{5, 4, 2}));
  EXPECT_EQ(user_error([&] { op("max_pool2d", {x, i(3)}, {{"padding", i(2)}}); }),
            "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1");
  EXPECT_EQ(user_error([&] { op("max_pool2d", {input("n", {1, 1, 9, 9}), i(3)}, {{"padding", i(2)}, {"dilation", i(2)}}); }),
            "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 3, kH = 3");
  EXPECT_EQ(user_error([&] { op("max_pool2d", {x, i(9)}); }),
            "Given input size: (5x8x8). Calculated output size: (5x0x0). Output size is too small");
  EXPECT_EQ(user_error([&] { op("max_pool2d", {x, ints({2, 2, 2})}); }),
            "max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
  EXPECT_EQ(user_error([&] { op("max_pool2d", {input("v", {5, 8}), i(2)}); }),
            "non-empty 3D or 4D (batch mode) tensor expected for input");
  EXPECT_EQ(user_error([&] { op("max_pool2d", {x, i(0)}); }), "stride should not be zero");
  Value with_indices = op("max_pool2d", {x, i(2)}, {{"return_indices", b(true)}});
  ASSERT_EQ(with_indices.items().size(), 2u);
  EXPECT_EQ(with_indices.items()[1].shape(), (Shape{1, 5, 4, 4}));
  EXPECT_EQ(with_indices.items()[1].dtype(), D::Int64);
  EXPECT_EQ(user_error([&] { op("avg_pool2d", {x, i(2)}, {{"divisor_override", i(0)}}); }), "divisor must be not zero");

  EXPECT_EQ(op("adaptive_avg_pool2d", {x, Value::sequence({i(3), none()})}).shape(), (Shape{1, 5, 3, 8}));
  EXPECT_EQ(op("adaptive_avg_pool2d", {input("w", {5, 8, 8}), i(2)}).shape(), (Shape{5, 2, 2}));
  EXPECT_EQ(user_error([&] { op("adaptive_avg_pool2d", {x, ints({-1, 2})}); }),
            "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {-1, 2}");
  EXPECT_EQ(user_error([&] { op("adaptive_avg_pool2d", {input("e", {1, 5, 0, 8}), i(2)}); }),
            "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
            "[1, 5, 0, 8] with dimension 2 being empty");
}

TEST_F(NnOps, Interpolate) {
  Value x = input("x", {1, 5, 8, 8});
  EXPECT_EQ(op("interpolate", {x}, {{"size", i(3)}}).shape(), (Shape{1, 5, 3, 3}));
  EXPECT_EQ(op("interpolate", {input("y", {1, 2, 5, 5})}, {{"scale_factor", f(1.5)}}).shape(), (Shape{1, 2, 7, 7}));
  EXPECT_EQ(op("interpolate", {x}, {{"scale_factor", Value::sequence({f(1.5), f(0.5)})}, {"mode", s("bilinear")}}).shape(),
            (Shape{1, 5, 12, 4}));
  EXPECT_EQ(user_error([&] { op("interpolate", {x}, {{"size", i(3)}, {"scale_factor", f(2.0)}}); }, ErrorKind::Value),
            "only one of size or scale_factor should be defined");
  EXPECT_EQ(user_error([&] { op("interpolate", {x}, {{"size", i(3)}, {"align_corners", b(true)}}); }, ErrorKind::Value),
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear");
  EXPECT_EQ(user_error([&] { op("interpolate", {x}, {{"size", i(3)}, {"mode", s("linear")}}); }, ErrorKind::NotImplemented),
            "Got 4D input, but linear mode needs 3D input");
  EXPECT_EQ(user_error([&] { op("interpolate", {x}, {{"scale_factor", f(0.01)}}); }),
            "Input and output sizes should be greater than 0, but got input (H: 8, W: 8) output (H: 0, W: 0)");
  EXPECT_EQ(user_error([&] { op("interpolate", {x}, {{"size", Value::sequence({i(3)})}}); }, ErrorKind::Value),
            "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of "
            "[8, 8] and output size of (3,). Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
            "size in (o1, o2, ...,oK) format.");
}

TEST_F(NnOps, ScaledDotProductAttention) {
  Value q = input("q", {2, 4, 5, 8}), k = input("k", {2, 4, 6, 8}), v = input("v", {2, 4, 6, 3});
  EXPECT_EQ(op("scaled_dot_product_attention", {q, k, v}).shape(), (Shape{2, 4, 5, 3}));
  Value k2 = input("k2", {2, 2, 6, 8}), v2 = input("v2", {2, 2, 6, 3});
  EXPECT_EQ(op("scaled_dot_product_attention", {q, k2, v2}, {{"enable_gqa", b(true)}}).shape(), (Shape{2, 4, 5, 3}));
  EXPECT_EQ(op("scaled_dot_product_attention", {input("q3", {4, 5, 8}), k, v}).shape(), (Shape{2, 4, 5, 3}));
  EXPECT_EQ(user_error([&] { op("scaled_dot_product_attention", {q, input("kd", {2, 4, 6, 8}, D::Float64), v}); }),
            "Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: double and "
            "value.dtype: float instead.");
  EXPECT_EQ(user_error([&] { op("scaled_dot_product_attention", {q, k, v, input("m", {5, 6}, D::Int64)}); }),
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: long int "
            "and  query.dtype: float instead.");
  EXPECT_EQ(user_error([&] { op("scaled_dot_product_attention", {q, k, v, input("mf", {5, 6})}, {{"is_causal", b(true)}}); }),
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  EXPECT_EQ(user_error([&] { op("scaled_dot_product_attention", {q, k, v}, {{"dropout_p", f(0.5)}}); },
                       ErrorKind::NotImplemented),
            "scaled_dot_product_attention: dropout_p > 0 needs rng='philox' (thunder.jit(f, rng='philox')), got "
            "dropout_p=0.5");
  EXPECT_EQ(user_error([&] {
              op("scaled_dot_product_attention", {q, input("k3", {2, 3, 6, 8}), input("v3", {2, 3, 6, 3})},
                 {{"enable_gqa", b(true)}});
            }),
            "Number of heads in key and value must divide the number of heads in ");
  EXPECT_EQ(user_error([&] { op("scaled_dot_product_attention", {input("q1", {8}), k, v}); }),
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 key.dim: 4 and "
            "value.dim: 4 instead.");
}

TEST_F(NnOps, DecompositionsVerify) {
  Value x = input("x", {4, 6}, D::BFloat16);
  Value t = input("t", {4}, D::Int64);
  Value y = op("layer_norm", {op("silu", {x}), ints({6})});
  y = op("glu", {op("log_softmax", {y, i(1)})});
  Value loss = op("cross_entropy", {y, t}, {{"label_smoothing", f(0.1)}});
  Value img = op("conv2d", {input("img", {1, 2, 5, 5}), input("w", {3, 2, 2, 2})}, {{"padding", s("same")}});
  builder.set_output(Value::sequence({loss, op("max_pool2d", {img, i(2)}), op("one_hot", {t, i(3)})}));
  Trace tr = builder.finish();
  verify(tr);
}
