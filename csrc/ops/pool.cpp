// Pooling and resampling: max_pool2d, avg_pool2d, adaptive_avg_pool2d and interpolate. Each is an
// opaque library call (a prim with torch's kernel behind it) whose meta rule reproduces torch's
// output-size formulas and argument checks, with torch's messages.
#include <algorithm>
#include <cmath>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// torch's pooling_output_shape, with its checks.
int64_t pool_out(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil) {
  THUNDER_CHECK(stride != 0, Runtime, "stride should not be zero");
  THUNDER_CHECK(pad >= 0, Runtime, "pad must be non-negative, but got pad: ", pad);
  THUNDER_CHECK(pad <= ((k - 1) * dil + 1) / 2, Runtime, "pad should be at most half of effective kernel size, but got pad=",
                pad, ", kernel_size=", k, " and dilation=", dil);
  int64_t out = floor_div(in + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0), stride) + 1;
  // in ceil mode the last window must start inside the input (or its left padding)
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

// A pooling parameter: one int or a tuple of one or two; `what` completes torch's message.
std::vector<int64_t> pool_pair(const Args& a, size_t i, const std::string& what) {
  std::vector<int64_t> v = nn::int_tuple(a, i, 1);
  THUNDER_CHECK(v.size() == 1 || v.size() == 2, Runtime, what);
  return {v[0], v.back()};
}

struct Pool2d {
  std::vector<int64_t> k, stride, pad, dil;
  bool ceil;
};

// The output shape of a 2-D pooling of `x` (3-D or 4-D), after torch's pool2d_shape_check.
Shape pool2d_shape(const Value& x, const Pool2d& p) {
  const Shape& s = x.shape();
  int64_t h = s[x.rank() - 2], w = s[x.rank() - 1], planes = s[x.rank() - 3];
  int64_t oh = pool_out(h, p.k[0], p.pad[0], p.stride[0], p.dil[0], p.ceil);
  int64_t ow = pool_out(w, p.k[1], p.pad[1], p.stride[1], p.dil[1], p.ceil);
  THUNDER_CHECK(p.k[0] > 0 && p.k[1] > 0, Runtime, "kernel size should be greater than zero, but got kH: ", p.k[0],
                " kW: ", p.k[1]);
  THUNDER_CHECK(p.stride[0] > 0 && p.stride[1] > 0, Runtime, "stride should be greater than zero, but got dH: ",
                p.stride[0], " dW: ", p.stride[1]);
  THUNDER_CHECK(p.dil[0] > 0 && p.dil[1] > 0, Runtime, "dilation should be greater than zero, but got dilationH: ",
                p.dil[0], " dilationW: ", p.dil[1]);
  bool valid = true;
  for (int64_t d = x.rank() - 3; d < x.rank(); ++d) valid = valid && s[d] != 0;
  THUNDER_CHECK(valid, Runtime,
                "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:",
                shape_str(s));
  THUNDER_CHECK(p.k[1] / 2 >= p.pad[1] && p.k[0] / 2 >= p.pad[0], Runtime,
                "pad should be smaller than or equal to half of kernel size, but got padW = ", p.pad[1], ", padH = ",
                p.pad[0], ", kW = ", p.k[1], ", kH = ", p.k[0]);
  THUNDER_CHECK(oh >= 1 && ow >= 1, Runtime, "Given input size: (", planes, "x", h, "x", w, "). Calculated output size: (",
                planes, "x", oh, "x", ow, "). Output size is too small");
  Shape out = s;
  out[x.rank() - 2] = oh;
  out[x.rank() - 1] = ow;
  return out;
}

// Which dtypes torch's CPU and CUDA kernels of an op take beyond the floating ones.
void check_pool_dtype(std::string_view op, const Value& x, bool ints_on_cpu, bool only_int64 = false) {
  DType t = x.dtype();
  bool cpu = x.meta().device.type != DeviceType::CUDA;
  bool ok = is_floating(t) || (ints_on_cpu && cpu && is_integer(t) && (!only_int64 || t == DType::Int64));
  THUNDER_CHECK(ok, NotImplemented, op, ": ", dtype_name(t), " tensors are not supported",
                cpu ? "" : " on cuda");
}

Pool2d pool_args(const Args& a, const std::string& op, bool has_dilation) {
  Pool2d p;
  p.k = pool_pair(a, 1, op + ": kernel_size must either be a single int, or a tuple of two ints");
  // stride=None or [] means the kernel size
  bool no_stride = a[2].is_none() || (a[2].is_sequence() && a[2].items().empty());
  p.stride = no_stride ? p.k
                       : pool_pair(a, 2, op + ": stride must either be omitted, a single int, or a tuple of two ints");
  p.pad = pool_pair(a, 3, op + ": padding must either be a single int, or a tuple of two ints");
  p.dil = has_dilation ? pool_pair(a, 4, op + ": dilation must be either a single int, or a tuple of two ints")
                       : std::vector<int64_t>{1, 1};
  p.ceil = a.bool_(has_dilation ? 5 : 4);
  return p;
}

Value max_pool2d(const Args& a) {
  const Value& x = a.tensor(0);
  Pool2d p = pool_args(a, "max_pool2d", true);
  THUNDER_CHECK(x.rank() == 3 || x.rank() == 4, Runtime, "non-empty 3D or 4D (batch mode) tensor expected for input");
  pool2d_shape(x, p);
  check_pool_dtype("max_pool2d", x, /*ints_on_cpu=*/true);
  // return_indices: (values, int64 indices), from pool_nd.cpp's prim for both 2-D and 3-D
  return call(a.bool_(6) ? "prims.max_pool_with_indices" : "prims.max_pool2d", {x, int_list(p.k), int_list(p.stride), int_list(p.pad), int_list(p.dil),
                                   Value::constant(p.ceil)});
}

Value avg_pool2d(const Args& a) {
  const Value& x = a.tensor(0);
  Pool2d p = pool_args(a, "avg_pool2d", false);
  bool count_pad = a.bool_(5);
  std::optional<int64_t> divisor;
  if (!a[6].is_none()) divisor = a.int_(6);
  THUNDER_CHECK(!divisor || *divisor != 0, Runtime, "divisor must be not zero");
  THUNDER_CHECK(x.rank() == 3 || x.rank() == 4, Runtime, "non-empty 3D or 4D (batch mode) tensor expected for input");
  pool2d_shape(x, p);
  check_pool_dtype("avg_pool2d", x, /*ints_on_cpu=*/true, /*only_int64=*/true);
  return call("prims.avg_pool2d", {x, int_list(p.k), int_list(p.stride), int_list(p.pad), Value::constant(p.ceil),
                                   Value::constant(count_pad), divisor ? num(*divisor) : Value::none()});
}

Value adaptive_avg_pool2d(const Args& a) {
  const Value& x = a.tensor(0);
  // output_size: an int, or two entries each an int or None (None keeps the input's size)
  std::vector<Value> items = a[1].is_sequence() ? a[1].items() : std::vector<Value>{a[1], a[1]};
  THUNDER_CHECK(items.size() == 2, Runtime, "adaptive_avg_pool2d: output_size must be 2");
  THUNDER_CHECK(x.rank() == 3 || x.rank() == 4, Runtime, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ",
                shape_str(x.shape()));
  std::vector<int64_t> size;
  for (size_t i = 0; i < 2; ++i) {
    if (items[i].is_none()) size.push_back(x.shape()[x.rank() - 2 + i]);
    else if (items[i].is_int()) size.push_back(items[i].as_int());
    else a.type_error(1, "an int or a pair of ints or None");
  }
  THUNDER_CHECK(size[0] >= 0 && size[1] >= 0, Runtime,
                "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {",
                size[0], ", ", size[1], "}");
  for (int64_t d = x.rank() - 2; d < x.rank(); ++d)
    THUNDER_CHECK(x.shape()[d] != 0, Runtime,
                  "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has "
                  "sizes ", shape_str(x.shape()), " with dimension ", d, " being empty");
  check_pool_dtype("adaptive_avg_pool2d", x, /*ints_on_cpu=*/false);
  return call("prims.adaptive_avg_pool2d", {x, int_list(size)});
}

Value pool_prim_meta(const Args& a, bool has_dilation) {
  const Value& x = a.tensor(0);
  Pool2d p{a.int_list(1), a.int_list(2), a.int_list(3),
           has_dilation ? a.int_list(4) : std::vector<int64_t>{1, 1}, a.bool_(has_dilation ? 5 : 4)};
  THUNDER_ASSERT(x.rank() == 3 || x.rank() == 4, a.symbol().name(), ": expected a 3-D or 4-D input");
  return new_tensor(pool2d_shape(x, p), x.dtype(), x.meta().device);
}

// F.interpolate's argument handling: the output size, and the scale factors the kernel uses
// (given ones, unless recompute_scale_factor; torch then derives them from the sizes).
Value interpolate(const Args& a) {
  const Value& x = a.tensor(0);
  std::string mode = a.str(3);
  int64_t dims = x.rank() - 2;
  bool nearest_like = mode == "nearest" || mode == "area" || mode == "nearest-exact";
  THUNDER_CHECK(!nearest_like || a[4].is_none(), Value,
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
                "trilinear");
  bool align = nearest_like ? false : a[4].is_none() ? false : a.bool_(4);
  THUNDER_CHECK(a[1].is_none() || a[2].is_none(), Value, "only one of size or scale_factor should be defined");
  THUNDER_CHECK(!a[1].is_none() || !a[2].is_none(), Value, "either size or scale_factor should be defined");
  std::vector<int64_t> in_spatial(dims > 0 ? x.shape().begin() + 2 : x.shape().end(), x.shape().end());
  std::optional<std::vector<int64_t>> size;
  std::optional<std::vector<double>> scales;
  if (!a[1].is_none()) {
    if (a[1].is_sequence()) {
      THUNDER_CHECK(static_cast<int64_t>(a[1].items().size()) == dims, Value,
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    "dimensions of ", shape_str(in_spatial), " and output size of ", python_repr(a[1]),
                    ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                    "format.");
      for (const auto& v : a[1].items())
        THUNDER_CHECK(v.is_int(), Type, "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                      "Tuple[int, int, int], but got size with types ", type_name(v));
      size = a.int_list(1);
    } else {
      size = std::vector<int64_t>(std::max<int64_t>(dims, 0), a.int_(1));
    }
  } else {
    std::vector<double> s;
    if (a[2].is_sequence()) {
      THUNDER_CHECK(static_cast<int64_t>(a[2].items().size()) == dims, Value,
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
                    "dimensions of ", shape_str(in_spatial), " and scale_factor of shape ", python_repr(a[2]),
                    ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, "
                    "...,sK) format.");
      for (const auto& v : a[2].items()) {
        if (!v.is_number()) a.type_error(2, "a float or a sequence of floats");
        s.push_back(v.as_double());
      }
    } else {
      s.assign(std::max<int64_t>(dims, 0), nn::real(a, 2));
    }
    scales = s;
  }
  bool recompute = !a[5].is_none() && a.bool_(5);
  THUNDER_CHECK(!(recompute && size), Value, "recompute_scale_factor is not meaningful with an explicit size.");
  if (mode == "area" && !size) recompute = true;
  bool antialias = a.bool_(6);
  THUNDER_CHECK(!antialias || ((mode == "bilinear" || mode == "bicubic" || mode == "lanczos") && x.rank() == 4), Value,
                "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D tensor as "
                "input");
  static const std::vector<std::pair<std::string, int64_t>> kModes = {
      {"nearest", 0}, {"nearest-exact", 0}, {"area", 0}, {"linear", 3}, {"bilinear", 4}, {"bicubic", 4},
      {"trilinear", 5}};
  auto it = std::find_if(kModes.begin(), kModes.end(), [&](const auto& m) { return m.first == mode; });
  bool known = it != kModes.end() || mode == "lanczos";
  THUNDER_CHECK(known && x.rank() >= 3 && x.rank() <= 5, NotImplemented,
                "Input Error: Only 3D, 4D and 5D input Tensors supported (got ", x.rank(),
                "D) for the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
                "(got ", mode, ")");
  THUNDER_CHECK(mode != "lanczos", NotImplemented, "interpolate: mode='lanczos' is not supported yet");
  THUNDER_CHECK(it->second == 0 || it->second == x.rank(), NotImplemented, "Got ", x.rank(), "D input, but ", mode,
                " mode needs ", it->second, "D input");
  std::vector<int64_t> out;
  for (int64_t i = 0; i < dims; ++i)
    out.push_back(size ? (*size)[i] : static_cast<int64_t>(std::floor(static_cast<double>(in_spatial[i]) * (*scales)[i])));
  if (recompute) {
    size = out;
    scales.reset();
  }
  bool positive = std::all_of(in_spatial.begin(), in_spatial.end(), [](int64_t d) { return d > 0; }) &&
                  std::all_of(out.begin(), out.end(), [](int64_t d) { return d > 0; });
  if (!positive) {
    static const char* kNames[] = {"D", "H", "W"};
    std::string ins, outs;
    for (int64_t i = 0; i < dims; ++i) {
      const char* n = kNames[3 - dims + i];
      ins += cat(i ? ", " : "", n, ": ", in_spatial[i]);
      outs += cat(i ? ", " : "", n, ": ", out[i]);
    }
    throw UserError(ErrorKind::Runtime, cat("Input and output sizes should be greater than 0, but got input (", ins,
                                            ") output (", outs, ")"));
  }
  DType t = x.dtype();
  bool cpu = x.meta().device.type != DeviceType::CUDA;
  bool ok = is_floating(t) ||
            (t == DType::UInt8 && (mode == "nearest" || mode == "nearest-exact" || (cpu && mode == "bilinear")));
  THUNDER_CHECK(ok, NotImplemented, "interpolate: ", dtype_name(t), " tensors are not supported for mode '", mode, "'",
                cpu ? "" : " on cuda");
  return call("prims.interpolate", {x, size ? int_list(*size) : Value::none(),
                                    scales ? [&] {
                                      std::vector<Value> v;
                                      for (double d : *scales) v.push_back(Value::constant(d));
                                      return Value::sequence(v, true);
                                    }()
                                           : Value::none(),
                                    Value::constant(mode), nearest_like ? Value::none() : Value::constant(align),
                                    Value::constant(antialias)});
}

Value interpolate_meta(const Args& a) {
  const Value& x = a.tensor(0);
  Shape out = x.shape();
  if (!a[1].is_none()) {
    std::vector<int64_t> s = a.int_list(1);
    THUNDER_ASSERT(static_cast<int64_t>(s.size()) == x.rank() - 2, "prims.interpolate: bad size");
    std::copy(s.begin(), s.end(), out.begin() + 2);
  } else {
    const auto& s = a[2].items();
    THUNDER_ASSERT(static_cast<int64_t>(s.size()) == x.rank() - 2, "prims.interpolate: bad scale_factor");
    // the kernels size their output as int64(input size * scale), in double precision
    for (size_t i = 0; i < s.size(); ++i)
      out[i + 2] = static_cast<int64_t>(std::floor(static_cast<double>(x.shape()[i + 2]) * s[i].as_double()));
  }
  return new_tensor(out, x.dtype(), x.meta().device);
}

}  // namespace

Shape nn::pool2d_output_shape(const Value& x, const std::vector<int64_t>& k, const std::vector<int64_t>& stride,
                              const std::vector<int64_t>& pad, const std::vector<int64_t>& dil, bool ceil) {
  return pool2d_shape(x, Pool2d{k, stride, pad, dil, ceil});
}

int64_t nn::pool_output_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil) {
  return pool_out(in, k, pad, stride, dil, ceil);
}

void register_nn_pool(Registry& r) {
  r.add({.schema = "prims.max_pool2d(a, kernel_size, stride, padding, dilation, ceil_mode)",
         .fusion = FusionClass::Opaque,
         .aten = "torch.max_pool2d",
         .impl = [](const Args& a) { return pool_prim_meta(a, true); }});
  r.add({.schema = "prims.avg_pool2d(a, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)",
         .fusion = FusionClass::Opaque,
         .aten = "torch._C._nn.avg_pool2d",
         .impl = [](const Args& a) { return pool_prim_meta(a, false); }});
  r.add({.schema = "prims.adaptive_avg_pool2d(a, output_size)",
         .fusion = FusionClass::Opaque,
         .aten = "torch._C._nn.adaptive_avg_pool2d",
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           std::vector<int64_t> s = a.int_list(1);
           THUNDER_ASSERT(s.size() == 2 && (x.rank() == 3 || x.rank() == 4), "prims.adaptive_avg_pool2d: bad operands");
           Shape out = x.shape();
           out[x.rank() - 2] = s[0];
           out[x.rank() - 1] = s[1];
           return new_tensor(out, x.dtype(), x.meta().device);
         }});
  r.add({.schema = "prims.interpolate(a, size, scale_factor, mode, align_corners, antialias)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, size, scale_factor, mode, align_corners, antialias: torch.nn.functional.interpolate(a, size, "
                 "scale_factor, mode, align_corners, None, antialias)",
         .impl = interpolate_meta});

  r.add({.schema = "max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
                   "return_indices=False)",
         .print_name = "torch.nn.functional.max_pool2d",
         .torch_names = {"torch.nn.functional.max_pool2d", "torch.max_pool2d",
                         "torch.nn.functional.max_pool2d_with_indices"},
         .impl = max_pool2d});
  r.add({.schema = "avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
                   "divisor_override=None)",
         .print_name = "torch.nn.functional.avg_pool2d",
         .torch_names = {"torch.nn.functional.avg_pool2d"},
         .impl = avg_pool2d});
  r.add({.schema = "adaptive_avg_pool2d(input, output_size)",
         .print_name = "torch.nn.functional.adaptive_avg_pool2d",
         .torch_names = {"torch.nn.functional.adaptive_avg_pool2d", "torch._C._nn.adaptive_avg_pool2d"},
         .impl = adaptive_avg_pool2d});
  r.add({.schema = "interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None, "
                   "recompute_scale_factor=None, antialias=False)",
         .print_name = "torch.nn.functional.interpolate",
         .torch_names = {"torch.nn.functional.interpolate"},
         .impl = interpolate});
}

}  // namespace thunder::ops
