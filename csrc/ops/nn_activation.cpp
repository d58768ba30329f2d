// More activations (celu, selu, softsign, tanhshrink, softshrink, hardshrink, threshold, rrelu,
// softmin, prelu) and the shape-only pixel_shuffle/pixel_unshuffle. Each decomposes into
// elementwise prims in the computation dtype, NaN propagating as in torch's kernels.
#include <limits>
#include <numbers>
#include <sstream>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;


Value gt(const Value& a, double b) { return call("prims.gt", {a, num(b)}); }
Value expm1(const Value& x) { return call("prims.expm1", {x}); }

// x > 0 ? x : alpha * (exp(x / alpha) - 1), torch's elu kernel with input scale 1 / alpha
Value celu(const Value& x, const Args& a) {
  double alpha = nn::real(a, 1);
  THUNDER_CHECK(alpha != 0, Runtime, "ZeroDivisionError: alpha cannot be 0 for CELU");
  return where(gt(x, 0), x, expm1(x * (1.0 / alpha)) * alpha);
}

Value selu(const Value& x, const Args&) {
  constexpr double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
  return where(gt(x, 0), x * scale, expm1(x) * (alpha * scale));
}

Value softshrink(const Value& x, const Args& a) {
  double l = nn::real(a, 1);
  if (l < 0) {
    // c10 prints doubles with six significant digits
    DType t = a.tensor(0).dtype();
    double max = t == DType::Float64 ? std::numeric_limits<double>::max()
                 : t == DType::Float16 ? 65504.0
                 : t == DType::BFloat16 ? 3.3895313892515355e38
                                        : static_cast<double>(std::numeric_limits<float>::max());
    std::ostringstream m;
    m << "lambda must be in range [0, " << max << "] for input dtype " << dtype_c10_name(t) << ", but found " << l;
    throw UserError(ErrorKind::Runtime, m.str());
  }
  // x * 0 keeps NaN and the sign of zero, as torch's kernel
  return where(gt(x, l), x - l, where(lt(x, num(-l)), x + l, x * 0.0));
}

Value hardshrink(const Value& x, const Args& a) {
  double l = nn::real(a, 1);
  Value inside = call("prims.bitwise_and", {call("prims.ge", {x, num(-l)}), call("prims.le", {x, num(l)})});
  return where(inside, num(0.0), x);
}

Value threshold(const Args& a) {
  const Value& x = a.tensor(0);
  THUNDER_CHECK(x.dtype() != DType::Bool && !is_complex(x.dtype()), NotImplemented, "\"threshold\" not implemented for '",
                dtype_c10_name(x.dtype()), "'");
  nn::reject_inplace("threshold", a, 3);
  // torch compares and fills in the tensor's dtype: the numbers are cast to it first
  Value t = fill_value(a[1], x.dtype()), v = fill_value(a[2], x.dtype());
  return where(call("prims.le", {x, t}), v, x);
}

Value rrelu(const Args& a) {
  const Value& in = a.tensor(0);
  nn::reject_inplace("rrelu", a, 4);
  Value x = nn::floating_input("rrelu", in);
  // training draws random slopes from torch's generator: one opaque call, like dropout
  if (a.bool_(3)) return new_tensor(in.shape(), in.dtype(), in.meta().device);
  double slope = (nn::real(a, 1) + nn::real(a, 2)) / 2;
  return convert(where(call("prims.ge", {x, num(0)}), x, x * slope), in.dtype());
}

// softmax of -x, as torch writes it
Value softmin(const Args& a) {
  const Value& x = a.tensor(0);
  return call("softmax", {call("neg", {x}), a[1], a[3]});
}

Value prelu(const Args& a) {
  const Value& in = a.tensor(0);
  const Value& w = a.tensor(1);
  int64_t channels = in.rank() >= 2 ? in.shape()[1] : 1;
  THUNDER_CHECK(w.rank() <= 1, Runtime, "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = ", w.rank());
  int64_t n = numel(w.shape());
  THUNDER_CHECK(n == 1 || n == channels, Runtime, "Mismatch of parameter numbers and input channel size. Found parameter "
                "numbers = ", n, " and channel size = ", channels, ".");
  THUNDER_CHECK(in.rank() > 0 || n == 1, Runtime, "Not allow zero-dim input tensor.");
  THUNDER_CHECK(w.dtype() == in.dtype(), Runtime, "expected scalar type ", dtype_c10_name(in.dtype()), " but found ",
                dtype_c10_name(w.dtype()));
  common_device("prelu", {in, w});
  Value x = nn::floating_input("prelu", in);
  Shape s(x.rank(), 1);
  if (n > 1) s[1] = n;
  Value wx = broadcast_to(nn::reshape(convert(w, x.dtype()), x.rank() ? s : Shape{}), x.shape());
  return convert(where(gt(x, 0), x, wx * x), in.dtype());
}

// (*, C * r * r, H, W) <-> (*, C, H * r, W * r) by one reshape, one permute and one reshape
Value pixel_shuffle(const Args& a, bool shuffle) {
  const Value& x = a.tensor(0);
  std::string op = shuffle ? "pixel_shuffle" : "pixel_unshuffle";
  std::string what = shuffle ? "upscale_factor" : "downscale_factor";
  int64_t f = a.int_(1);
  THUNDER_CHECK(x.rank() >= 3, Runtime, op, " expects input to have at least 3 dimensions, but got input with ", x.rank(),
                " dimension(s)");
  THUNDER_CHECK(f > 0, Runtime, op, " expects a positive ", what, ", but got ", f);
  const Shape& s = x.shape();
  int64_t r = x.rank(), c = s[r - 3], h = s[r - 2], w = s[r - 1];
  Shape batch(s.begin(), s.end() - 3);
  int64_t nb = static_cast<int64_t>(batch.size());
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < nb; ++i) perm.push_back(i);
  Shape mid = batch, out = batch;
  if (shuffle) {
    THUNDER_CHECK(c % (f * f) == 0, Runtime, "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                  "square of upscale_factor, but input.size(-3)=", c, " is not divisible by ", f * f);
    mid.insert(mid.end(), {c / (f * f), f, f, h, w});
    for (int64_t i : {0, 3, 1, 4, 2}) perm.push_back(nb + i);
    out.insert(out.end(), {c / (f * f), h * f, w * f});
  } else {
    THUNDER_CHECK(h % f == 0, Runtime, "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=",
                  h, " is not divisible by ", f);
    THUNDER_CHECK(w % f == 0, Runtime, "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=",
                  w, " is not divisible by ", f);
    mid.insert(mid.end(), {c, h / f, f, w / f, f});
    for (int64_t i : {0, 2, 4, 1, 3}) perm.push_back(nb + i);
    out.insert(out.end(), {c * f * f, h / f, w / f});
  }
  Value y = permute(nn::reshape(x, mid), perm);
  return call("prims.reshape", {y, int_list(out)});
}

}  // namespace

void register_nn_activation(Registry& r) {
  using nn::activation;
  activation(r, "celu(input, alpha=1.0, inplace=False)", {"torch.nn.functional.celu", "torch.celu"}, celu, false);
  activation(r, "selu(input, inplace=False)", {"torch.nn.functional.selu", "torch.selu"}, selu, false);
  activation(r, "softshrink(input, lambd=0.5)", {"torch.nn.functional.softshrink", "torch._C._nn.softshrink"},
             softshrink, false);
  activation(r, "hardshrink(input, lambd=0.5)",
             {"torch.nn.functional.hardshrink", "torch.hardshrink", "torch.Tensor.hardshrink"}, hardshrink, false);
  // softsign and tanhshrink are Python compositions in torch (x / (|x| + 1), x - tanh(x)), so
  // integers promote to float as torch's division and tanh do
  r.add({.schema = "softsign(input)",
         .print_name = "torch.nn.functional.softsign",
         .torch_names = {"torch.nn.functional.softsign"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return call("div", {x, call("add", {call("abs", {x}), num(1)})});
         }});
  r.add({.schema = "tanhshrink(input)",
         .print_name = "torch.nn.functional.tanhshrink",
         .torch_names = {"torch.nn.functional.tanhshrink"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return call("sub", {x, call("tanh", {x})});
         }});
  r.add({.schema = "threshold(input, threshold, value, inplace=False)",
         .print_name = "torch.nn.functional.threshold",
         .torch_names = {"torch.nn.functional.threshold", "torch.threshold"},
         .fusion = FusionClass::Elementwise,
         .impl = threshold});
  r.add({.schema = "rrelu(input, lower=0.125, upper=0.3333333333333333, training=False, inplace=False)",
         .print_name = "torch.nn.functional.rrelu",
         .torch_names = {"torch.nn.functional.rrelu"},
         .fusion = FusionClass::Elementwise,
         .side_effect = true,  // while training it advances the generator (see random.cpp)
         .impl = rrelu});
  r.add({.schema = "softmin(input, dim=None, _stacklevel=3, dtype=None)",
         .print_name = "torch.nn.functional.softmin",
         .torch_names = {"torch.nn.functional.softmin"},
         .fusion = FusionClass::Reduction,
         .impl = softmin});
  r.add({.schema = "prelu(input, weight)",
         .print_name = "torch.nn.functional.prelu",
         .torch_names = {"torch.nn.functional.prelu", "torch.prelu", "torch.Tensor.prelu"},
         .fusion = FusionClass::Elementwise,
         .impl = prelu});
  r.add({.schema = "pixel_shuffle(input, upscale_factor)",
         .print_name = "torch.nn.functional.pixel_shuffle",
         .torch_names = {"torch.nn.functional.pixel_shuffle", "torch.pixel_shuffle"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) { return pixel_shuffle(a, true); }});
  r.add({.schema = "pixel_unshuffle(input, downscale_factor)",
         .print_name = "torch.nn.functional.pixel_unshuffle",
         .torch_names = {"torch.nn.functional.pixel_unshuffle", "torch.pixel_unshuffle"},
         .fusion = FusionClass::Shape,
         .impl = [](const Args& a) { return pixel_shuffle(a, false); }});
}

}  // namespace thunder::ops
