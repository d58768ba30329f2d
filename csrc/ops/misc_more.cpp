// Small ops of several families that compose existing ones: Tensor.view_as/reshape_as (shape),
// logit and sinc (elementwise, torch.special too), count_nonzero, nansum and nanmean (reductions).
#include <numbers>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;

Value logit(const Args& a) {
  const Value& in = a.tensor(0);
  PromotedTypes t = promote({in}, Promotion::IntToFloat);
  Value x = convert(in, t.computation);
  if (!a[1].is_none()) {
    double eps = nn::real(a, 1);
    if (eps >= 0) x = nn::clamp_max(nn::clamp_min(x, num(eps)), num(1.0 - eps));  // NaN passes
  }
  return convert(log(x / (1.0 - x)), t.result);
}

// sin(pi x) / (pi x), and 1 at 0. The quotient divides a copy of x with 1 at 0, so that its zero
// cotangent there does not become 0/0 (torch's derivative at 0 is 0).
Value sinc(const Args& a) {
  const Value& in = a.tensor(0);
  PromotedTypes t = promote({in}, Promotion::IntToFloat);
  Value x = convert(in, t.computation);
  Value at_zero = eq(x, num(0));
  Value px = where(at_zero, num(1.0), x) * std::numbers::pi;
  return convert(where(at_zero, num(1.0), call("prims.sin", {px}) / px), t.result);
}

// NaN replaced by zero, for the nan-ignoring reductions (integers have no NaN)
Value zero_nan(const Value& x) { return is_inexact(x.dtype()) ? where(ne(x, x), num(0.0), x) : x; }

Value nansum(const Args& a) {
  const Value& x = a.tensor(0);
  THUNDER_CHECK(!is_complex(x.dtype()), Runtime, "nansum does not support complex inputs");
  return call("sum", {zero_nan(x), a[1], a[2]}, {{"dtype", a[3]}});
}

// nansum / the number of non-NaN elements, as torch composes it
Value nanmean(const Args& a) {
  const Value& x = a.tensor(0);
  THUNDER_CHECK(is_inexact(x.dtype()) || (!a[3].is_none() && is_inexact(a.opt_dtype(3).value())), Runtime,
                "nanmean(): expected input to have floating point or complex dtype but got ", dtype_c10_name(x.dtype()));
  Value count = call("sum", {call("logical_not", {call("isnan", {x})}), a[1], a[2]});
  return call("div", {call("sum", {zero_nan(x), a[1], a[2]}, {{"dtype", a[3]}}), count});
}

Value count_nonzero(const Args& a) {
  const Value& x = a.tensor(0);
  Value nz = call("ne", {x, num(0)});
  return a[1].is_none() ? call("sum", {nz}) : call("sum", {nz, a[1]});
}

}  // namespace

void register_misc_more(Registry& r) {
  r.add({.schema = "view_as(input, other)",
         .print_name = "torch.Tensor.view_as",
         .torch_names = {"torch.Tensor.view_as"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) { return call("view", {a.tensor(0), int_list(a.tensor(1).shape())}); }});
  r.add({.schema = "reshape_as(input, other)",
         .print_name = "torch.Tensor.reshape_as",
         .torch_names = {"torch.Tensor.reshape_as"},
         .fusion = FusionClass::Shape,
         .view = true,
         .impl = [](const Args& a) { return call("reshape", {a.tensor(0), int_list(a.tensor(1).shape())}); }});
  r.add({.schema = "logit(input, eps=None)",
         .print_name = "torch.logit",
         .torch_names = {"torch.logit", "torch.Tensor.logit", "torch.special.logit"},
         .fusion = FusionClass::Elementwise,
         .impl = logit});
  r.add({.schema = "sinc(input)",
         .print_name = "torch.sinc",
         .torch_names = {"torch.sinc", "torch.Tensor.sinc", "torch.special.sinc"},
         .fusion = FusionClass::Elementwise,
         .impl = sinc});
  r.add({.schema = "nansum(input, dim=None, keepdim=False, *, dtype=None)",
         .print_name = "torch.nansum",
         .torch_names = {"torch.nansum", "torch.Tensor.nansum"},
         .fusion = FusionClass::Reduction,
         .impl = nansum});
  r.add({.schema = "nanmean(input, dim=None, keepdim=False, *, dtype=None)",
         .print_name = "torch.nanmean",
         .torch_names = {"torch.nanmean", "torch.Tensor.nanmean"},
         .fusion = FusionClass::Reduction,
         .impl = nanmean,
         // torch composes it as nansum / count: the gradient is g / count spread over the slice,
         // times the not-NaN mask (a product, so an all-NaN slice's 0 / 0 reaches its elements as
         // NaN, as in eager; the decomposition's selection would give 0)
         .vjp = [](const Args& a, const Value& y, const Value& g) -> std::vector<Value> {
           using namespace pm;
           const Value& x = a.tensor(0);
           std::vector<int64_t> dims = reduction_dims("nanmean", a.opt_int_list(1), x.rank());
           Value kept = convert(eq(x, x), y.dtype());
           Value count = reshape_to(reduce("prims.sum", kept, dims, false), g.shape());
           return {convert(unreduce(g / count, dims, x.shape()) * kept, x.dtype())};
         }});
  r.add({.schema = "count_nonzero(input, dim=None)",
         .print_name = "torch.count_nonzero",
         .torch_names = {"torch.count_nonzero", "torch.Tensor.count_nonzero"},
         .fusion = FusionClass::Reduction,
         .impl = count_nonzero});
}

}  // namespace thunder::ops
