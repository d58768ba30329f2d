// Normalization: layer_norm, rms_norm, group_norm, batch_norm and normalize, decomposed into
// reductions in the computation dtype (float32 for float16/bfloat16 inputs, as torch's kernels do).
#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;

// (x - mean) / sqrt(var + eps) over `dims`, with the biased variance, as torch's kernels compute it.
Value standardize(const Value& x, const std::vector<int64_t>& dims, double eps) {
  int64_t n = 1;
  for (int64_t d : dims) n *= x.shape()[d];
  auto mean_of = [&](const Value& v) { return broadcast_to(nn::sum(v, dims, true) / static_cast<double>(n), x.shape()); };
  Value centered = x - mean_of(x);
  Value var = mean_of(centered * centered);
  return centered * call("prims.pow", {var + eps, num(-0.5)});
}

// Parameters all share the input's dtype, or are all float32 for a float16/bfloat16 input (torch's
// mixed mode); torch's message names the device ("mixed dtype (CPU)"), this one the op.
void check_param_dtypes(std::string_view op, std::string_view names, const Value& x,
                        const std::vector<std::optional<Value>>& params) {
  std::vector<DType> got;
  for (const auto& p : params)
    if (p) got.push_back(p->dtype());
  if (got.empty()) return;
  bool reduced = x.dtype() == DType::Float16 || x.dtype() == DType::BFloat16;
  bool same = std::all_of(got.begin(), got.end(), [&](DType t) { return t == got[0]; });
  bool ok = same && (got[0] == x.dtype() || (reduced && got[0] == DType::Float32));
  if (ok) return;
  std::string list;
  for (DType t : got) list += (list.empty() ? "" : ", ") + std::string(dtype_name(t));
  throw UserError(ErrorKind::Runtime, cat(op, ": expected ", names, " to have the input's dtype (", dtype_name(x.dtype()),
                                          reduced ? ") or all float32" : ")", ", got ", list));
}

// A per-channel vector (weight, bias, running stats) shaped to broadcast over dim 1 of `like`.
Value channel_param(const Value& p, const Value& like) {
  Shape s(like.rank(), 1);
  s[1] = like.shape()[1];
  return broadcast_to(nn::reshape(convert(p, like.dtype()), s), like.shape());
}

Value affine(Value y, const std::optional<Value>& w, const std::optional<Value>& b,
             const std::function<Value(const Value&)>& shape_param) {
  if (w) y = y * shape_param(*w);
  if (b) y = y + shape_param(*b);
  return y;
}

std::string size_list(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

Value layer_norm(const Args& a) {
  const Value& in = a.tensor(0);
  std::vector<int64_t> ns = a.int_list(1);
  std::optional<Value> w = a.opt_tensor(2), b = a.opt_tensor(3);
  double eps = nn::real(a, 4);
  THUNDER_CHECK(!ns.empty(), Runtime,
                "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but "
                "got normalized_shape = []");
  for (auto [p, name] : {std::pair{w, "weight"}, std::pair{b, "bias"}})
    THUNDER_CHECK(!p || p->shape() == ns, Runtime, "Expected ", name,
                  " to be of same shape as normalized_shape, but got ", name, " of shape ",
                  shape_str(p->shape()), " and normalized_shape = ", shape_str(ns));
  int64_t k = static_cast<int64_t>(ns.size());
  bool fits = in.rank() >= k && Shape(in.shape().end() - k, in.shape().end()) == ns;
  THUNDER_CHECK(fits, Runtime, "Given normalized_shape=", shape_str(ns), ", expected input with shape [*, ",
                size_list(ns).substr(1), ", but got input of size", shape_str(in.shape()));
  check_param_dtypes("layer_norm", "weight and bias", in, {w, b});
  common_device("layer_norm", {in, w.value_or(in), b.value_or(in)});
  Value x = nn::floating_input("layer_norm", in);
  Value y = standardize(x, nn::dims_from(in.rank() - k, in.rank()), eps);
  y = affine(y, w, b, [&](const Value& p) { return broadcast_to(convert(p, x.dtype()), x.shape()); });
  return convert(y, in.dtype());
}

// From the input alone (the statistics are recomputed, so forward keeps one layer_norm call and
// saves nothing but its operands): g' = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)) with
// gy = g * weight, in float32 for half types
std::vector<Value> layer_norm_vjp(const Args& a, const Value&, const Value& g) {
  using namespace pm;
  const Value& in = a[0];
  std::optional<Value> w = a.opt_tensor(2), b = a.opt_tensor(3);
  int64_t k = static_cast<int64_t>(a.int_list(1).size());
  std::vector<int64_t> dims = nn::dims_from(in.rank() - k, in.rank());
  Value x = nn::floating_input("layer_norm", in);
  DType op = x.dtype();
  int64_t n = 1;
  for (int64_t d : dims) n *= x.shape()[d];
  auto mean_of = [&](const Value& v) { return broadcast_to(nn::sum(v, dims, true) / static_cast<double>(n), x.shape()); };
  Value centered = x - mean_of(x);
  Value rstd = call("prims.pow", {mean_of(centered * centered) + nn::real(a, 4), num(-0.5)});
  Value xhat = centered * rstd;
  Value gc = convert(g, op);
  Value gy = w ? gc * broadcast_to(convert(*w, op), x.shape()) : gc;
  Value gx = rstd * (gy - mean_of(gy) - xhat * mean_of(gy * xhat));
  Value gw = w ? convert(sum_to_shape(gc * xhat, w->shape()), w->dtype()) : Value();
  Value gb = b ? convert(sum_to_shape(gc, b->shape()), b->dtype()) : Value();
  return {convert(gx, in.dtype()), Value(), gw, gb};
}

Value rms_norm(const Args& a) {
  const Value& in = a.tensor(0);
  std::vector<int64_t> ns = a.int_list(1);
  std::optional<Value> w = a.opt_tensor(2);
  int64_t k = static_cast<int64_t>(ns.size());
  bool fits = in.rank() >= k && Shape(in.shape().end() - k, in.shape().end()) == ns;
  // torch's rms_norm message has no comma after the asterisk
  THUNDER_CHECK(fits, Runtime, "Given normalized_shape=", shape_str(ns), ", expected input with shape [*",
                size_list(ns).substr(1), ", but got input of size", shape_str(in.shape()));
  THUNDER_CHECK(!w || w->shape() == ns, Runtime, "Expected weight to be of same shape as normalized_shape, but got "
                "weight of shape ", shape_str(w ? w->shape() : Shape{}), " and normalized_shape = ", shape_str(ns));
  common_device("rms_norm", {in, w.value_or(in)});
  Value x = nn::floating_input("rms_norm", in);
  // eps=None is the machine epsilon of the computation dtype, as in torch
  double eps = a[3].is_none() ? (x.dtype() == DType::Float64 ? std::numeric_limits<double>::epsilon()
                                                              : std::numeric_limits<float>::epsilon())
                              : nn::real(a, 3);
  std::vector<int64_t> dims = nn::dims_from(in.rank() - k, in.rank());
  int64_t n = numel(ns);
  Value ms = broadcast_to(nn::sum(x * x, dims, true) / static_cast<double>(n), x.shape());
  Value y = x * call("prims.pow", {ms + eps, num(-0.5)});
  if (!w) return convert(y, in.dtype());
  // torch rounds to the input dtype, multiplies by the weight (promoting) and rounds again
  y = convert(y, in.dtype());
  PromotedTypes t = promote({in, *w}, Promotion::Default);
  Value prod = convert(y, t.computation) * broadcast_to(convert(*w, t.computation), x.shape());
  return convert(prod, in.dtype());
}

Value group_norm(const Args& a) {
  const Value& in = a.tensor(0);
  int64_t groups = a.int_(1);
  std::optional<Value> w = a.opt_tensor(2), b = a.opt_tensor(3);
  double eps = nn::real(a, 4);
  THUNDER_CHECK(in.rank() >= 2, Runtime, "Expected at least 2 dimensions for input tensor but received ", in.rank());
  THUNDER_CHECK(groups > 0, Value, "group_norm: expected num_groups to be positive, got ", groups);
  const Shape& s = in.shape();
  int64_t c = s[1];
  int64_t per_channel = s[0] * c / groups;
  for (size_t d = 2; d < s.size(); ++d) per_channel *= s[d];
  Shape sizes = {s[0] * c / groups, groups};
  sizes.insert(sizes.end(), s.begin() + 2, s.end());
  THUNDER_CHECK(per_channel != 1, Value, "Expected more than 1 value per channel when training, got input size ",
                size_list(sizes));
  THUNDER_CHECK(c % groups == 0, Runtime, "Expected number of channels in input to be divisible by num_groups, but got "
                "input of shape ", shape_str(s), " and num_groups=", groups);
  for (auto [p, name] : {std::pair{w, "weight"}, std::pair{b, "bias"}})
    THUNDER_CHECK(!p || (p->rank() == 1 && p->shape()[0] == c), Runtime, "Expected ", name,
                  " to be a vector of size equal to the number of channels in input, but got ", name, " of shape ",
                  shape_str(p->shape()), " and input of shape ", shape_str(s));
  check_param_dtypes("group_norm", "weight and bias", in, {w, b});
  common_device("group_norm", {in, w.value_or(in), b.value_or(in)});
  Value x = nn::floating_input("group_norm", in);
  int64_t group_size = c / groups * numel(Shape(s.begin() + 2, s.end()));
  Value grouped = nn::reshape(x, {s[0], groups, group_size});
  Value y = nn::reshape(standardize(grouped, {2}, eps), s);
  y = affine(y, w, b, [&](const Value& p) { return channel_param(p, y); });
  return convert(y, in.dtype());
}

// Training with running stats returns (output, new running_mean, new running_var); the frontend
// writes the new stats into the buffers (OpSpec::updates). The output decomposes like the
// stateless form, so fusion executors take it; the new stats come from prims.batch_norm_running_stats,
// torch's own statistics kernel, so that the buffers are eager's bit for bit (a sum over prims
// would add in another order). On ATen the whole call prints as prims.batch_norm_update.
Value batch_norm(const Args& a) {
  const Value& in = a.tensor(0);
  std::optional<Value> mean = a.opt_tensor(1), var = a.opt_tensor(2), w = a.opt_tensor(3), b = a.opt_tensor(4);
  bool training = a.bool_(5);
  // momentum: a number, or a zero-dim tensor (nn.BatchNorm's cumulative average with momentum=None,
  // 1 / num_batches_tracked, which thunder keeps in the trace instead of reading its value)
  bool momentum_tensor = a[6].is_tensor();
  THUNDER_CHECK(!momentum_tensor || a[6].rank() == 0, Runtime, "batch_norm: expected momentum to be a number or a "
                "zero-dim tensor, got a tensor of shape ", shape_str(a[6].shape()));
  if (!momentum_tensor) nn::real(a, 6);
  double eps = nn::real(a, 7);
  THUNDER_CHECK(in.rank() >= 2, Runtime, "batch_norm: expected input with at least 2 dims, got ", shape_str(in.shape()));
  const Shape& s = in.shape();
  if (training) {
    int64_t per_channel = s[0];
    for (size_t d = 2; d < s.size(); ++d) per_channel *= s[d];
    THUNDER_CHECK(per_channel != 1, Value, "Expected more than 1 value per channel when training, got input size "
                  "torch.Size(", size_list(s), ")");
    THUNDER_CHECK(eps > 0, Value, "batch_norm eps must be positive during training, but got ", python_repr(a[7]));
    THUNDER_CHECK(!mean == !var, NotImplemented, "batch_norm: training=True with only one of running_mean and "
                  "running_var is not supported; pass both or neither");
  } else {
    THUNDER_CHECK(eps >= 0, Value, "batch_norm eps must be non-negative, but got ", python_repr(a[7]));
    THUNDER_CHECK(mean, Runtime, "running_mean must be defined in evaluation mode");
    THUNDER_CHECK(var, Runtime, "running_var must be defined in evaluation mode");
  }
  int64_t c = s[1];
  for (auto [p, name] : {std::pair{w, "weight"}, std::pair{b, "bias"}, std::pair{mean, "running_mean"},
                         std::pair{var, "running_var"}})
    THUNDER_CHECK(!p || numel(p->shape()) == c, Runtime, name, " should contain ", c, " elements not ",
                  numel(p->shape()));
  check_param_dtypes("batch_norm", "weight, bias and running stats", in, {w, b, mean, var});
  common_device("batch_norm", {in, w.value_or(in), b.value_or(in), mean.value_or(in), var.value_or(in)});
  bool updating = training && mean;
  if (updating)
    THUNDER_CHECK(mean->rank() == 1 && var->rank() == 1, Runtime, "batch_norm: expected 1-D running stats, got ",
                  shape_str(mean->shape()), " and ", shape_str(var->shape()));
  THUNDER_CHECK(!momentum_tensor || updating, Runtime, "batch_norm: a tensor momentum is only meaningful when "
                "training with running stats");
  Value x = nn::floating_input("batch_norm", in);
  Value y;
  if (training) {
    std::vector<int64_t> dims = {0};
    for (int64_t d = 2; d < in.rank(); ++d) dims.push_back(d);
    y = standardize(x, dims, eps);
  } else {
    Value inv_std = call("prims.pow", {channel_param(*var, x) + eps, num(-0.5)});
    y = (x - channel_param(*mean, x)) * inv_std;
  }
  y = affine(y, w, b, [&](const Value& p) { return channel_param(p, y); });
  y = convert(y, in.dtype());
  if (!updating) return y;
  Value stats = call("prims.batch_norm_running_stats", {in, *mean, *var, a[6]});
  return Value::sequence({y, stats.items()[0], stats.items()[1]});
}

// The updating form of batch_norm as one call: torch's kernel on copies of the running stats.
Value batch_norm_update_meta(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& mean = a.tensor(1);
  const Value& var = a.tensor(2);
  THUNDER_ASSERT(x.rank() >= 2 && mean.shape() == Shape{x.shape()[1]} && var.shape() == mean.shape(),
                 "prims.batch_norm_update: expected per-channel running stats");
  const Device& d = x.meta().device;
  return Value::sequence({new_tensor(x.shape(), x.dtype(), d), new_tensor(mean.shape(), mean.dtype(), d),
                          new_tensor(var.shape(), var.dtype(), d)});
}

Value normalize(const Args& a) {
  const Value& in = a.tensor(0);
  double p = nn::real(a, 1);
  double eps = nn::real(a, 3);
  THUNDER_CHECK(a[4].is_none(), NotImplemented, "normalize: out= is not supported");
  THUNDER_CHECK(is_floating(in.dtype()), Runtime,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ",
                dtype_c10_name(in.dtype()));
  int64_t dim = wrap_dim(a.int_(2), in.rank());
  std::vector<int64_t> dims = in.rank() ? std::vector<int64_t>{dim} : std::vector<int64_t>{};
  THUNDER_CHECK(!std::isinf(p) || in.rank() == 0 || in.shape()[dim] != 0, Runtime,
                "linalg.vector_norm cannot compute the inf norm on the dimension ", dim,
                "because this dimension is empty and the operation does not have an identity");
  Value x = convert(in, opmath_type(in.dtype()));
  Value ax = nn::abs(x);
  Value norm;
  if (p == 2) norm = call("prims.pow", {nn::sum(x * x, dims, true), num(0.5)});
  else if (p == 1) norm = nn::sum(ax, dims, true);
  else if (std::isinf(p) && p > 0) norm = nn::amax(ax, dims, true);
  else if (std::isinf(p)) norm = -nn::amax(-ax, dims, true);
  else if (p == 0) norm = nn::sum(convert(call("prims.ne", {x, num(0)}), x.dtype()), dims, true);
  else norm = call("prims.pow", {nn::sum(call("prims.pow", {ax, num(p)}), dims, true), num(1.0 / p)});
  Value denom = broadcast_to(nn::clamp_min(norm, num(eps)), x.shape());
  return convert(x / denom, in.dtype());
}

}  // namespace

void register_nn_norm(Registry& r) {
  r.add({.schema = "layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05)",
         .print_name = "torch.nn.functional.layer_norm",
         .torch_names = {"torch.nn.functional.layer_norm", "torch.layer_norm"},
         .fusion = FusionClass::Reduction,
         .impl = layer_norm,
         .vjp = layer_norm_vjp});
  r.add({.schema = "rms_norm(input, normalized_shape, weight=None, eps=None)",
         .print_name = "torch.nn.functional.rms_norm",
         .torch_names = {"torch.nn.functional.rms_norm", "torch.rms_norm"},
         .fusion = FusionClass::Reduction,
         .impl = rms_norm});
  r.add({.schema = "group_norm(input, num_groups, weight=None, bias=None, eps=1e-05)",
         .print_name = "torch.nn.functional.group_norm",
         .torch_names = {"torch.nn.functional.group_norm", "torch.group_norm"},
         .fusion = FusionClass::Reduction,
         .impl = group_norm});
  r.add({.schema = "batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, "
                   "momentum=0.1, eps=1e-05)",
         .print_name = "torch.nn.functional.batch_norm",
         .torch_names = {"torch.nn.functional.batch_norm"},
         .fusion = FusionClass::Reduction,
         .updates = {"running_mean", "running_var"},
         // the updating form returns the new stats: it prints as the functional prim it calls
         .print = [](const std::vector<Value>& v) -> std::string {
           bool updating = python_repr(v[5]) == "True" && v[1].is_tensor();
           if (!updating) return "";
           std::string s = "prims.batch_norm_update(";
           for (size_t i : {0, 1, 2, 3, 4, 6, 7}) s += (i ? ", " : "") + python_repr(v[i]);
           return s + ")";
         },
         .impl = batch_norm});
  r.add({.schema = "prims.batch_norm_update(a, running_mean, running_var, weight, bias, momentum, eps)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, running_mean, running_var, weight, bias, momentum, eps: (lambda m, v: "
                 "(torch.nn.functional.batch_norm(a, m, v, weight, bias, True, float(momentum), eps), m, v))("
                 "running_mean.clone(), running_var.clone())",
         .updates = {"running_mean", "running_var"},
         .impl = batch_norm_update_meta});
  // the new running stats alone: torch's batch_norm_update_stats (the statistics half of its
  // training kernel, the same sums) on copies of the buffers
  r.add({.schema = "prims.batch_norm_running_stats(a, running_mean, running_var, momentum)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, running_mean, running_var, momentum: (lambda m, v: "
                 "(torch.batch_norm_update_stats(a, m, v, float(momentum)), m, v)[1:])("
                 "running_mean.clone(), running_var.clone())",
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& mean = a.tensor(1);
           const Value& var = a.tensor(2);
           THUNDER_ASSERT(x.rank() >= 2 && mean.shape() == Shape{x.shape()[1]} && var.shape() == mean.shape(),
                          "prims.batch_norm_running_stats: expected per-channel running stats");
           const Device& d = x.meta().device;
           return Value::sequence({new_tensor(mean.shape(), mean.dtype(), d), new_tensor(var.shape(), var.dtype(), d)});
         },
         .differentiable = false});
  r.add({.schema = "normalize(input, p=2.0, dim=1, eps=1e-12, out=None)",
         .print_name = "torch.nn.functional.normalize",
         .torch_names = {"torch.nn.functional.normalize"},
         .fusion = FusionClass::Reduction,
         .impl = normalize});
}

}  // namespace thunder::ops
