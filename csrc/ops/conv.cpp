// Convolutions: prims.convolution (an opaque library call with torch.convolution's semantics, on
// batched inputs with explicit padding) and the torch-level conv1d/2d/3d and conv_transpose1d/2d/3d,
// which check their arguments with torch's messages and normalize them for the prim.
#include <algorithm>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

std::string joined(const std::vector<int64_t>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

// Output sizes per spatial dim, the rule torch's convolution shape check uses.
Shape conv_output(const Shape& in, const Shape& w, const std::vector<int64_t>& stride, const std::vector<int64_t>& pad,
                  const std::vector<int64_t>& dil, bool transposed, const std::vector<int64_t>& out_pad, int64_t groups) {
  Shape out = {in[0], transposed ? w[1] * groups : w[0]};
  for (size_t i = 0; i < stride.size(); ++i) {
    int64_t k = w[i + 2], x = in[i + 2];
    out.push_back(transposed ? (x - 1) * stride[i] - 2 * pad[i] + dil[i] * (k - 1) + out_pad[i] + 1
                             : (x + 2 * pad[i] - dil[i] * (k - 1) - 1) / stride[i] + 1);
  }
  return out;
}

Value convolution_meta(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& w = a.tensor(1);
  std::vector<int64_t> stride = a.int_list(3), pad = a.int_list(4), dil = a.int_list(5), out_pad = a.int_list(7);
  size_t k = stride.size();
  THUNDER_ASSERT(x.rank() == w.rank() && static_cast<size_t>(x.rank()) == k + 2 && pad.size() == k && dil.size() == k &&
                     out_pad.size() == k && x.dtype() == w.dtype(),
                 "prims.convolution: expected batched operands of one dtype and one parameter per spatial dim");
  Shape out = conv_output(x.shape(), w.shape(), stride, pad, dil, a.bool_(6), out_pad, a.int_(8));
  for (int64_t d : out) THUNDER_ASSERT(d >= 0, "prims.convolution: negative output size");
  return new_tensor(out, x.dtype(), x.meta().device);
}

// One of stride, padding, dilation, output_padding: an int or one value per spatial dim.
std::vector<int64_t> conv_param(const Args& a, size_t i, size_t k) {
  std::vector<int64_t> v = nn::int_tuple(a, i, k);
  if (v.size() == 1) v.assign(k, v[0]);
  const std::string& name = a.symbol().params()[i].name;
  THUNDER_CHECK(v.size() == k, Runtime, "expected ", name, " to be a single integer value or a list of ", k,
                " values to match the convolution dimensions, but got ", name, "=", nn::list_str(v));
  return v;
}

// convNd and conv_transposeNd over k spatial dims.
Value conv(const Args& a, size_t k, bool transposed) {
  const std::string& op = a.symbol().name();
  const Value& in = a.tensor(0);
  const Value& w = a.tensor(1);
  std::optional<Value> bias = a.opt_tensor(2);
  int64_t rank = static_cast<int64_t>(k) + 2;
  THUNDER_CHECK(in.rank() == rank - 1 || in.rank() == rank, Runtime, "Expected ", rank - 1, "D (unbatched) or ", rank,
                "D (batched) input to ", op, ", but got input of size: ", shape_str(in.shape()));
  THUNDER_CHECK(w.rank() == rank, Runtime, op, ": expected a ", rank, "-D weight, got ", shape_str(w.shape()));
  // conv: (input, weight, bias, stride, padding, dilation, groups)
  // conv_transpose: (input, weight, bias, stride, padding, output_padding, groups, dilation)
  std::vector<int64_t> stride = conv_param(a, 3, k), dil = conv_param(a, transposed ? 7 : 5, k);
  std::vector<int64_t> out_pad = transposed ? conv_param(a, 5, k) : std::vector<int64_t>(k, 0);
  int64_t groups = a.int_(6);

  // padding='same' pads d * (k - 1) in total, the extra element (when odd) at the end
  std::vector<int64_t> pad(k, 0);
  std::vector<bool> extra(k, false);
  if (!transposed && a[4].is_constant() && std::holds_alternative<std::string>(a[4].constant_value())) {
    std::string mode = a.str(4);
    THUNDER_CHECK(mode == "same" || mode == "valid", Runtime, "Invalid padding string: '", mode, "'");
    if (mode == "same") {
      for (int64_t s : stride)
        THUNDER_CHECK(s == 1, Runtime, "padding='same' is not supported for strided convolutions");
      for (size_t i = 0; i < k; ++i) {
        int64_t total = dil[i] * (w.shape()[i + 2] - 1);
        pad[i] = total / 2 + total % 2;
        extra[i] = total % 2;
      }
    }
  } else {
    pad = conv_param(a, 4, k);
  }

  for (int64_t p : pad) THUNDER_CHECK(p >= 0, Runtime, "negative padding is not supported");
  for (int64_t p : out_pad) THUNDER_CHECK(p >= 0, Runtime, "negative output_padding is not supported");
  for (int64_t s : stride) THUNDER_CHECK(s > 0, Runtime, "non-positive stride is not supported");
  for (int64_t d : dil)
    THUNDER_CHECK(d > 0, Runtime, "dilation should be greater than zero, but got ", nn::list_str(dil));
  THUNDER_CHECK(groups > 0, Runtime, "non-positive groups is not supported");

  Shape xs = in.shape();
  if (in.rank() == rank - 1) xs.insert(xs.begin(), 1);
  const Shape& ws = w.shape();
  THUNDER_CHECK(ws[0] > 0, Runtime, "Given groups=", groups, ", expected weight to be at least 1 at dimension 0, but got "
                "weight of size ", shape_str(ws), " instead");
  THUNDER_CHECK(ws[0] % groups == 0, Runtime, "Given groups=", groups, ", expected weight to be divisible by ", groups,
                " at dimension 0, but got weight of size [", shape_str(ws), "] instead");
  if (transposed) {
    THUNDER_CHECK(xs[1] == ws[0], Runtime, "Given transposed=1, weight of size ", shape_str(ws), ", expected input",
                  shape_str(xs), " to have ", ws[0], " channels, but got ", xs[1], " channels instead");
    THUNDER_CHECK(!bias || (bias->rank() == 1 && bias->shape()[0] == ws[1] * groups), Runtime,
                  "Given transposed=1, weight of size ", shape_str(ws), ", expected bias to be 1-dimensional with ",
                  ws[1] * groups, " elements, but got bias of size ", shape_str(bias->shape()), " instead");
  } else {
    THUNDER_CHECK(xs[1] == ws[1] * groups, Runtime, "Given groups=", groups, ", weight of size ", shape_str(ws),
                  ", expected input", shape_str(xs), " to have ", ws[1] * groups, " channels, but got ", xs[1],
                  " channels instead");
    THUNDER_CHECK(!bias || (bias->rank() == 1 && bias->shape()[0] == ws[0]), Runtime, "Given weight of size ",
                  shape_str(ws), ", expected bias to be 1-dimensional with ", ws[0], " elements, but got bias of size ",
                  shape_str(bias->shape()), " instead");
  }
  if (transposed) {
    // torch names the dims (depth,) height, width; a 1-D convolution runs as a 2-D one of height 1
    auto message = [&] {
      std::vector<std::string> names = k == 3 ? std::vector<std::string>{"depth", "height", "width"}
                                              : std::vector<std::string>{"height", "width"};
      std::vector<int64_t> op = out_pad, st = stride, di = dil;
      if (k == 1) op.insert(op.begin(), 0), st.insert(st.begin(), 1), di.insert(di.begin(), 1);
      std::string m = "output padding must be smaller than either stride or dilation, but got";
      for (auto [what, v] : {std::pair{"output_padding", &op}, std::pair{"stride", &st}, std::pair{"dilation", &di}})
        for (size_t i = 0; i < names.size(); ++i) m += cat(" ", what, "_", names[i], ": ", (*v)[i]);
      return m;
    };
    for (size_t i = 0; i < k; ++i)
      if (!(out_pad[i] < stride[i] || out_pad[i] < dil[i])) throw UserError(ErrorKind::Runtime, message());
  } else {
    std::vector<int64_t> padded, kernel;
    for (size_t i = 0; i < k; ++i) {
      padded.push_back(xs[i + 2] + 2 * pad[i] - extra[i]);
      kernel.push_back(dil[i] * (ws[i + 2] - 1) + 1);
    }
    for (size_t i = 0; i < k; ++i)
      THUNDER_CHECK(padded[i] >= kernel[i], Runtime, "Calculated padded input size per channel: (",
                    joined(padded, " x "), "). Kernel size: (", joined(kernel, " x "),
                    "). Kernel size can't be greater than actual input size");
  }
  THUNDER_CHECK(w.dtype() == in.dtype(), Runtime, "expected scalar type ", dtype_c10_name(in.dtype()), " but found ",
                dtype_c10_name(w.dtype()));
  THUNDER_CHECK(!bias || bias->dtype() == in.dtype(), Runtime, "Input type (", dtype_cpp_name(in.dtype()),
                ") and bias type (", dtype_cpp_name(bias->dtype()), ") should be the same");
  Device dev = common_device(op, {in, w, bias.value_or(in)});
  THUNDER_CHECK(in.dtype() != DType::Bool && !is_complex(in.dtype()), NotImplemented, op,
                ": expected floating-point or integer tensors, got ", dtype_name(in.dtype()));
  THUNDER_CHECK(dev.type != DeviceType::CUDA || is_floating(in.dtype()), NotImplemented, op,
                ": integer tensors are not supported on cuda, got ", dtype_name(in.dtype()));
  if (transposed) {
    Shape out = conv_output(xs, ws, stride, pad, dil, true, out_pad, groups);
    std::vector<int64_t> spatial_in(xs.begin() + 2, xs.end()), spatial_out(out.begin() + 2, out.end());
    for (int64_t d : spatial_out)
      THUNDER_CHECK(d > 0, Runtime, "Given input size per channel: (", joined(spatial_in, " x "),
                    "). Calculated output size per channel: (", joined(spatial_out, " x "), "). Output size is too small");
  }

  Value x = nn::reshape(in, xs);
  Value y = call("prims.convolution", {x, w, bias ? *bias : Value::none(), int_list(stride), int_list(pad),
                                       int_list(dil), Value::constant(transposed), int_list(out_pad), num(groups)});
  // an odd 'same' padding was made symmetric by one more element in front: drop its outputs
  if (std::find(extra.begin(), extra.end(), true) != extra.end()) {
    std::vector<int64_t> lo(y.rank(), 0), hi = y.shape(), step(y.rank(), 1);
    for (size_t i = 0; i < k; ++i) lo[i + 2] = extra[i] ? 1 : 0;
    y = call("prims.slice", {y, int_list(lo), int_list(hi), int_list(step)});
  }
  if (in.rank() == rank - 1) y = nn::reshape(y, Shape(y.shape().begin() + 1, y.shape().end()));
  return y;
}

}  // namespace

void register_nn_conv(Registry& r) {
  r.add({.schema = "prims.convolution(a, weight, bias, stride, padding, dilation, transposed, output_padding, groups)",
         .fusion = FusionClass::Opaque,
         .aten = "torch.convolution",
         .impl = convolution_meta});

  r.add({.schema = "conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
         .print_name = "torch.nn.functional.conv1d",
         .torch_names = {"torch.nn.functional.conv1d", "torch.conv1d"},
         .impl = [](const Args& a) { return conv(a, 1, false); }});
  r.add({.schema = "conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
         .print_name = "torch.nn.functional.conv2d",
         .torch_names = {"torch.nn.functional.conv2d", "torch.conv2d"},
         .impl = [](const Args& a) { return conv(a, 2, false); }});
  r.add({.schema = "conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
         .print_name = "torch.nn.functional.conv3d",
         .torch_names = {"torch.nn.functional.conv3d", "torch.conv3d"},
         .impl = [](const Args& a) { return conv(a, 3, false); }});
  for (int k : {1, 3}) {
    std::string name = cat("conv_transpose", k, "d");
    r.add({.schema = name + "(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1)",
           .print_name = "torch.nn.functional." + name,
           .torch_names = {"torch.nn.functional." + name, "torch." + name},
           .impl = [k](const Args& a) { return conv(a, k, true); }});
  }
  r.add({.schema = "conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, "
                   "dilation=1)",
         .print_name = "torch.nn.functional.conv_transpose2d",
         .torch_names = {"torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d"},
         .impl = [](const Args& a) { return conv(a, 2, true); }});
}

}  // namespace thunder::ops
