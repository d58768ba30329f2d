// Neural-network ops: activations and softmax, written as decompositions in the computation dtype;
// also the helpers the nn family's files share (ops/nn_util.h).
#include <cmath>
#include <numbers>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace nn {

namespace {
Shape kept_shape(const Shape& s, const std::vector<int64_t>& dims) {
  Shape out = s;
  for (int64_t d : dims) out[d] = 1;
  return out;
}

Value reduce_with(const char* prim, const Value& x, const std::vector<int64_t>& dims, bool keepdim) {
  if (dims.empty()) return x;
  Value y = call(prim, {x, int_list(dims)});
  return keepdim ? reshape(y, kept_shape(x.shape(), dims)) : y;
}
}  // namespace

Value sum(const Value& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce_with("prims.sum", x, dims, keepdim);
}
Value amax(const Value& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce_with("prims.amax", x, dims, keepdim);
}

Value reshape(const Value& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return call("prims.reshape", {x, int_list(shape)});
}

std::vector<int64_t> dims_from(int64_t start, int64_t rank) {
  std::vector<int64_t> out;
  for (int64_t d = start; d < rank; ++d) out.push_back(d);
  return out;
}

Value abs(const Value& x) {
  using namespace pm;
  return where(call("prims.lt", {x, num(0)}), -x, x);
}
Value clamp_min(const Value& x, const Value& lo) { return pm::where(call("prims.lt", {x, lo}), lo, x); }
Value clamp_max(const Value& x, const Value& hi) { return pm::where(call("prims.gt", {x, hi}), hi, x); }

Value floating_input(std::string_view op, const Value& x) {
  THUNDER_CHECK(is_floating(x.dtype()), NotImplemented, op, ": expected a floating-point tensor, got ",
                dtype_name(x.dtype()));
  return convert(x, opmath_type(x.dtype()));
}

void reject_inplace(std::string_view op, const Args& a, size_t i) {
  THUNDER_CHECK(!a.bool_(i), NotImplemented, op, ": inplace=True is not supported yet");
}

Value softmax(const Value& x, int64_t dim, bool log) {
  using namespace pm;
  std::vector<int64_t> dims = x.rank() ? std::vector<int64_t>{dim} : std::vector<int64_t>{};
  // amax of an empty dim is an error in torch; an empty tensor needs no stabilizing
  Value shifted = numel(x.shape()) == 0 ? x : x - broadcast_to(amax(x, dims, true), x.shape());
  Value e = exp(shifted);
  Value total = sum(e, dims, true);
  if (log) return shifted - broadcast_to(call("prims.log", {total}), x.shape());
  return e / broadcast_to(total, x.shape());
}

std::string reduction_mode(const Args& a, size_t size_average, size_t reduce, size_t reduction) {
  if (!a[size_average].is_none() || !a[reduce].is_none()) {
    // torch's _Reduction.legacy_get_string: both default to True
    bool avg = a[size_average].is_none() ? true : a.bool_(size_average);
    bool red = a[reduce].is_none() ? true : a.bool_(reduce);
    return !red ? "none" : avg ? "mean" : "sum";
  }
  std::string mode = a.str(reduction);
  THUNDER_CHECK(mode == "none" || mode == "mean" || mode == "sum", Value, mode,
                " is not a valid value for reduction");
  return mode;
}

Value reduce_loss(const Value& loss, const std::string& mode) {
  if (mode == "none") return loss;
  Value s = sum(loss, dims_from(0, loss.rank()));
  if (mode == "sum") return s;
  using namespace pm;
  return s / static_cast<double>(numel(loss.shape()));
}

double real(const Args& a, size_t i) {
  const Value& v = a[i];
  if (!v.is_constant() || !v.is_number() || v.python_number_type() == NumberType::Complex) a.type_error(i, "a number");
  if (v.python_number_type() == NumberType::Bool) return v.as_bool() ? 1.0 : 0.0;
  return v.as_double();
}

std::vector<int64_t> int_tuple(const Args& a, size_t i, size_t n) {
  if (a[i].is_int()) return std::vector<int64_t>(n, a[i].as_int());
  return a.int_list(i);
}

std::string list_str(const std::vector<int64_t>& v) { return shape_str(v); }

void activation(Registry& r, std::string schema, std::vector<std::string> torch_names,
                std::function<Value(const Value& x, const Args& a)> body, bool has_inplace) {
  std::string name = schema.substr(0, schema.find('('));
  std::string print = torch_names.front();
  r.add({.schema = std::move(schema),
         .print_name = std::move(print),
         .torch_names = std::move(torch_names),
         .fusion = FusionClass::Elementwise,
         .impl = [name, body, has_inplace](const Args& a) {
           const Value& in = a.tensor(0);
           if (has_inplace) reject_inplace(name, a, a.size() - 1);
           Value x = floating_input(name, in);
           return convert(body(x, a), in.dtype());
         }});
}

}  // namespace nn

namespace {

using nn::activation;
using nn::floating_input;
using nn::reject_inplace;

// torch's _get_softmax_dim for dim=None (deprecated in torch, still accepted)
int64_t softmax_dim(const Args& a) {
  const Value& x = a.tensor(0);
  if (a[1].is_none()) return (x.rank() == 0 || x.rank() == 1 || x.rank() == 3) ? 0 : 1;
  return wrap_dim(a.int_(1), x.rank());
}

Value softmax_impl(const Args& a, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  const Value& in = a.tensor(0);
  int64_t dim = softmax_dim(a);
  std::optional<DType> dtype = a.opt_dtype(2);
  // dtype= casts the input before the op, as torch does
  DType result = dtype.value_or(in.dtype());
  Value x = floating_input(op, convert(in, result));
  return convert(nn::softmax(x, dim, log), result);
}

// From the result y: softmax's g' = y * (g - sum(g * y)), log_softmax's g' = g - exp(y) * sum(g),
// in float32 for half types
std::vector<Value> softmax_vjp(const Args& a, const Value& y, const Value& g, bool log) {
  using namespace pm;
  const Value& in = a[0];
  if (in.rank() == 0) return {zeros_like(in)};
  int64_t dim = softmax_dim(a);
  DType op = opmath_type(y.dtype());
  Value yc = convert(y, op), gc = convert(g, op);
  auto total = [&](const Value& v) { return broadcast_to(reduce("prims.sum", v, {dim}, true), v.shape()); };
  Value gx = log ? gc - exp(yc) * total(gc) : yc * (gc - total(gc * yc));
  return {convert(gx, in.dtype())};
}

// torch.softmax(x, dim, dtype=...) takes every spelling's arguments: F.softmax's implicit dim is
// resolved here and its _stacklevel (a warning detail) dropped.
std::string softmax_call(const char* fn, const std::vector<Value>& args) {
  const Value& x = args[0];
  int64_t dim = args[1].is_none() ? ((x.rank() == 0 || x.rank() == 1 || x.rank() == 3) ? 0 : 1) : args[1].as_int();
  std::string s = cat(fn, "(", python_repr(x), ", ", dim);
  if (!args[2].is_none()) s += ", dtype=" + python_repr(args[2]);
  return s + ")";
}

// hardtanh's bounds for integer tensors are truncated toward zero, as torch converts the scalars
Value bound(double v, DType t) {
  return is_floating(t) ? num(v) : num(static_cast<int64_t>(v));
}

Value hardtanh(const Value& x, double lo, double hi) {
  THUNDER_CHECK(x.dtype() != DType::Bool, Runtime, "Bool inputs not supported for hardtanh");
  THUNDER_CHECK(!is_complex(x.dtype()), NotImplemented, "hardtanh: expected a real tensor, got ", dtype_name(x.dtype()));
  if (x.dtype() == DType::UInt8)
    THUNDER_CHECK(static_cast<int64_t>(lo) >= 0 && static_cast<int64_t>(hi) >= 0, Runtime,
                  "cannot do hardtanh on an unsigned type with negative limits");
  Value xc = convert(x, opmath_type(x.dtype()));
  // torch: x <= lo ? lo : (x >= hi ? hi : x), so NaN passes through
  Value y = nn::clamp_max(nn::clamp_min(xc, bound(lo, xc.dtype())), bound(hi, xc.dtype()));
  return convert(y, x.dtype());
}

// log(1 + exp(x)) for the softplus family; torch's log1p is more accurate only where the result is
// far below the tolerance of the values around it
Value log1p_exp(const Value& x) {
  using namespace pm;
  return call("prims.log", {1.0 + exp(x)});
}


}  // namespace

void register_nn(Registry& r) {
  r.add({.schema = "relu(input, inplace=False)",
         .print_name = "torch.relu",
         .torch_names = {"torch.relu", "torch.Tensor.relu", "torch.nn.functional.relu"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(!a.bool_(1), NotImplemented, "relu: inplace=True is not supported yet");
           THUNDER_CHECK(x.dtype() != DType::Bool, Runtime, "Boolean inputs not supported for relu");
           using namespace pm;
           // le, not gt, so that NaN passes through as torch.relu lets it
           return where(le(x, num(0)), num(0), x);
         }});

  r.add({.schema = "gelu(input, *, approximate='none')",
         .print_name = "torch.nn.functional.gelu",
         .torch_names = {"torch.nn.functional.gelu", "torch._C._nn.gelu"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& in = a.tensor(0);
           std::string approx = a.str(1);
           THUNDER_CHECK(approx == "none" || approx == "tanh", Runtime,
                         "approximate argument must be either none or tanh.");
           THUNDER_CHECK(is_floating(in.dtype()), NotImplemented, "gelu: expected a floating-point tensor, got ",
                         dtype_name(in.dtype()));
           using namespace pm;
           Value x = convert(in, opmath_type(in.dtype()));
           Value y;
           if (approx == "none") {
             y = x * 0.5 * (1.0 + erf(x * (1.0 / std::numbers::sqrt2)));
           } else {
             const double k = std::sqrt(2.0 / std::numbers::pi);
             y = 0.5 * x * (1.0 + tanh(k * (x + 0.044715 * (x * x * x))));
           }
           return convert(y, in.dtype());
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           using namespace pm;
           const Value& in = a[0];
           DType op = opmath_type(in.dtype());
           Value x = convert(in, op), gc = convert(g, op);
           Value d;
           if (a.str(1) == "none") {
             Value cdf = 0.5 * (1.0 + erf(x * (1.0 / std::numbers::sqrt2)));
             Value pdf = exp(-0.5 * (x * x)) * (1.0 / std::sqrt(2.0 * std::numbers::pi));
             d = cdf + x * pdf;
           } else {
             // torch's GeluBackward with approximate='tanh', term by term
             const double beta = std::sqrt(2.0 / std::numbers::pi), kappa = 0.044715;
             Value x_sq = x * x;
             Value t = tanh(beta * (x + kappa * (x_sq * x)));
             d = 0.5 * (1.0 + t) + (0.5 * x) * (1.0 - t * t) * (beta * (1.0 + 3.0 * kappa * x_sq));
           }
           return {convert(gc * d, in.dtype())};
         }});

  r.add({.schema = "sigmoid(input)",
         .print_name = "torch.sigmoid",
         .torch_names = {"torch.sigmoid", "torch.Tensor.sigmoid", "torch.special.expit", "torch.nn.functional.sigmoid"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& in = a.tensor(0);
           PromotedTypes t = promote({in}, Promotion::IntToFloat);
           using namespace pm;
           Value x = convert(in, t.computation);
           return convert(1.0 / (1.0 + exp(-x)), t.result);
         }});

  // F.softmax(input, dim=None, _stacklevel=3, dtype=None) passes everything by keyword through
  // __torch_function__; torch.softmax and Tensor.softmax take dtype as the third positional.
  r.add({.schema = "softmax(input, dim=None, dtype=None, *, _stacklevel=3)",
         .print_name = "torch.softmax",
         .torch_names = {"torch.softmax", "torch.Tensor.softmax", "torch.nn.functional.softmax", "torch.special.softmax"},
         .fusion = FusionClass::Reduction,
         .print = [](const std::vector<Value>& args) { return softmax_call("torch.softmax", args); },
         .impl = [](const Args& a) { return softmax_impl(a, false); },
         .vjp = [](const Args& a, const Value& y, const Value& g) { return softmax_vjp(a, y, g, false); }});
  r.add({.schema = "log_softmax(input, dim=None, dtype=None, *, _stacklevel=3)",
         .print_name = "torch.log_softmax",
         .torch_names = {"torch.log_softmax", "torch.Tensor.log_softmax", "torch.nn.functional.log_softmax",
                         "torch.special.log_softmax"},
         .fusion = FusionClass::Reduction,
         .print = [](const std::vector<Value>& args) { return softmax_call("torch.log_softmax", args); },
         .impl = [](const Args& a) { return softmax_impl(a, true); },
         .vjp = [](const Args& a, const Value& y, const Value& g) { return softmax_vjp(a, y, g, true); }});

  activation(r, "silu(input, inplace=False)", {"torch.nn.functional.silu", "torch._C._nn.silu"},
             [](const Value& x, const Args&) {
               using namespace pm;
               return x / (1.0 + exp(-x));
             });
  activation(r, "leaky_relu(input, negative_slope=0.01, inplace=False)",
             {"torch.nn.functional.leaky_relu", "torch._C._nn.leaky_relu"}, [](const Value& x, const Args& a) {
               using namespace pm;
               return where(call("prims.gt", {x, num(0)}), x, x * nn::real(a, 1));
             });
  activation(r, "elu(input, alpha=1.0, inplace=False)", {"torch.nn.functional.elu", "torch._C._nn.elu"},
             [](const Value& x, const Args& a) {
               using namespace pm;
               return where(call("prims.gt", {x, num(0)}), x, nn::real(a, 1) * (exp(x) - 1.0));
             });
  activation(r, "hardsigmoid(input, inplace=False)", {"torch.nn.functional.hardsigmoid", "torch._C._nn.hardsigmoid"},
             [](const Value& x, const Args&) {
               using namespace pm;
               return nn::clamp_max(nn::clamp_min(x + 3.0, num(0.0)), num(6.0)) / 6.0;
             });
  activation(r, "hardswish(input, inplace=False)", {"torch.nn.functional.hardswish", "torch._C._nn.hardswish"},
             [](const Value& x, const Args&) {
               using namespace pm;
               return x * nn::clamp_max(nn::clamp_min(x + 3.0, num(0.0)), num(6.0)) / 6.0;
             });
  activation(r, "mish(input, inplace=False)", {"torch.nn.functional.mish", "torch._C._nn.mish"},
             [](const Value& x, const Args&) {
               using namespace pm;
               return x * tanh(log1p_exp(x));
             });
  activation(
      r, "softplus(input, beta=1, threshold=20)", {"torch.nn.functional.softplus"},
      [](const Value& x, const Args& a) {
        using namespace pm;
        double beta = nn::real(a, 1), threshold = nn::real(a, 2);
        Value bx = x * beta;
        // above the threshold softplus is linear; torch compares beta * x with it
        return where(call("prims.gt", {bx, num(threshold)}), x, log1p_exp(bx) / beta);
      },
      /*has_inplace=*/false);
  activation(
      r, "logsigmoid(input)", {"torch.nn.functional.logsigmoid", "torch._C._nn.log_sigmoid"},
      [](const Value& x, const Args&) {
        using namespace pm;
        // min(x, 0) - log(1 + exp(-|x|)): no overflow for large |x|
        return nn::clamp_max(x, num(0.0)) - call("prims.log", {1.0 + exp(-nn::abs(x))});
      },
      /*has_inplace=*/false);

  r.add({.schema = "hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False)",
         .print_name = "torch.nn.functional.hardtanh",
         .torch_names = {"torch.nn.functional.hardtanh", "torch._C._nn.hardtanh"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           reject_inplace("hardtanh", a, 3);
           double lo = nn::real(a, 1), hi = nn::real(a, 2);
           THUNDER_CHECK(lo <= hi, Value, "min_val cannot be greater than max_val");
           return hardtanh(a.tensor(0), lo, hi);
         }});
  r.add({.schema = "relu6(input, inplace=False)",
         .print_name = "torch.nn.functional.relu6",
         .torch_names = {"torch.nn.functional.relu6", "torch._C._nn.relu6"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           reject_inplace("relu6", a, 1);
           return hardtanh(a.tensor(0), 0.0, 6.0);
         }});

  r.add({.schema = "glu(input, dim=-1)",
         .print_name = "torch.nn.functional.glu",
         .torch_names = {"torch.nn.functional.glu", "torch._C._nn.glu"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& in = a.tensor(0);
           THUNDER_CHECK(in.rank() > 0, Runtime, "glu does not support scalars because halving size must be even");
           int64_t dim = wrap_dim(a.int_(1), in.rank());
           int64_t n = in.shape()[dim];
           THUNDER_CHECK(n % 2 == 0, Runtime, "Halving dimension must be even, but dimension ", dim, " is size ", n);
           Value x = floating_input("glu", in);
           auto half = [&](int64_t start) {
             std::vector<int64_t> lo(x.rank(), 0), hi = x.shape(), step(x.rank(), 1);
             lo[dim] = start;
             hi[dim] = start + n / 2;
             return call("prims.slice", {x, int_list(lo), int_list(hi), int_list(step)});
           };
           using namespace pm;
           Value first = half(0), second = half(n / 2);
           return convert(first / (1.0 + exp(-second)), in.dtype());
         }});
}

}  // namespace thunder::ops
