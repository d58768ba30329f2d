// Losses: cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, binary_cross_entropy and
// binary_cross_entropy_with_logits, decomposed as torch's ATen implementations compute them (so
// dtypes, empty inputs and ignored targets come out the same).
#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;

std::string torch_size(const Shape& s) {
  std::string out = "torch.Size([";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "])";
}

// Inserts a 1 at `dim`.
Value unsqueeze(const Value& x, int64_t dim) {
  Shape s = x.shape();
  s.insert(s.begin() + dim, 1);
  return nn::reshape(x, s);
}

// A [C] weight shaped to broadcast over dim `class_dim` of `like`.
Value class_weight(const Value& w, const Value& like, int64_t class_dim) {
  Shape s(like.rank(), 1);
  s[class_dim] = w.shape()[0];
  return broadcast_to(nn::reshape(convert(w, like.dtype()), s), like.shape());
}

void check_weight(const std::optional<Value>& w, int64_t classes) {
  THUNDER_CHECK(!w || (w->rank() == 1 && w->shape()[0] == classes), Runtime,
                "weight tensor should be defined either for all ", classes,
                " classes or no classes but got weight tensor of shape: ", shape_str(w->shape()));
}

// nll_loss_nd's checks on log-probabilities [C], [N, C] or [N, C, d1, ...] and class-index targets.
void check_nll(const Value& x, const Value& t, const std::optional<Value>& w) {
  THUNDER_CHECK(x.rank() >= 1, Runtime, "Expected 1 or more dimensions (got ", x.rank(), ")");
  THUNDER_CHECK(t.dtype() == DType::Int64 || t.dtype() == DType::UInt8, Runtime,
                "expected target dtype to be Long or Byte, but got ", dtype_c10_name(t.dtype()));
  THUNDER_CHECK(x.rank() == 1 || x.shape()[0] == t.shape().at(0), Value, "Expected input batch_size (", x.shape()[0],
                ") to match target batch_size (", t.rank() ? t.shape()[0] : 0, ").");
  if (x.rank() == 1) {
    THUNDER_CHECK(t.rank() <= 1, Runtime, "0D or 1D target tensor expected, multi-target not supported");
    THUNDER_CHECK(t.rank() == 0 || t.shape()[0] == 1, Value, "For 1D input, 1D target must have size 1, but got target size: ",
                  t.shape()[0]);
  } else if (x.rank() == 2) {
    THUNDER_CHECK(t.rank() == 1, Runtime, "0D or 1D target tensor expected, multi-target not supported");
  } else {
    Shape want = {x.shape()[0]};
    want.insert(want.end(), x.shape().begin() + 2, x.shape().end());
    THUNDER_CHECK(t.shape() == want, Runtime, "Expected target size ", shape_str(want), ", got ", shape_str(t.shape()));
  }
  THUNDER_CHECK(is_floating(x.dtype()), NotImplemented, "nll_loss: expected a floating-point input, got ",
                dtype_name(x.dtype()));
  check_weight(w, x.shape()[x.rank() == 1 ? 0 : 1]);
  THUNDER_CHECK(!w || w->dtype() == x.dtype(), Runtime, "expected scalar type ", dtype_c10_name(x.dtype()), " but found ",
                dtype_c10_name(w->dtype()));
  common_device("nll_loss", {x, t, w.value_or(x)});
}

// What nll_loss and cross_entropy share: per-element losses and the weights of their targets
// (zero where ignored), in the computation dtype.
struct Picked {
  Value loss;    // -w[t] * x[t], target-shaped
  Value weight;  // w[t], or 1, and 0 where the target is ignored
  Value ignored;
};

Picked pick(const Value& x, const Value& target, const std::optional<Value>& w, int64_t ignore_index) {
  // a [C] input takes a [] target, or a [1] one that torch reads as []
  Value t = convert(target, DType::Int64);
  if (x.rank() == 1) t = nn::reshape(t, {});
  const Value& xc = x;
  int64_t class_dim = xc.rank() == 1 ? 0 : 1;
  Value ignored = call("prims.eq", {t, num(ignore_index)});
  Value safe = where(ignored, num(0), t);
  Value logp = nn::reshape(call("prims.take_along_axis", {xc, unsqueeze(safe, class_dim), num(class_dim)}), t.shape());
  Value wt = w ? nn::reshape(call("prims.take", {convert(*w, xc.dtype()), nn::reshape(safe, {numel(t.shape())}), num(0)}),
                             t.shape())
               : convert(call("prims.ne", {t, num(ignore_index)}), xc.dtype());
  if (w) wt = where(ignored, num(0.0), wt);
  return {-logp * wt, wt, ignored};
}

Value nll(const Value& x, const Value& target, const std::optional<Value>& w, int64_t ignore_index,
          const std::string& mode) {
  DType result = x.dtype();
  Picked p = pick(convert(x, opmath_type(result)), target, w, ignore_index);
  std::vector<int64_t> all = nn::dims_from(0, p.loss.rank());
  Value out = mode == "none" ? p.loss
              : mode == "sum" ? nn::sum(p.loss, all)
                              : nn::sum(p.loss, all) / nn::sum(p.weight, all);
  return convert(out, result);
}

Value nll_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::optional<Value> w = a.opt_tensor(2);
  std::string mode = nn::reduction_mode(a, 3, 5, 6);
  check_nll(x, t, w);
  return nll(x, t, w, a.int_(4), mode);
}

Value cross_entropy(const Args& a) {
  const Value& in = a.tensor(0);
  const Value& t = a.tensor(1);
  std::optional<Value> w = a.opt_tensor(2);
  int64_t ignore_index = a.int_(4);
  std::string mode = nn::reduction_mode(a, 3, 5, 6);
  double ls = nn::real(a, 7);
  THUNDER_CHECK(in.rank() >= 1 || in.shape() == t.shape(), Runtime, "Expected 1 or more dimensions (got 0)");
  int64_t class_dim = in.rank() <= 1 ? 0 : 1;
  int64_t classes = in.rank() ? in.shape()[class_dim] : 1;
  THUNDER_CHECK(ls <= 0 || ls <= 1, Runtime, "label_smoothing must be between 0.0 and 1.0. Got: ", python_repr(a[7]));
  THUNDER_CHECK(is_floating(in.dtype()), NotImplemented, "cross_entropy: expected a floating-point input, got ",
                dtype_name(in.dtype()));

  if (in.shape() == t.shape()) {
    // same shapes: the target holds class probabilities
    THUNDER_CHECK(is_floating(t.dtype()), Runtime, "Expected floating point type for target with class probabilities, got ",
                  dtype_c10_name(t.dtype()));
    THUNDER_CHECK(ignore_index < 0, Runtime, "ignore_index is not supported for floating point target");
    check_weight(w, classes);
    common_device("cross_entropy", {in, t, w.value_or(in)});
    Value logp = call("log_softmax", {in, num(class_dim)});
    std::vector<Value> operands = {logp, t};
    if (w) operands.push_back(*w);
    PromotedTypes pt = promote(operands, Promotion::Default);
    Value lp = convert(logp, pt.computation), tc = convert(t, pt.computation);
    if (ls > 0) tc = tc * (1.0 - ls) + ls / static_cast<double>(classes);
    Value prod = lp * tc;
    if (w) prod = prod * class_weight(*w, prod, class_dim);
    std::vector<int64_t> all = nn::dims_from(0, prod.rank());
    Value out = mode == "none"  ? -nn::sum(prod, in.rank() ? std::vector<int64_t>{class_dim} : std::vector<int64_t>{})
                : mode == "sum" ? -nn::sum(prod, all)
                                // torch divides by the number of samples; 0 samples give NaN
                                : -nn::sum(prod, all) / static_cast<double>(numel(in.shape()) / std::max<int64_t>(classes, 1));
    return convert(out, pt.result);
  }

  check_nll(in, t, w);
  Value logp = call("log_softmax", {in, num(class_dim)});
  Value loss = nll(logp, t, w, ignore_index, mode);
  if (ls <= 0) return loss;
  // label smoothing mixes in the loss against the uniform distribution, as torch's
  // cross_entropy_loss_label_smoothing does
  Value lp = convert(logp, opmath_type(in.dtype()));
  Value tt = convert(t, DType::Int64);
  if (lp.rank() == 1) tt = nn::reshape(tt, {});
  const Value& lpb = lp;
  Value weighted = w ? lpb * class_weight(*w, lpb, class_dim) : lpb;
  Value smooth = -nn::sum(weighted, {lpb.rank() == 1 ? 0 : 1});
  Value ignored = call("prims.eq", {tt, num(ignore_index)});
  smooth = where(ignored, num(0.0), smooth);
  std::vector<int64_t> all = nn::dims_from(0, smooth.rank());
  Value ret = smooth;
  if (mode == "sum") {
    ret = nn::sum(smooth, all);
  } else if (mode == "mean") {
    Picked p = pick(lp, t, w, ignore_index);
    ret = nn::sum(smooth, all) / nn::sum(p.weight, all);
  }
  Value mixed = (1.0 - ls) * convert(loss, lp.dtype()) + ret * (ls / static_cast<double>(classes));
  return convert(mixed, in.dtype());
}

// The broadcast input and target of the pointwise losses, as F's implementations expand them.
std::pair<Value, Value> expanded(const Value& x, const Value& t, std::string_view op) {
  common_device(op, {x, t});
  Shape s = broadcast_shapes(x.shape(), t.shape());
  return {broadcast_to(x, s), broadcast_to(t, s)};
}

// F's manual weighted path of mse_loss and l1_loss, through torch-level ops for their dtype rules.
Value weighted_loss(const Value& err, const Value& x, const Value& w, const std::string& mode) {
  THUNDER_CHECK(w.shape() == x.shape(), Value, "Weights and input must have the same size.");
  Value weighted = call("mul", {err, w});
  if (mode == "none") return weighted;
  Value s = call("sum", {weighted});
  return mode == "sum" ? s : call("div", {s, call("sum", {w})});
}

Value l1(const Value& x, const Value& t, const std::optional<Value>& w, const std::string& mode) {
  auto [ex, et] = expanded(x, t, "l1_loss");
  Value err = nn::abs(call("sub", {ex, et}));
  if (w) return weighted_loss(err, x, *w, mode);
  if (mode == "none") return err;
  return call(mode == "sum" ? "sum" : "mean", {err});
}

Value mse_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::string mode = nn::reduction_mode(a, 2, 3, 4);
  std::optional<Value> w = a.opt_tensor(5);
  auto [ex, et] = expanded(x, t, "mse_loss");
  if (w) return weighted_loss(call("pow", {call("sub", {ex, et}), num(2)}), x, *w, mode);
  PromotedTypes pt = promote({x, t}, Promotion::Default);
  THUNDER_CHECK(is_floating(pt.result), NotImplemented, "mse_loss: expected floating-point tensors, got ",
                dtype_name(pt.result));
  Value d = convert(ex, pt.computation) - convert(et, pt.computation);
  return convert(nn::reduce_loss(d * d, mode), pt.result);
}

Value smooth_l1_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::string mode = nn::reduction_mode(a, 2, 3, 4);
  double beta = nn::real(a, 5);
  THUNDER_CHECK(beta >= 0, Runtime, "smooth_l1_loss does not support negative values for beta.");
  if (beta == 0) return l1(x, t, std::nullopt, mode);
  auto [ex, et] = expanded(x, t, "smooth_l1_loss");
  PromotedTypes pt = promote({x, t}, Promotion::Default);
  THUNDER_CHECK(is_floating(pt.result), NotImplemented, "smooth_l1_loss: expected floating-point tensors, got ",
                dtype_name(pt.result));
  Value z = nn::abs(convert(ex, pt.computation) - convert(et, pt.computation));
  Value loss = where(call("prims.lt", {z, num(beta)}), 0.5 * z * z / beta, z - 0.5 * beta);
  return convert(nn::reduce_loss(loss, mode), pt.result);
}

Value binary_cross_entropy(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::optional<Value> w = a.opt_tensor(2);
  std::string mode = nn::reduction_mode(a, 3, 4, 5);
  THUNDER_CHECK(t.shape() == x.shape(), Value, "Using a target size (", torch_size(t.shape()),
                ") that is different to the input size (", torch_size(x.shape()),
                ") is deprecated. Please ensure they have the same size.");
  THUNDER_CHECK(is_floating(x.dtype()), NotImplemented, "binary_cross_entropy: expected a floating-point input, got ",
                dtype_name(x.dtype()));
  THUNDER_CHECK(t.dtype() == x.dtype(), Runtime, "Found dtype ", dtype_c10_name(t.dtype()), " but expected ",
                dtype_c10_name(x.dtype()));
  common_device("binary_cross_entropy", {x, t, w.value_or(x)});
  if (w)
    THUNDER_CHECK(broadcast_shapes(t.shape(), w->shape()) == x.shape(), Runtime,
                  "binary_cross_entropy: expected weight of a shape that broadcasts to ", shape_str(x.shape()), ", got ",
                  shape_str(w->shape()));
  DType comp = opmath_type(x.dtype());
  Value xc = convert(x, comp), tc = convert(t, comp);
  // torch clamps the logs at -100 so that 0 and 1 give finite losses
  auto log_clamped = [](const Value& v) { return nn::clamp_min(call("prims.log", {v}), num(-100.0)); };
  Value loss = (tc - 1.0) * log_clamped(1.0 - xc) - tc * log_clamped(xc);
  if (w) loss = loss * broadcast_to(convert(*w, comp), x.shape());
  return convert(nn::reduce_loss(loss, mode), x.dtype());
}

Value binary_cross_entropy_with_logits(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::optional<Value> w = a.opt_tensor(2), pw = a.opt_tensor(6);
  std::string mode = nn::reduction_mode(a, 3, 4, 5);
  THUNDER_CHECK(t.shape() == x.shape(), Value, "Target size (", torch_size(t.shape()),
                ") must be the same as input size (", torch_size(x.shape()), ")");
  THUNDER_CHECK(is_floating(x.dtype()), NotImplemented,
                "binary_cross_entropy_with_logits: expected a floating-point input, got ", dtype_name(x.dtype()));
  // torch computes in place on (1 - target), so the loss has the target's dtype
  THUNDER_CHECK(is_floating(t.dtype()), Runtime, "result type ", dtype_c10_name(promote({x, t}, Promotion::Default).result),
                " can't be cast to the desired output type ", dtype_c10_name(t.dtype()));
  common_device("binary_cross_entropy_with_logits", {x, t, w.value_or(x), pw.value_or(x)});
  // weight and pos_weight multiply in place, so they must broadcast to the input's shape
  for (const auto& p : {pw, w}) {
    if (!p) continue;
    Shape s = broadcast_shapes(x.shape(), p->shape());
    THUNDER_CHECK(s == x.shape(), Runtime, "output with shape ", shape_str(x.shape()),
                  " doesn't match the broadcast shape ", shape_str(s));
  }
  std::vector<Value> operands = {x, t};
  if (w) operands.push_back(*w);
  if (pw) operands.push_back(*pw);
  DType comp = opmath_type(promote(operands, Promotion::Default).result);
  Value xc = convert(x, comp), tc = convert(t, comp);
  // torch keeps log_sigmoid(input) in the input's dtype (weighting it in place), so round there
  auto in_input_dtype = [&](const Value& v) { return convert(convert(v, x.dtype()), comp); };
  Value log_sig = in_input_dtype(nn::clamp_max(xc, num(0.0)) - call("prims.log", {1.0 + exp(-nn::abs(xc))}));
  if (pw) log_sig = in_input_dtype(log_sig * ((broadcast_to(convert(*pw, comp), x.shape()) - 1.0) * tc + 1.0));
  Value loss = (1.0 - tc) * xc - log_sig;
  if (w) loss = loss * broadcast_to(convert(*w, comp), x.shape());
  return convert(nn::reduce_loss(loss, mode), t.dtype());
}

}  // namespace

void register_nn_loss(Registry& r) {
  r.add({.schema = "cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, "
                   "reduction='mean', label_smoothing=0.0)",
         .print_name = "torch.nn.functional.cross_entropy",
         .torch_names = {"torch.nn.functional.cross_entropy"},
         .fusion = FusionClass::Reduction,
         .impl = cross_entropy});
  r.add({.schema = "nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, "
                   "reduction='mean')",
         .print_name = "torch.nn.functional.nll_loss",
         .torch_names = {"torch.nn.functional.nll_loss"},
         .fusion = FusionClass::Reduction,
         .impl = nll_loss});
  r.add({.schema = "mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None)",
         .print_name = "torch.nn.functional.mse_loss",
         .torch_names = {"torch.nn.functional.mse_loss"},
         .fusion = FusionClass::Reduction,
         .impl = mse_loss});
  // torch 2.13's F.l1_loss drops `weight` when it defers to __torch_function__, so a weight given
  // there never arrives; the entry still honors one passed to it.
  r.add({.schema = "l1_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None)",
         .print_name = "torch.nn.functional.l1_loss",
         .torch_names = {"torch.nn.functional.l1_loss"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           std::string mode = nn::reduction_mode(a, 2, 3, 4);
           return l1(a.tensor(0), a.tensor(1), a.opt_tensor(5), mode);
         }});
  r.add({.schema = "smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0)",
         .print_name = "torch.nn.functional.smooth_l1_loss",
         .torch_names = {"torch.nn.functional.smooth_l1_loss"},
         .fusion = FusionClass::Reduction,
         .impl = smooth_l1_loss});
  r.add({.schema = "binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, "
                   "reduction='mean')",
         .print_name = "torch.nn.functional.binary_cross_entropy",
         .torch_names = {"torch.nn.functional.binary_cross_entropy"},
         .fusion = FusionClass::Reduction,
         .impl = binary_cross_entropy});
  r.add({.schema = "binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, "
                   "reduction='mean', pos_weight=None)",
         .print_name = "torch.nn.functional.binary_cross_entropy_with_logits",
         .torch_names = {"torch.nn.functional.binary_cross_entropy_with_logits"},
         .fusion = FusionClass::Reduction,
         .impl = binary_cross_entropy_with_logits});
}

}  // namespace thunder::ops
