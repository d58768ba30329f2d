// Scans and sorted-sequence lookups: logcumsumexp, cummax and cummin (values and indices),
// searchsorted and bucketize. Each is one ATen call (a sequential scan or a binary search has no
// decomposition into the elementwise and reduction prims that would not cost a quadratic amount
// of work); the scans carry VJP rules written with their own prims.
#include <limits>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

using namespace pm;

// A scan prim over one dim (in range; 0 for a zero-dim tensor) keeping the shape.
void check_scan_dim(const Args& a) {
  const Value& t = a.tensor(0);
  int64_t d = a.int_(1);
  THUNDER_ASSERT(d >= 0 && d < std::max<int64_t>(t.rank(), 1), a.symbol().name(), ": dim out of range");
}

// (values, indices): the running extremum and the index it was found at
Value cum_extremum_meta(const Args& a) {
  check_scan_dim(a);
  const Value& t = a.tensor(0);
  return Value::sequence({new_tensor(t.shape(), t.dtype(), t.meta().device),
                          new_tensor(t.shape(), DType::Int64, t.meta().device)});
}

// the values' cotangent goes back to the index each value was taken from (torch's
// cummaxmin_backward: a scatter_add, so an element kept over several steps sums their cotangents)
std::vector<Value> cum_extremum_vjp(const Args& a, const Value& out, const Value& g) {
  Value gv = cotangent_at(g, 0);
  if (!gv) return {Value()};
  if (a[0].rank() == 0) return {gv};
  return {call("prims.scatter_add", {zeros_like(a[0]), a[1], out.items()[1], gv})};
}

// d/dx_i of log(sum_{j<=k} exp x_j) summed against g_k: exp(x_i) * sum_{k>=i} g_k exp(-y_k). As
// torch computes it, in log space with the positive and negative parts of g apart, so that neither
// exp(x) nor exp(-y) overflows: exp(x_i + reversed_logcumsumexp(log g+ - y)) minus the same for g-.
std::vector<Value> logcumsumexp_vjp(const Args& a, const Value& y, const Value& g) {
  const Value& x = a[0];
  if (x.rank() == 0) return {g};
  Value d = int_list({a.int_(1)});
  auto reversed = [&](const Value& v) {
    return call("prims.flip", {call("prims.logcumsumexp", {call("prims.flip", {v, d}), a[1]}), d});
  };
  double lowest = std::numeric_limits<double>::lowest();
  if (x.dtype() != DType::Float64) lowest = std::numeric_limits<float>::lowest();
  if (x.dtype() == DType::Float16) lowest = -65504.0;
  if (x.dtype() == DType::BFloat16) lowest = -3.3895313892515355e38;
  Value log_abs = log(abs(g));
  Value pos = where(gt(g, num(0)), log_abs, num(lowest));
  Value neg = where(lt(g, num(0)), log_abs, num(lowest));
  return {exp(reversed(pos - y) + x) - exp(reversed(neg - y) + x)};
}

Value cum_extremum(const Args& a, const char* prim) {
  const Value& x = a.tensor(0);
  int64_t d = wrap_dim(a.int_(1), x.rank());
  THUNDER_CHECK(!is_complex(x.dtype()), Runtime, a.symbol().name(), "(): complex tensors are not supported, got ",
                dtype_name(x.dtype()));
  return call(prim, {x, num(d)});
}

// The checks torch's searchsorted makes on its arguments (messages as in ATen's Bucketization).
void check_searchsorted(const Value& boundaries, const Value& input, const std::optional<Value>& sorter) {
  const Shape& b = boundaries.shape();
  THUNDER_CHECK(b.size() >= 1, Runtime, "torch.searchsorted(): boundaries tensor should have positive dimension, "
                "but got 0 dimension");
  if (input.is_tensor() && b.size() != 1) {
    const Shape& v = input.shape();
    bool leading = v.size() == b.size() && std::equal(b.begin(), b.end() - 1, v.begin());
    THUNDER_CHECK(leading, Runtime, "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                  "dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor ",
                  shape_str(b), " and input value tensor ", shape_str(v));
  }
  if (!sorter) return;
  THUNDER_CHECK(sorter->dtype() == DType::Int64, Runtime, "torch.searchsorted(): sorter must be a tensor of long "
                "dtype but got dtype ", dtype_c10_name(sorter->dtype()));
  THUNDER_CHECK(sorter->shape() == b, Runtime, "torch.searchsorted(): boundary and sorter must have the same size, but "
                "got boundary tensor ", shape_str(b), "and got sorter tensor ", shape_str(sorter->shape()));
}

Value lookup(const Value& boundaries, const Value& input, bool out_int32, bool right, const Value& sorter) {
  THUNDER_CHECK(!is_complex(boundaries.dtype()) && (!input.is_tensor() || !is_complex(input.dtype())), Runtime,
                "torch.searchsorted(): complex tensors are not supported");
  if (input.is_tensor()) common_device("searchsorted", {boundaries, input});
  return call("prims.searchsorted", {boundaries, input, Value::constant(out_int32), Value::constant(right), sorter});
}

Value searchsorted(const Args& a) {
  const Value& boundaries = a.tensor(0);
  const Value& input = a.tensor_or_number(1);
  bool right = a.bool_(3);
  if (std::optional<std::string> side = a.opt_str(4)) {
    THUNDER_CHECK(*side == "left" || *side == "right", Runtime,
                  "torch.searchsorted(): side can only be 'left' or 'right' but got ", *side);
    THUNDER_CHECK(!right || *side == "right", Runtime, "torch.searchsorted(): side and right can't be set to "
                  "opposites, got side of ", *side, " while right was True");
    right = *side == "right";
  }
  std::optional<Value> sorter = a.opt_tensor(5);
  check_searchsorted(boundaries, input, sorter);
  return lookup(boundaries, input, a.bool_(2), right, sorter.value_or(Value::none()));
}

Value bucketize(const Args& a) {
  const Value& input = a.tensor_or_number(0);
  const Value& boundaries = a.tensor(1);
  THUNDER_CHECK(boundaries.rank() == 1, Runtime, "boundaries tensor must be 1 dimension, but got dim(",
                boundaries.rank(), ")");
  return lookup(boundaries, input, a.bool_(2), a.bool_(3), Value::none());
}

}  // namespace

void register_scan(Registry& r) {
  r.add({.schema = "prims.logcumsumexp(a, dim)",
         .aten = "torch.logcumsumexp",
         .impl = [](const Args& a) {
           check_scan_dim(a);
           const Value& t = a.tensor(0);
           THUNDER_ASSERT(is_inexact(t.dtype()), "prims.logcumsumexp: expected a floating operand");
           return new_tensor(t.shape(), t.dtype(), t.meta().device);
         },
         .vjp = logcumsumexp_vjp});
  for (const char* name : {"cummax", "cummin"})
    r.add({.schema = cat("prims.", name, "(a, dim)"),
           .aten = cat("torch.", name),
           .impl = cum_extremum_meta,
           .vjp = cum_extremum_vjp});
  // the index, for each value, of where it would be inserted to keep the sequence sorted
  r.add({.schema = "prims.searchsorted(sorted_sequence, values, out_int32, right, sorter)",
         .aten = "lambda s, v, out_int32, right, sorter: torch.searchsorted(s, v, out_int32=out_int32, right=right, "
                 "sorter=sorter)",
         .impl = [](const Args& a) {
           const Value& s = a.tensor(0);
           const Value& v = a.tensor_or_number(1);
           return new_tensor(v.is_tensor() ? v.shape() : Shape{}, a.bool_(2) ? DType::Int32 : DType::Int64,
                             s.meta().device);
         },
         .differentiable = false});

  r.add({.schema = "logcumsumexp(input, dim)",
         .print_name = "torch.logcumsumexp",
         .torch_names = {"torch.logcumsumexp", "torch.Tensor.logcumsumexp"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           int64_t d = wrap_dim(a.int_(1), x.rank());
           THUNDER_CHECK(is_inexact(x.dtype()), NotImplemented, "\"logcumsumexp_out\" not implemented for '",
                         dtype_c10_name(x.dtype()), "'");
           return call("prims.logcumsumexp", {x, num(d)});
         }});
  r.add({.schema = "cummax(input, dim)",
         .print_name = "torch.cummax",
         .torch_names = {"torch.cummax", "torch.Tensor.cummax"},
         .impl = [](const Args& a) { return cum_extremum(a, "prims.cummax"); }});
  r.add({.schema = "cummin(input, dim)",
         .print_name = "torch.cummin",
         .torch_names = {"torch.cummin", "torch.Tensor.cummin"},
         .impl = [](const Args& a) { return cum_extremum(a, "prims.cummin"); }});
  r.add({.schema = "searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None)",
         .print_name = "torch.searchsorted",
         .torch_names = {"torch.searchsorted"},
         .impl = searchsorted,
         .differentiable = false});
  r.add({.schema = "bucketize(input, boundaries, *, out_int32=False, right=False)",
         .print_name = "torch.bucketize",
         .torch_names = {"torch.bucketize"},
         .impl = bucketize,
         .differentiable = false});
}

}  // namespace thunder::ops
