// Pooling beyond the 2-D ops of pool.cpp: the 1-D pools (torch's own kernels run them as 2-D pools
// of a height-1 input, and so do these decompositions, which makes them exact), the 3-D pools,
// max pooling with indices and adaptive max pooling. The 3-D and the index-returning forms are
// opaque library calls (prims) whose meta rules reproduce torch's size formulas and checks.
#include <algorithm>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

struct PoolNd {
  std::vector<int64_t> k, stride, pad, dil;
  bool ceil = false;
};

std::string joined(const std::vector<int64_t>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

// A pooling parameter: one int or `n` of them; `what` is torch's message for other lengths.
std::vector<int64_t> nd_param(const Args& a, size_t i, size_t n, const std::string& what) {
  std::vector<int64_t> v = nn::int_tuple(a, i, 1);
  THUNDER_CHECK(v.size() == 1 || v.size() == n, Runtime, what);
  if (v.size() == 1) v.assign(n, v[0]);
  return v;
}

bool no_stride(const Value& v) { return v.is_none() || (v.is_sequence() && v.items().empty()); }

// One int (or a tuple of one) for the 1-D ops, with torch's argument-parser wording.
int64_t one_int(const Args& a, size_t i, const std::string& op) {
  std::vector<int64_t> v = nn::int_tuple(a, i, 1);
  THUNDER_CHECK(v.size() == 1, Runtime, op, "() argument '", a.symbol().params()[i].name, "' should contain one int (got ",
                v.size(), ")");
  return v[0];
}

Value unsqueeze_h(const Value& x) {
  Shape s = x.shape();
  s.insert(s.end() - 1, 1);
  return nn::reshape(x, s);
}

Value squeeze_h(const Value& y) {
  Shape s = y.shape();
  s.erase(s.end() - 2);
  return nn::reshape(y, s);
}

void check_rank(const Value& x, int64_t lo, const std::string& op) {
  THUNDER_CHECK(x.rank() == lo || x.rank() == lo + 1, Runtime, "Expected ", lo, " to ", lo + 1,
                " dimensions, but got ", x.rank(), "-dimensional tensor for argument #1 'self' (while checking arguments "
                "for ", op, ")");
}

void check_floating(std::string_view op, const Value& x) {
  THUNDER_CHECK(is_floating(x.dtype()), NotImplemented, op, ": ", dtype_name(x.dtype()), " tensors are not supported");
}

// The 3-D pools' arguments and output shape, after torch's pool3d_shape_check.
Shape pool3d_shape(const Value& x, const PoolNd& p, bool check_input_size) {
  const Shape& s = x.shape();
  int64_t r = x.rank();
  std::vector<int64_t> in(s.end() - 3, s.end()), out;
  for (size_t i = 0; i < 3; ++i)
    out.push_back(nn::pool_output_size(in[i], p.k[i], p.pad[i], p.stride[i], p.dil[i], p.ceil));
  auto all_positive = [](const std::vector<int64_t>& v) { return std::all_of(v.begin(), v.end(), [](int64_t d) { return d > 0; }); };
  THUNDER_CHECK(all_positive(p.k), Runtime, "kernel size should be greater than zero, but got kT: ", p.k[0], " kH: ", p.k[1],
                " kW: ", p.k[2]);
  THUNDER_CHECK(all_positive(p.stride), Runtime, "stride should be greater than zero, but got dT: ", p.stride[0], " dH: ",
                p.stride[1], " dW: ", p.stride[2]);
  THUNDER_CHECK(all_positive(p.dil), Runtime, "dilation should be greater than zero, but got dilationT: ", p.dil[0],
                " dilationH: ", p.dil[1], " dilationW: ", p.dil[2]);
  bool valid = r == 4 || r == 5;
  for (int64_t d = r - 4; valid && d < r; ++d) valid = s[d] != 0;
  THUNDER_CHECK(valid, Runtime, "non-empty 4D or 5D (batch mode) tensor expected for input");
  if (check_input_size)
    THUNDER_CHECK(in[0] >= p.k[0] && in[1] >= p.k[1] && in[2] >= p.k[2], Runtime, "input image (T: ", in[0], " H: ", in[1],
                  " W: ", in[2], ") smaller than kernel size (kT: ", p.k[0], " kH: ", p.k[1], " kW: ", p.k[2], ")");
  THUNDER_CHECK(p.k[0] / 2 >= p.pad[0] && p.k[2] / 2 >= p.pad[2] && p.k[1] / 2 >= p.pad[1], Runtime,
                "pad should be smaller than or equal to half of kernel size, but got kT: ", p.k[0], " kW: ", p.k[2],
                " kH: ", p.k[1], " padT: ", p.pad[0], " padW: ", p.pad[2], " padH: ", p.pad[1]);
  THUNDER_CHECK(all_positive(out), Runtime, "Given input size: (", s[r - 4], "x", joined(in, "x"),
                "). Calculated output size: (", s[r - 4], "x", joined(out, "x"), "). Output size is too small");
  Shape o = s;
  std::copy(out.begin(), out.end(), o.end() - 3);
  return o;
}

PoolNd pool3d_args(const Args& a, const std::string& op, bool has_dilation, const char* either) {
  PoolNd p;
  p.k = nd_param(a, 1, 3, cat(op, ": kernel_size must ", either, "be a single int, or a tuple of three ints"));
  p.stride = no_stride(a[2]) ? p.k
                             : nd_param(a, 2, 3, cat(op, ": stride must ", either, "be omitted, a single int, or a tuple "
                                                     "of three ints"));
  p.pad = nd_param(a, 3, 3, cat(op, ": padding must ", either, "be a single int, or a tuple of three ints"));
  p.dil = has_dilation ? nd_param(a, 4, 3, op + ": dilation must be either a single int, or a tuple of three ints")
                       : std::vector<int64_t>{1, 1, 1};
  p.ceil = a.bool_(has_dilation ? 5 : 4);
  return p;
}

// Index-returning max pooling (2-D or 3-D, from the kernel's length): (values, int64 indices).
Value max_pool_with_indices(const Value& x, const PoolNd& p) {
  return call("prims.max_pool_with_indices", {x, int_list(p.k), int_list(p.stride), int_list(p.pad), int_list(p.dil),
                                              Value::constant(p.ceil)});
}

Value max_pool1d(const Args& a) {
  const Value& x = a.tensor(0);
  const std::string op = "max_pool1d";
  bool valid = x.rank() == 2 || x.rank() == 3;
  for (int64_t d = x.rank() - 2; valid && d < x.rank(); ++d) valid = x.shape()[d] != 0;
  THUNDER_CHECK(valid, Runtime, "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                "input, but got:", shape_str(x.shape()));
  auto param = [&](size_t i, const char* what) {
    std::vector<int64_t> v = nn::int_tuple(a, i, 1);
    THUNDER_CHECK(v.size() == 1, Runtime, "max_pool1d() ", a.symbol().params()[i].name, " must be ", what,
                  " of size 1 but got size ", v.size());
    return v[0];
  };
  PoolNd p;
  int64_t k = param(1, "an int, list of ints or tuple of ints");
  int64_t stride = no_stride(a[2]) ? k : param(2, "None, an int, list of ints, or tuple of ints");
  int64_t pad = param(3, "an int, list of ints, or tuple of ints");
  int64_t dil = param(4, "an int, list of ints or tuple of ints");
  p = {{1, k}, {1, stride}, {0, pad}, {1, dil}, a.bool_(5)};
  Value x4 = unsqueeze_h(x);
  if (a.bool_(6)) {  // torch runs it as max_pool2d_with_indices, with that op's checks
    bool cpu = x.meta().device.type != DeviceType::CUDA;
    THUNDER_CHECK(is_floating(x.dtype()) || (cpu && is_integer(x.dtype())), NotImplemented, "max_pool1d: ",
                  dtype_name(x.dtype()), " tensors are not supported", cpu ? "" : " on cuda");
    Value both = max_pool_with_indices(x4, p);
    return Value::sequence({squeeze_h(both.items()[0]), squeeze_h(both.items()[1])});
  }
  THUNDER_CHECK(k > 0, Runtime, "max_pool1d() kernel_size must be greater than zero, but got ", k);
  THUNDER_CHECK(stride > 0, Runtime, "max_pool1d() stride must be greater than zero, but got ", stride);
  THUNDER_CHECK(pad >= 0, Runtime, "max_pool1d() padding must be non-negative, but got ", pad);
  THUNDER_CHECK(pad <= k / 2, Runtime, "max_pool1d() padding should be at most half of kernel size, but got padding=", pad,
                " and kernel_size=", k);
  THUNDER_CHECK(dil > 0, Runtime, "max_pool1d() dilation must be greater than zero, but got ", dil);
  int64_t len = x.shape().back();
  int64_t out = nn::pool_output_size(len, k, pad, stride, dil, p.ceil);
  THUNDER_CHECK(out >= 1, Runtime, "max_pool1d() Invalid computed output size: ", out);
  check_floating(op, x);
  return squeeze_h(call("prims.max_pool2d", {x4, int_list(p.k), int_list(p.stride), int_list(p.pad), int_list(p.dil),
                                             Value::constant(p.ceil)}));
}

Value avg_pool1d(const Args& a) {
  const Value& x = a.tensor(0);
  check_rank(x, 2, "avg_pool1d");
  int64_t k = one_int(a, 1, "avg_pool1d");
  int64_t stride = no_stride(a[2]) ? k : one_int(a, 2, "avg_pool1d");
  int64_t pad = one_int(a, 3, "avg_pool1d");
  // torch's avg_pool1d is avg_pool2d of the height-1 input, with avg_pool2d's checks
  Value y = call("avg_pool2d", {unsqueeze_h(x), int_list({1, k}), int_list({1, stride}), int_list({0, pad}), a[4], a[5]});
  return squeeze_h(y);
}

Value max_pool3d(const Args& a) {
  const Value& x = a.tensor(0);
  PoolNd p = pool3d_args(a, "max_pool3d", true, "either ");
  pool3d_shape(x, p, false);
  bool cpu = x.meta().device.type != DeviceType::CUDA;
  THUNDER_CHECK(is_floating(x.dtype()) || (cpu && is_integer(x.dtype())), NotImplemented, "max_pool3d: ",
                dtype_name(x.dtype()), " tensors are not supported", cpu ? "" : " on cuda");
  if (a.bool_(6)) return max_pool_with_indices(x, p);
  return call("prims.max_pool3d", {x, int_list(p.k), int_list(p.stride), int_list(p.pad), int_list(p.dil),
                                   Value::constant(p.ceil)});
}

Value avg_pool3d(const Args& a) {
  const Value& x = a.tensor(0);
  PoolNd p = pool3d_args(a, "avg_pool3d", false, "");
  std::optional<int64_t> divisor;
  if (!a[6].is_none()) divisor = a.int_(6);
  THUNDER_CHECK(!divisor || *divisor != 0, Runtime, "divisor must be not zero");
  pool3d_shape(x, p, true);
  bool cpu = x.meta().device.type != DeviceType::CUDA;
  // torch's CPU kernel has no float16/bfloat16 variant
  bool half = x.dtype() == DType::Float16 || x.dtype() == DType::BFloat16;
  THUNDER_CHECK(cpu ? (x.dtype() == DType::Int64 || (is_floating(x.dtype()) && !half)) : is_floating(x.dtype()),
                NotImplemented, "avg_pool3d: ",
                dtype_name(x.dtype()), " tensors are not supported", cpu ? "" : " on cuda");
  return call("prims.avg_pool3d", {x, int_list(p.k), int_list(p.stride), int_list(p.pad), Value::constant(p.ceil),
                                   a[5], divisor ? num(*divisor) : Value::none()});
}

// An adaptive pool's output_size: an int, or `n` entries each an int or None (the input's size).
std::vector<int64_t> adaptive_size(const Args& a, const Value& x, size_t n, const std::string& op) {
  std::vector<Value> items = a[1].is_sequence() ? a[1].items() : std::vector<Value>(n, a[1]);
  THUNDER_CHECK(items.size() == n, Runtime, op, ": output_size must be ", n);
  std::vector<int64_t> size;
  for (size_t i = 0; i < n; ++i) {
    if (items[i].is_none()) size.push_back(x.shape()[x.rank() - n + i]);
    else if (items[i].is_int()) size.push_back(items[i].as_int());
    else a.type_error(1, "an int or a tuple of ints or None");
  }
  return size;
}

void check_adaptive_input(const Value& x, size_t n, const std::string& op, const std::string& rank_msg) {
  int64_t r = x.rank(), lo = static_cast<int64_t>(n) + 1;
  THUNDER_CHECK(r == lo || r == lo + 1, Runtime, op, "(): Expected ", lo, "D or ", lo + 1, "D tensor, but got", rank_msg,
                shape_str(x.shape()));
  for (int64_t d = r - static_cast<int64_t>(n); d < r; ++d)
    THUNDER_CHECK(x.shape()[d] != 0, Runtime, op, "(): Expected input to have non-zero size for non-batch dimensions, but "
                  "input has sizes ", shape_str(x.shape()), " with dimension ", d, " being empty");
}

Value adaptive_avg_pool1d(const Args& a) {
  const Value& x = a.tensor(0);
  int64_t size = one_int(a, 1, "adaptive_avg_pool1d");
  check_rank(x, 2, "adaptive_avg_pool1d");
  return squeeze_h(call("adaptive_avg_pool2d", {unsqueeze_h(x), int_list({1, size})}));
}

Value adaptive_avg_pool3d(const Args& a) {
  const Value& x = a.tensor(0);
  check_adaptive_input(x, 3, "adaptive_avg_pool3d", " ");
  std::vector<int64_t> size = adaptive_size(a, x, 3, "adaptive_avg_pool3d");
  THUNDER_CHECK(std::all_of(size.begin(), size.end(), [](int64_t d) { return d >= 0; }), Runtime,
                "adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but received {", size[0],
                ", ", size[1], ",", size[2], "}");
  check_floating("adaptive_avg_pool3d", x);
  return call("prims.adaptive_avg_pool3d", {x, int_list(size)});
}

// adaptive_max_pool{1,2,3}d: (values, indices) from prims.adaptive_max_pool, the values alone
// unless return_indices; the 1-D op is the 2-D one of the height-1 input, as in torch.
Value adaptive_max_pool(const Args& a, size_t n) {
  const Value& x = a.tensor(0);
  std::string op = cat("adaptive_max_pool", n, "d");
  Value both;
  if (n == 1) {
    int64_t size = one_int(a, 1, op);
    THUNDER_CHECK(x.rank() == 2 || x.rank() == 3, Runtime, "adaptive_max_pool1d() argument 'self' (position 1) must be "
                  "a 2D or 3D tensor, got ", x.rank(), "D");
    check_adaptive_input(unsqueeze_h(x), 2, "adaptive_max_pool2d", ": ");
    THUNDER_CHECK(size >= 0, Runtime, "adaptive_max_pool2d(): Expected output_size to be non-negative, got ", size);
    check_floating("adaptive_max_pool1d", x);
    both = call("prims.adaptive_max_pool", {unsqueeze_h(x), int_list({1, size})});
    both = Value::sequence({squeeze_h(both.items()[0]), squeeze_h(both.items()[1])});
  } else {
    check_adaptive_input(x, n, op, n == 2 ? ": " : " ");
    std::vector<int64_t> size = adaptive_size(a, x, n, op);
    for (int64_t d : size)
      THUNDER_CHECK(d >= 0, Runtime, op, "(): Expected output_size to be non-negative, got ", d);
    check_floating(op, x);
    both = call("prims.adaptive_max_pool", {x, int_list(size)});
  }
  return a.bool_(2) ? both : both.items()[0];
}

Value pool3d_meta(const Args& a, bool has_dilation) {
  const Value& x = a.tensor(0);
  PoolNd p{a.int_list(1), a.int_list(2), a.int_list(3), has_dilation ? a.int_list(4) : std::vector<int64_t>{1, 1, 1},
           a.bool_(has_dilation ? 5 : 4)};
  THUNDER_ASSERT(x.rank() == 4 || x.rank() == 5, a.symbol().name(), ": expected a 4-D or 5-D input");
  return new_tensor(pool3d_shape(x, p, false), x.dtype(), x.meta().device);
}

// Values and int64 indices of a pooled shape.
Value with_indices(const Value& x, const Shape& out) {
  const Device& d = x.meta().device;
  return Value::sequence({new_tensor(out, x.dtype(), d), new_tensor(out, DType::Int64, d)});
}

Shape adaptive_out(const Value& x, const std::vector<int64_t>& size) {
  THUNDER_ASSERT(x.rank() >= static_cast<int64_t>(size.size()) + 1, "adaptive pool: bad operands");
  Shape out = x.shape();
  std::copy(size.begin(), size.end(), out.end() - static_cast<int64_t>(size.size()));
  return out;
}

}  // namespace

void register_nn_pool_nd(Registry& r) {
  r.add({.schema = "prims.max_pool3d(a, kernel_size, stride, padding, dilation, ceil_mode)",
         .fusion = FusionClass::Opaque,
         .aten = "torch.max_pool3d",
         .impl = [](const Args& a) { return pool3d_meta(a, true); }});
  r.add({.schema = "prims.avg_pool3d(a, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)",
         .fusion = FusionClass::Opaque,
         .aten = "torch._C._nn.avg_pool3d",
         .impl = [](const Args& a) { return pool3d_meta(a, false); }});
  r.add({.schema = "prims.adaptive_avg_pool3d(a, output_size)",
         .fusion = FusionClass::Opaque,
         .aten = "torch._C._nn.adaptive_avg_pool3d",
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return new_tensor(adaptive_out(x, a.int_list(1)), x.dtype(), x.meta().device);
         }});
  // 2-D or 3-D from the kernel's length, as torch's max_pool{2,3}d_with_indices
  r.add({.schema = "prims.max_pool_with_indices(a, kernel_size, stride, padding, dilation, ceil_mode)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, kernel_size, *args: (torch._C._nn.max_pool2d_with_indices if len(kernel_size) == 2 else "
                 "torch._C._nn.max_pool3d_with_indices)(a, kernel_size, *args)",
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           size_t n = a.int_list(1).size();
           THUNDER_ASSERT(n == 2 || n == 3, "prims.max_pool_with_indices: expected 2 or 3 spatial dims");
           Shape out = n == 3 ? pool3d_meta(a, true).shape()
                              : nn::pool2d_output_shape(x, a.int_list(1), a.int_list(2), a.int_list(3), a.int_list(4),
                                                        a.bool_(5));
           return with_indices(x, out);
         }});
  r.add({.schema = "prims.adaptive_max_pool(a, output_size)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, output_size: (torch._C._nn.adaptive_max_pool2d if len(output_size) == 2 else "
                 "torch._C._nn.adaptive_max_pool3d)(a, output_size)",
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return with_indices(x, adaptive_out(x, a.int_list(1)));
         }});

  r.add({.schema = "max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                   "return_indices=False)",
         .print_name = "torch.nn.functional.max_pool1d",
         .torch_names = {"torch.nn.functional.max_pool1d", "torch.max_pool1d",
                         "torch.nn.functional.max_pool1d_with_indices"},
         .impl = max_pool1d});
  r.add({.schema = "avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)",
         .print_name = "torch.nn.functional.avg_pool1d",
         .torch_names = {"torch.nn.functional.avg_pool1d", "torch.avg_pool1d"},
         .impl = avg_pool1d});
  r.add({.schema = "max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                   "return_indices=False)",
         .print_name = "torch.nn.functional.max_pool3d",
         .torch_names = {"torch.nn.functional.max_pool3d", "torch.max_pool3d",
                         "torch.nn.functional.max_pool3d_with_indices"},
         .impl = max_pool3d});
  r.add({.schema = "avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
                   "divisor_override=None)",
         .print_name = "torch.nn.functional.avg_pool3d",
         .torch_names = {"torch.nn.functional.avg_pool3d"},
         .impl = avg_pool3d});
  r.add({.schema = "adaptive_avg_pool1d(input, output_size)",
         .print_name = "torch.nn.functional.adaptive_avg_pool1d",
         .torch_names = {"torch.nn.functional.adaptive_avg_pool1d", "torch.adaptive_avg_pool1d"},
         .impl = adaptive_avg_pool1d});
  r.add({.schema = "adaptive_avg_pool3d(input, output_size)",
         .print_name = "torch.nn.functional.adaptive_avg_pool3d",
         .torch_names = {"torch.nn.functional.adaptive_avg_pool3d", "torch._C._nn.adaptive_avg_pool3d"},
         .impl = adaptive_avg_pool3d});
  for (size_t n : {1, 2, 3}) {
    std::string name = cat("adaptive_max_pool", n, "d");
    r.add({.schema = name + "(input, output_size, return_indices=False)",
           .print_name = "torch.nn.functional." + name,
           .torch_names = {"torch.nn.functional." + name, "torch.nn.functional." + name + "_with_indices"},
           .impl = [n](const Args& a) { return adaptive_max_pool(a, n); }});
  }
}

}  // namespace thunder::ops
