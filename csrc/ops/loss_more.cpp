// More losses and distances: huber_loss, kl_div, cosine_similarity and pairwise_distance, written
// as torch's ATen implementations compose them, through torch-level ops for their dtype rules.
#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;

std::string reduction_arg(const Args& a, size_t i) {
  std::string mode = a.str(i);
  THUNDER_CHECK(mode == "none" || mode == "mean" || mode == "sum", Value, mode, " is not a valid value for reduction");
  return mode;
}

Value reduce_with(const Value& loss, const std::string& mode) {
  if (mode == "none") return loss;
  return call(mode == "sum" ? "sum" : "mean", {loss});
}

std::pair<Value, Value> broadcast_pair(const Value& x, const Value& y, std::string_view op) {
  common_device(op, {x, y});
  Shape s = common_shape({x, y});
  return {broadcast_to(x, s), broadcast_to(y, s)};
}

Value huber_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::string mode = reduction_arg(a, 2);
  double delta = nn::real(a, 3);
  std::optional<Value> w = a.opt_tensor(4);
  THUNDER_CHECK(delta > 0, Runtime, "huber_loss does not support non-positive values for delta.");
  auto [ex, et] = broadcast_pair(x, t, "huber_loss");
  PromotedTypes pt = promote({x, t}, Promotion::Default);
  THUNDER_CHECK(is_floating(pt.result), NotImplemented, "huber_loss: expected floating-point tensors, got ",
                dtype_name(pt.result));
  Value z = nn::abs(convert(ex, pt.computation) - convert(et, pt.computation));
  Value loss = convert(where(call("prims.lt", {z, num(delta)}), 0.5 * z * z, (z - 0.5 * delta) * delta), pt.result);
  if (!w) return mode == "none" ? loss : convert(nn::reduce_loss(convert(loss, pt.computation), mode), pt.result);
  THUNDER_CHECK(w->shape() == x.shape(), Value, "Weights and input must have the same size.");
  return reduce_with(call("mul", {loss, *w}), mode);
}

// target * (log(target) - input), or exp(target) * (target - input) for a log-space target
Value kl_div(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  bool batchmean = a.str(4) == "batchmean" && a[2].is_none() && a[3].is_none();
  std::string mode = batchmean ? "sum" : nn::reduction_mode(a, 2, 3, 4);
  Value loss = a.bool_(5) ? call("mul", {call("exp", {t}), call("sub", {t, x})})
                          : call("sub", {call("xlogy", {t, t}), call("mul", {t, x})});
  Value out = reduce_with(loss, mode);
  if (batchmean && x.rank() != 0) out = call("div", {out, num(x.shape()[0])});
  return out;
}

Value cosine_similarity(const Args& a) {
  const Value& x1 = a.tensor(0);
  const Value& x2 = a.tensor(1);
  double eps = nn::real(a, 3);
  DType common = promote({x1, x2}, Promotion::Default).result;
  THUNDER_CHECK(is_floating(common), Runtime, "expected common dtype to be floating point, yet common dtype is ",
                dtype_c10_name(common));
  auto [e1, e2] = broadcast_pair(convert(x1, common), convert(x2, common), "cosine_similarity");
  int64_t dim = a.int_(2);
  auto unit = [&](const Value& v) {
    Value norm = call("linalg_vector_norm", {v, num(2), int_list({dim}), Value::constant(true)});
    return call("div", {v, call("clamp", {norm, num(eps)})});
  };
  return call("sum", {call("mul", {unit(e1), unit(e2)}), num(dim)});
}

// the p-norm of x1 - x2 + eps over the last dim
Value pairwise_distance(const Args& a) {
  const Value& x1 = a.tensor(0);
  const Value& x2 = a.tensor(1);
  int64_t dim = std::max(x1.rank(), x2.rank()) - 1;
  Value diff = call("add", {call("sub", {x1, x2}), a[3]});
  return call("linalg_vector_norm", {diff, a[2], int_list({dim}), a[4]});
}

}  // namespace

void register_nn_loss_more(Registry& r) {
  r.add({.schema = "huber_loss(input, target, reduction='mean', delta=1.0, weight=None)",
         .print_name = "torch.nn.functional.huber_loss",
         .torch_names = {"torch.nn.functional.huber_loss"},
         .fusion = FusionClass::Reduction,
         .impl = huber_loss});
  r.add({.schema = "kl_div(input, target, size_average=None, reduce=None, reduction='mean', log_target=False)",
         .print_name = "torch.nn.functional.kl_div",
         .torch_names = {"torch.nn.functional.kl_div"},
         .fusion = FusionClass::Reduction,
         .impl = kl_div});
  r.add({.schema = "cosine_similarity(x1, x2, dim=1, eps=1e-08)",
         .print_name = "torch.nn.functional.cosine_similarity",
         .torch_names = {"torch.nn.functional.cosine_similarity", "torch.cosine_similarity"},
         .fusion = FusionClass::Reduction,
         .impl = cosine_similarity});
  r.add({.schema = "pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False)",
         .print_name = "torch.nn.functional.pairwise_distance",
         .torch_names = {"torch.nn.functional.pairwise_distance", "torch.pairwise_distance"},
         .fusion = FusionClass::Reduction,
         .impl = pairwise_distance});
}

}  // namespace thunder::ops
