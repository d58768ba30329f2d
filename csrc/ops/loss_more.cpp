// More losses and distances: huber_loss, kl_div, cosine_similarity, pairwise_distance, and the
// margin, embedding and likelihood losses (margin_ranking, triplet_margin, hinge_embedding,
// soft_margin, multilabel_soft_margin, cosine_embedding, poisson_nll, gaussian_nll), written as
// torch's ATen or Python implementations compose them, through torch-level ops for their dtype rules.
#include <cmath>
#include <numbers>

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


// torch.Size([3, 1]), as torch's Python losses print sizes
std::string torch_size(const Shape& s) {
  std::string out = "torch.Size([";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "])";
}

// the legacy reduction pair where given, else `reduction` as torch's Python-level losses check it
// (with their wording, "x is not valid")
std::string python_reduction(const Args& a, std::optional<size_t> size_average, std::optional<size_t> reduce,
                             size_t reduction) {
  if (size_average && reduce && (!a[*size_average].is_none() || !a[*reduce].is_none()))
    return nn::reduction_mode(a, *size_average, *reduce, reduction);
  std::string mode = a.str(reduction);
  THUNDER_CHECK(mode == "none" || mode == "mean" || mode == "sum", Value, mode, " is not valid");
  return mode;
}

Value clamp0(const Value& v) { return call("clamp_min", {v, num(0)}); }

// max(0, -target * (input1 - input2) + margin)
Value margin_ranking_loss(const Args& a) {
  const Value& x1 = a.tensor(0);
  const Value& x2 = a.tensor(1);
  const Value& t = a.tensor(2);
  std::string mode = nn::reduction_mode(a, 4, 5, 6);
  THUNDER_CHECK(x1.rank() == x2.rank() && x1.rank() == t.rank(), Runtime,
                "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ",
                torch_size(x1.shape()), ", input2: ", torch_size(x2.shape()), ", target: ", torch_size(t.shape()), " ");
  Value loss = clamp0(call("add", {call("mul", {call("neg", {t}), call("sub", {x1, x2})}), a[3]}));
  return reduce_with(loss, mode);
}

// max(0, margin + d(anchor, positive) - d(anchor, negative)), the negative distance the smaller of
// d(a, n) and d(p, n) with swap=True
Value triplet_margin_loss(const Args& a) {
  const Value& an = a.tensor(0);
  const Value& po = a.tensor(1);
  const Value& ne = a.tensor(2);
  std::string mode = nn::reduction_mode(a, 7, 8, 9);
  double margin = nn::real(a, 3);
  THUNDER_CHECK(margin > 0, Value, "margin must be greater than 0, got ", python_repr(a[3]));
  THUNDER_CHECK(an.rank() == po.rank() && po.rank() == ne.rank(), Runtime, "The anchor, positive, and negative tensors "
                "are expected to have the same number of dimensions, but got: anchor ", an.rank(), "D, positive ",
                po.rank(), "D, and negative ", ne.rank(), "D inputs");
  auto dist = [&](const Value& x, const Value& y) { return call("pairwise_distance", {x, y, a[4], a[5]}); };
  Value pos = dist(an, po), neg = dist(an, ne);
  if (a.bool_(6)) neg = call("minimum", {neg, dist(po, ne)});
  return reduce_with(clamp0(call("sub", {call("add", {pos, a[3]}), neg})), mode);
}

// the input where target != -1, plus max(0, margin - input) where target != 1
Value hinge_embedding_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::string mode = nn::reduction_mode(a, 3, 4, 5);
  Value zeros = call("zeros_like", {x});
  Value margin_part = call("where", {call("ne", {t, num(1)}), clamp0(call("sub", {a[2], x})), zeros});
  Value self_part = call("where", {call("ne", {t, num(-1)}), x, zeros});
  return reduce_with(call("add", {margin_part, self_part}), mode);
}

// log(1 + exp(-target * input))
Value soft_margin_loss(const Args& a) {
  std::string mode = nn::reduction_mode(a, 2, 3, 4);
  Value z = call("mul", {call("neg", {a.tensor(0)}), a.tensor(1)});
  return reduce_with(call("log1p", {call("exp", {z})}), mode);
}

// the mean over classes (the last dim) of the sigmoid cross entropies, weighted per class
Value multilabel_soft_margin_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::optional<Value> w = a.opt_tensor(2);
  std::string mode = python_reduction(a, 3, 4, 5);
  auto logsig = [](const Value& v) { return call("logsigmoid", {v}); };
  Value loss = call("neg", {call("add", {call("mul", {t, logsig(x)}),
                                         call("mul", {call("sub", {num(1), t}), logsig(call("neg", {x}))})})});
  if (w) loss = call("mul", {loss, *w});
  int64_t class_dim = x.rank() - 1;
  THUNDER_CHECK(x.rank() >= 1, Index, "Dimension specified as -1 but tensor has no dimensions");
  loss = call("div", {call("sum", {loss, num(class_dim)}), num(x.shape()[class_dim])});
  return reduce_with(loss, mode);
}

// 1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1 (cos over the last dim,
// with torch's 1e-12 added to each squared magnitude)
Value cosine_embedding_loss(const Args& a) {
  const Value& x1 = a.tensor(0);
  const Value& x2 = a.tensor(1);
  const Value& t = a.tensor(2);
  std::string mode = nn::reduction_mode(a, 4, 5, 6);
  int64_t td = t.rank();
  THUNDER_CHECK(td == 1 || td == 0, Runtime, "0D or 1D target tensor expected, multi-target not supported");
  THUNDER_CHECK(x1.rank() == td + 1 && x2.rank() == td + 1, Runtime, td, "D target tensor expects ", td + 1,
                "D input tensors, but found inputs with sizes ", shape_str(x1.shape()), " and ", shape_str(x2.shape()),
                ".");
  auto sum_last = [&](const Value& v) { return call("sum", {v, num(td)}); };
  Value prod = sum_last(call("mul", {x1, x2}));
  Value m1 = call("add", {sum_last(call("mul", {x1, x1})), num(1e-12)});
  Value m2 = call("add", {sum_last(call("mul", {x2, x2})), num(1e-12)});
  Value cos = call("div", {prod, call("sqrt", {call("mul", {m1, m2})})});
  Value zeros = call("zeros_like", {cos});
  Value pos = call("where", {call("eq", {t, num(1)}), call("sub", {num(1), cos}), zeros});
  Value neg = call("where", {call("eq", {t, num(-1)}), clamp0(call("sub", {cos, a[3]})), zeros});
  return reduce_with(call("add", {pos, neg}), mode);
}

// exp(input) - target * input (log_input), else input - target * log(input + eps); full adds
// Stirling's approximation of log(target!) where target > 1
Value poisson_nll_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  std::string mode = a[4].is_none() && a[6].is_none() ? reduction_arg(a, 7) : nn::reduction_mode(a, 4, 6, 7);
  Value loss = a.bool_(2) ? call("sub", {call("exp", {x}), call("mul", {t, x})})
                          : call("sub", {x, call("mul", {t, call("log", {call("add", {x, a[5]})})})});
  if (a.bool_(3)) {
    Value stirling = call("add", {call("sub", {call("mul", {t, call("log", {t})}), t}),
                                  call("mul", {num(0.5), call("log", {call("mul", {num(2 * std::numbers::pi), t})})})});
    loss = call("add", {loss, call("masked_fill", {stirling, call("le", {t, num(1)}), num(0)})});
  }
  return reduce_with(loss, mode);
}

// 0.5 * (log(var) + (input - target)^2 / var), var clamped below at eps. torch clamps under
// no_grad, so the gradient reaches var as if unclamped: var - detach(var) + detach(clamped) has the
// clamped value and the identity's gradient. torch also rejects negative entries of var, a check
// on values that a trace cannot make (negative entries are clamped to eps here).
Value gaussian_nll_loss(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& t = a.tensor(1);
  Value var = a[2];
  if (!var.is_tensor()) {
    THUNDER_CHECK(nn::real(a, 2) >= 0, Value, "var has negative entry/entries");
    var = call("full_like", {x, var});
  }
  const Shape &xs = x.shape(), &vs = var.shape();
  if (vs != xs) {
    int64_t mismatched = 0;
    if (xs.size() == vs.size())
      for (size_t i = 0; i < xs.size(); ++i) mismatched += xs[i] != vs[i] ? vs[i] : 0;
    if (!xs.empty() && Shape(xs.begin(), xs.end() - 1) == vs) var = call("unsqueeze", {var, num(-1)});
    else THUNDER_CHECK(xs.size() == vs.size() && mismatched == 1, Value, "var is of incorrect size");
  }
  std::string mode = a.str(5);
  THUNDER_CHECK(mode == "none" || mode == "mean" || mode == "sum", Value, mode, " is not valid");
  Value clamped = call("detach", {call("clamp_min", {var, a[4]})});
  Value v = call("add", {call("sub", {var, call("detach", {var})}), clamped});
  Value d = call("sub", {x, t});
  Value loss = call("mul", {num(0.5), call("add", {call("log", {v}), call("div", {call("mul", {d, d}), v})})});
  if (a.bool_(3)) loss = call("add", {loss, num(0.5 * std::log(2 * std::numbers::pi))});
  return reduce_with(loss, mode);
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
  // torch.margin_ranking_loss and the like take the reduction as an enum: only the functional forms
  auto loss = [&](std::string schema, ImplFn impl) {
    std::string name = "torch.nn.functional." + schema.substr(0, schema.find('('));
    r.add({.schema = std::move(schema),
           .print_name = name,
           .torch_names = {name},
           .fusion = FusionClass::Reduction,
           .impl = std::move(impl)});
  };
  loss("margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction='mean')",
       margin_ranking_loss);
  loss("triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, size_average=None, "
       "reduce=None, reduction='mean')",
       triplet_margin_loss);
  loss("hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction='mean')",
       hinge_embedding_loss);
  loss("soft_margin_loss(input, target, size_average=None, reduce=None, reduction='mean')", soft_margin_loss);
  loss("multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction='mean')",
       multilabel_soft_margin_loss);
  loss("cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction='mean')",
       cosine_embedding_loss);
  loss("poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08, reduce=None, "
       "reduction='mean')",
       poisson_nll_loss);
  loss("gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction='mean')", gaussian_nll_loss);
}

}  // namespace thunder::ops
