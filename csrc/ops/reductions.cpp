// Reductions: the reduction prims (sum, prod, amax, amin over explicit dims), the index-returning
// and ordering prims (argmax, argmin, cumsum, cumprod, topk, sort), and the torch-level ops built
// on them. Statistics (var, std, norms) live in reductions_statistics.cpp.
#include <algorithm>
#include <cmath>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

Shape reduced_shape(const Shape& s, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!reduced) out.push_back(s[i]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

Value reduce(std::string_view prim, const Value& x, const std::vector<int64_t>& dims, bool keepdim) {
  if (dims.empty()) return x;
  Value y = call(prim, {x, int_list(dims)});
  if (keepdim) y = call("prims.reshape", {y, int_list(reduced_shape(x.shape(), dims, true))});
  return y;
}

namespace {

Value reduction_prim_meta(const Args& a) {
  const Value& t = a.tensor(0);
  // torch.sum and torch.prod return int64 for smaller integer types
  std::string_view name = a.symbol().name();
  THUNDER_ASSERT(!(name == "prims.sum" || name == "prims.prod") || is_inexact(t.dtype()) || t.dtype() == DType::Int64,
                 name, ": expected a floating or int64 operand, got ", dtype_name(t.dtype()));
  std::vector<int64_t> dims = a.int_list(1);
  THUNDER_ASSERT(!dims.empty(), a.symbol().name(), ": empty dims (torch would reduce everything)");
  for (size_t i = 0; i < dims.size(); ++i)
    THUNDER_ASSERT(dims[i] >= 0 && dims[i] < t.rank() && (i == 0 || dims[i] > dims[i - 1]), a.symbol().name(),
                   ": dims must be sorted, unique and in range");
  return new_tensor(reduced_shape(t.shape(), dims, false), t.dtype(), t.meta().device);
}

// A prim over one dim (in range; 0 for a zero-dim tensor) that keeps the shape: cumsum, cumprod.
Value scan_prim_meta(const Args& a) {
  const Value& t = a.tensor(0);
  int64_t d = a.int_(1);
  THUNDER_ASSERT(d >= 0 && d < std::max<int64_t>(t.rank(), 1), a.symbol().name(), ": dim out of range");
  THUNDER_ASSERT(is_inexact(t.dtype()) || t.dtype() == DType::Int64, a.symbol().name(),
                 ": expected a floating or int64 operand, got ", dtype_name(t.dtype()));
  return new_tensor(t.shape(), t.dtype(), t.meta().device);
}

// topk and sort: the values' cotangent goes back to where the indices say they came from
std::vector<Value> scatter_values_vjp(const Args& a, const Value& out, const Value& g) {
  Value gv = cotangent_at(g, 0);
  if (!gv) return {Value()};
  const Value& x = a[0];
  if (x.rank() == 0) return {gv};
  return {call("prims.scatter_add", {zeros_like(x), a[2 - (a.symbol().name() == "prims.sort")], out.items()[1], gv})};
}

// argmax / argmin over one dim (a zero-dim tensor has only dim 0), the dim dropped
Value arg_prim_meta(const Args& a) {
  const Value& t = a.tensor(0);
  int64_t d = a.int_(1);
  THUNDER_ASSERT(d >= 0 && d < std::max<int64_t>(t.rank(), 1), a.symbol().name(), ": dim out of range");
  THUNDER_ASSERT(t.dtype() != DType::Bool, a.symbol().name(), ": bool operand");
  std::vector<int64_t> dims;
  if (t.rank()) dims.push_back(d);
  return new_tensor(reduced_shape(t.shape(), dims, false), DType::Int64, t.meta().device);
}

// The size of dim `d`, where a zero-dim tensor counts as one element along dim 0.
int64_t dim_size(const Value& x, int64_t d) { return x.rank() ? x.shape()[d] : 1; }

// sum and mean share argument handling: dim=None means every dim; dtype= casts the input first.
struct SumArgs {
  Value x;
  std::vector<int64_t> dims;
  bool keepdim;
  std::optional<DType> dtype;
};

SumArgs sum_args(const Args& a) {
  const Value& x = a.tensor(0);
  return {x, reduction_dims(a.symbol().name(), a.opt_int_list(1), x.rank()), a.bool_(2), a.opt_dtype(3)};
}

// integers and bools accumulate in int64 unless a dtype is asked for, as torch's sum and prod do
DType accumulating_result(const Value& x, std::optional<DType> dtype) {
  return dtype ? *dtype : is_inexact(x.dtype()) ? x.dtype() : DType::Int64;
}

// What sum, prod, cumsum and cumprod compute in: float16/bfloat16 in float32, and integers in
// int64 (the prims follow torch, which returns int64 for integer operands); the result is cast
// to the requested dtype once at the end.
DType accumulation(DType result) { return is_inexact(result) ? opmath_type(result) : DType::Int64; }

// amax and amin: dims as sum takes them, but no identity, so empty reductions are errors.
Value extremum(const Args& a, const char* op, const char* prim) {
  const Value& x = a.tensor(0);
  THUNDER_CHECK(!is_complex(x.dtype()), Runtime, op, ": complex tensors are not supported, got ",
                dtype_name(x.dtype()));
  std::optional<std::vector<int64_t>> given = a.opt_int_list(1);
  std::vector<int64_t> dims = reduction_dims(op, given, x.rank());
  if (!given || given->empty())
    THUNDER_CHECK(numel(x.shape()) > 0, Runtime, op,
                  "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with "
                  "the 'dim' argument.");
  for (int64_t d : dims)
    THUNDER_CHECK(x.shape()[d] != 0, Index, op, "(): Expected reduction dim ", d, " to have non-zero size.");
  return reduce(prim, x, dims, a.bool_(2));
}

// The index of the first extreme element along `dim` (None: of the flattened tensor).
Value arg_extremum(const Value& x, std::optional<int64_t> dim, bool keepdim, const char* op, const char* prim) {
  if (!dim) {
    THUNDER_CHECK(numel(x.shape()) > 0, Index, op, "(): Expected reduction dim to be specified for input.numel() == 0.");
    Value flat = x.rank() == 1 ? x : reshape_to(x, {numel(x.shape())});
    Value y = call(prim, {flat, num(0)});
    return keepdim ? reshape_to(y, Shape(x.rank(), 1)) : y;
  }
  int64_t d = wrap_dim(*dim, x.rank());
  THUNDER_CHECK(dim_size(x, d) != 0, Index, op, "(): Expected reduction dim ", d, " to have non-zero size.");
  Value y = call(prim, {x, num(d)});
  if (keepdim && x.rank()) y = reshape_to(y, reduced_shape(x.shape(), {d}, true));
  return y;
}

// torch.max / torch.min: the full reduction, the (values, indices) form with a dim, and the
// binary form, which is torch.maximum / torch.minimum.
Value max_min(const Args& a, const char* op, const char* prim, const char* arg_prim, const char* binary) {
  const Value& x = a.tensor(0);
  if (a[1].is_tensor()) {
    THUNDER_CHECK(op_table().find(binary), NotImplemented, op, "(input, other) is not supported yet, use torch.",
                  binary);
    return call(binary, {x, a[1]});
  }
  THUNDER_CHECK(!is_complex(x.dtype()), Runtime, op, "(): complex tensors are not supported, got ",
                dtype_name(x.dtype()));
  bool keepdim = a.bool_(2);
  if (a[1].is_none()) {
    THUNDER_CHECK(!keepdim, Type, op, "(): keepdim=True needs a dim to reduce");
    THUNDER_CHECK(numel(x.shape()) > 0, Runtime, op,
                  "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with "
                  "the 'dim' argument.");
    return reduce(prim, x, reduction_dims(op, std::nullopt, x.rank()), false);
  }
  int64_t d = wrap_dim(a.int_(1), x.rank());
  THUNDER_CHECK(dim_size(x, d) != 0, Index, op, "(): Expected reduction dim ", d, " to have non-zero size.");
  std::vector<int64_t> dims;
  if (x.rank()) dims.push_back(d);
  Value values = reduce(prim, x, dims, keepdim);
  // argmax/argmin reject bool; uint8 orders the same way
  Value indices = arg_extremum(x.dtype() == DType::Bool ? convert(x, DType::UInt8) : x, d, keepdim, op, arg_prim);
  return Value::sequence({values, indices});
}

// max / min. With a dim the cotangent goes to the returned index, as torch sends it (ties do not
// share it); over everything it is shared among the elements equal to the result (a NaN result
// among the NaNs); max(input, other) is the elementwise rule of maximum/minimum, ties halved.
std::vector<Value> max_min_vjp(const Args& a, const Value& out, const Value& g, bool is_max) {
  using namespace pm;
  const Value& x = a[0];
  if (a[1].is_tensor()) {
    const Value& other = a[1];
    PromotedTypes t = promote({x, other}, Promotion::Default);
    Shape shape = common_shape({x, other});
    Device dev = out.meta().device;
    Value xa = convert(broadcast_to(to_device(x, dev), shape), t.computation);
    Value oa = convert(broadcast_to(to_device(other, dev), shape), t.computation);
    Value gc = convert(g, t.computation), zero = zeros_like(gc);
    auto side = [&](const Value& mine, const Value& theirs, const Value& v) -> Value {
      if (!is_inexact(v.dtype())) return Value();
      Value loses = is_max ? lt(mine, theirs) : gt(mine, theirs);
      Value gv = where(eq(mine, theirs), gc / 2, where(loses, zero, gc));
      return convert(to_device(sum_to_shape(gv, v.shape()), v.meta().device), v.dtype());
    };
    return {side(xa, oa, x), side(oa, xa, other)};
  }
  if (out.is_tensor()) {
    if (x.rank() == 0) return {g};
    Value ys = broadcast_to(reshape_to(out, Shape(x.rank(), 1)), x.shape());
    Value mask = bitwise_or(eq(x, ys), bitwise_and(ne(x, x), ne(ys, ys)));
    Value count = reduce("prims.sum", convert(mask, x.dtype()), reduction_dims("max", std::nullopt, x.rank()), false);
    return {where(mask, broadcast_to(reshape_to(g / count, Shape(x.rank(), 1)), x.shape()), zeros_like(x))};
  }
  Value gv = cotangent_at(g, 0);
  if (!gv) return {Value()};
  if (x.rank() == 0) return {gv};
  int64_t d = wrap_dim(a.int_(1), x.rank());
  Value idx = out.items()[1];
  if (!a.bool_(2)) {
    Shape kept = reduced_shape(x.shape(), {d}, true);
    gv = reshape_to(gv, kept);
    idx = reshape_to(idx, kept);
  }
  return {call("prims.scatter_add", {zeros_like(x), num(d), idx, gv})};
}

// all / any: counts the true elements. The result is bool, except that uint8 stays uint8.
Value all_any(const Args& a, bool all) {
  const Value& x = a.tensor(0);
  // unlike sum, an empty dim list reduces nothing
  std::optional<std::vector<int64_t>> given = a.opt_int_list(1);
  std::vector<int64_t> dims;
  if (!given || !given->empty()) dims = reduction_dims(all ? "all" : "any", given, x.rank());
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  Value n = reduce("prims.sum", convert(convert(x, DType::Bool), DType::Int64), dims, a.bool_(2));
  Value y = all ? call("prims.eq", {n, num(count)}) : call("prims.gt", {n, num(0)});
  return convert(y, x.dtype() == DType::UInt8 ? DType::UInt8 : DType::Bool);
}

// cumsum / cumprod: integers and bools accumulate in int64; float16/bfloat16 in float32.
Value scan(const Args& a, const char* prim) {
  const Value& x = a.tensor(0);
  int64_t d = wrap_dim(a.int_(1), x.rank());
  DType result = accumulating_result(x, a.opt_dtype(2));
  return convert(call(prim, {convert(x, accumulation(result)), num(d)}), result);
}

// torch.sort's overload with `stable=` takes dim and descending only as keywords.
std::function<std::string(const std::vector<Value>&)> sort_printer(std::string name) {
  return [name](const std::vector<Value>& a) {
    std::string s = name + "(" + python_repr(a[0]);
    if (a[3].as_bool())
      return s + ", dim=" + python_repr(a[1]) + ", descending=" + python_repr(a[2]) + ", stable=True)";
    bool descending = a[2].as_bool();
    if (descending || a[1].as_int() != -1) s += ", " + python_repr(a[1]);
    if (descending) s += ", True";
    return s + ")";
  };
}

Value sort_impl(const Args& a) {
  const Value& x = a.tensor(0);
  int64_t d = wrap_dim(a.int_(1), x.rank());
  THUNDER_CHECK(!is_complex(x.dtype()), Runtime, "sort(): complex tensors are not supported, got ",
                dtype_name(x.dtype()));
  return call("prims.sort", {x, num(d), Value::constant(a.bool_(2)), Value::constant(a.bool_(3))});
}

}  // namespace

void register_reductions(Registry& r) {
  using namespace pm;
  r.add({.schema = "prims.sum(a, dims)",
         .fusion = FusionClass::Reduction,
         .aten = "torch.sum",
         .impl = reduction_prim_meta,
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {unreduce(g, a.int_list(1), a[0].shape())};
         }});
  // amax / amin: the gradient is shared evenly among the elements equal to the extremum, as torch does
  for (const char* name : {"amax", "amin"})
    r.add({.schema = cat("prims.", name, "(a, dims)"),
           .fusion = FusionClass::Reduction,
           .aten = cat("torch.", name),
           .impl = reduction_prim_meta,
           .vjp = [](const Args& a, const Value& y, const Value& g) -> std::vector<Value> {
             const Value& x = a[0];
             std::vector<int64_t> dims = a.int_list(1);
             // a NaN result came from the NaNs, which share its gradient
             Value ys = unreduce(y, dims, x.shape());
             Value mask = bitwise_or(eq(x, ys), bitwise_and(ne(x, x), ne(ys, ys)));
             Value count = call("prims.sum", {convert(mask, x.dtype()), int_list(dims)});
             return {where(mask, unreduce(g / count, dims, x.shape()), zeros_like(x))};
           }});
  // torch.prod takes one dim: the reduced dims go last and are flattened into one
  r.add({.schema = "prims.prod(a, dims)",
         .fusion = FusionClass::Reduction,
         .aten = "lambda a, dims: torch.prod(a.permute([d for d in range(a.ndim) if d not in dims] + list(dims))"
                 ".flatten(a.ndim - len(dims)), -1)",
         .impl = reduction_prim_meta,
         // the product of the others: y / x in a slice without zeros; in a slice with one zero, that
         // element gets the product of the rest and the others 0; with several zeros, all 0 (torch's
         // prod_backward, which computes the one-zero case by exclusive products)
         .vjp = [](const Args& a, const Value& y, const Value& g) -> std::vector<Value> {
           std::vector<int64_t> dims = a.int_list(1);
           const Value& x = a[0];
           const Shape& s = x.shape();
           Value gu = unreduce(g, dims, s);
           Value zero = eq(x, num(0));
           Value zeros_in = unreduce(call("prims.sum", {convert(zero, x.dtype()), int_list(dims)}), dims, s);
           Value rest = unreduce(call("prims.prod", {where(zero, num(1.0), x), int_list(dims)}), dims, s);
           Value lone_zero = bitwise_and(zero, eq(zeros_in, num(1)));
           return {where(eq(zeros_in, num(0)), gu * unreduce(y, dims, s) / x,
                         where(lone_zero, gu * rest, zeros_like(x)))};
         }});
  r.add({.schema = "prims.argmax(a, dim)", .aten = "torch.argmax", .impl = arg_prim_meta, .differentiable = false});
  r.add({.schema = "prims.argmin(a, dim)", .aten = "torch.argmin", .impl = arg_prim_meta, .differentiable = false});
  // reversed cumulative sums
  r.add({.schema = "prims.cumsum(a, dim)",
         .aten = "torch.cumsum",
         .impl = scan_prim_meta,
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           if (g.rank() == 0) return {g};
           Value d = int_list({a.int_(1)});
           Value flipped = call("prims.flip", {g, d});
           return {call("prims.flip", {call("prims.cumsum", {flipped, a[1]}), d})};
         }});
  // sum over k >= i of g_k y_k / x_i (exact where x has no zeros)
  r.add({.schema = "prims.cumprod(a, dim)",
         .aten = "torch.cumprod",
         .impl = scan_prim_meta,
         // grad_i = sum over k >= i of g_k * (the product of x_0..x_k without x_i). Before the first
         // zero of a slice that is the reversed cumulative sum of g * y over x; the first zero gets the
         // same sum with itself replaced by 1 (later zeros still cut it); everything after it gets 0
         // (torch's cumprod_backward)
         .vjp = [](const Args& a, const Value& y, const Value& g) -> std::vector<Value> {
           if (g.rank() == 0) return {g};
           const Value& x = a[0];
           Value d = int_list({a.int_(1)});
           auto reversed_cumsum = [&](const Value& v) {
             return call("prims.flip", {call("prims.cumsum", {call("prims.flip", {v, d}), a[1]}), d});
           };
           Value zero = eq(x, num(0));
           Value zeros_so_far = call("prims.cumsum", {convert(zero, x.dtype()), a[1]});
           Value first_zero = bitwise_and(zero, eq(zeros_so_far, num(1)));
           Value y_without = call("prims.cumprod", {where(first_zero, num(1.0), x), a[1]});
           return {where(eq(zeros_so_far, num(0)), reversed_cumsum(g * y) / x,
                         where(first_zero, reversed_cumsum(g * y_without), zeros_like(x)))};
         }});
  r.add({.schema = "prims.topk(a, k, dim, largest, sorted)",
         .aten = "torch.topk",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           int64_t k = a.int_(1), d = a.int_(2);
           THUNDER_ASSERT(d >= 0 && d < std::max<int64_t>(t.rank(), 1) && k >= 0 && k <= dim_size(t, d),
                          "prims.topk: k or dim out of range");
           Shape s = t.shape();
           if (t.rank()) s[d] = k;
           return Value::sequence({new_tensor(s, t.dtype(), t.meta().device), new_tensor(s, DType::Int64, t.meta().device)});
         },
         .vjp = scatter_values_vjp});
  r.add({.schema = "prims.sort(a, dim, descending, stable)",
         .aten = "lambda a, dim, descending, stable: torch.sort(a, dim=dim, descending=descending, stable=stable)",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           int64_t d = a.int_(1);
           THUNDER_ASSERT(d >= 0 && d < std::max<int64_t>(t.rank(), 1), "prims.sort: dim out of range");
           (void)a.bool_(2), (void)a.bool_(3);
           return Value::sequence({new_tensor(t.shape(), t.dtype(), t.meta().device),
                                   new_tensor(t.shape(), DType::Int64, t.meta().device)});
         },
         .vjp = scatter_values_vjp});

  r.add({.schema = "sum(input, dim=None, keepdim=False, *, dtype=None)",
         .print_name = "torch.sum",
         .torch_names = {"torch.sum", "torch.Tensor.sum"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           SumArgs s = sum_args(a);
           DType result = accumulating_result(s.x, s.dtype);
           Value y = reduce("prims.sum", convert(s.x, accumulation(result)), s.dims, s.keepdim);
           return convert(y, result);
         }});

  r.add({.schema = "prod(input, dim=None, keepdim=False, *, dtype=None)",
         .print_name = "torch.prod",
         .torch_names = {"torch.prod", "torch.Tensor.prod"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           // torch.prod takes a single int dim, unlike sum
           if (!a[1].is_none() && !a[1].is_int()) a.type_error(1, "an int or None");
           std::vector<int64_t> dims;
           if (a[1].is_none()) dims = reduction_dims("prod", std::nullopt, x.rank());
           else if (int64_t d = wrap_dim(a.int_(1), x.rank()); x.rank()) dims.push_back(d);
           DType result = accumulating_result(x, a.opt_dtype(3));
           return convert(reduce("prims.prod", convert(x, accumulation(result)), dims, a.bool_(2)), result);
         }});

  r.add({.schema = "mean(input, dim=None, keepdim=False, *, dtype=None)",
         .print_name = "torch.mean",
         .torch_names = {"torch.mean", "torch.Tensor.mean"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           SumArgs s = sum_args(a);
           DType result = s.dtype.value_or(s.x.dtype());
           THUNDER_CHECK(is_inexact(result), Runtime, "mean(): could not infer output dtype. ",
                         s.dtype ? "Optional" : "Input", " dtype must be either a floating point or complex dtype. Got: ",
                         dtype_c10_name(result));
           int64_t count = 1;
           for (int64_t d : s.dims) count *= s.x.shape()[d];
           using namespace pm;
           Value y = reduce("prims.sum", convert(s.x, opmath_type(result)), s.dims, s.keepdim) / count;
           return convert(y, result);
         }});

  r.add({.schema = "amax(input, dim=(), keepdim=False)",
         .print_name = "torch.amax",
         .torch_names = {"torch.amax", "torch.Tensor.amax"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) { return extremum(a, "amax", "prims.amax"); }});
  r.add({.schema = "amin(input, dim=(), keepdim=False)",
         .print_name = "torch.amin",
         .torch_names = {"torch.amin", "torch.Tensor.amin"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) { return extremum(a, "amin", "prims.amin"); }});

  r.add({.schema = "max(input, dim=None, keepdim=False)",
         .print_name = "torch.max",
         .torch_names = {"torch.max", "torch.Tensor.max"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) { return max_min(a, "max", "prims.amax", "prims.argmax", "maximum"); },
         .vjp = [](const Args& a, const Value& out, const Value& g) { return max_min_vjp(a, out, g, true); }});
  r.add({.schema = "min(input, dim=None, keepdim=False)",
         .print_name = "torch.min",
         .torch_names = {"torch.min", "torch.Tensor.min"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) { return max_min(a, "min", "prims.amin", "prims.argmin", "minimum"); },
         .vjp = [](const Args& a, const Value& out, const Value& g) { return max_min_vjp(a, out, g, false); }});

  for (auto [name, prim] : {std::pair{"argmax", "prims.argmax"}, std::pair{"argmin", "prims.argmin"}}) {
    std::string op = name, p = prim;
    r.add({.schema = cat(name, "(input, dim=None, keepdim=False)"),
           .print_name = cat("torch.", name),
           .torch_names = {cat("torch.", name), cat("torch.Tensor.", name)},
           .impl = [op, p](const Args& a) {
             const Value& x = a.tensor(0);
             THUNDER_CHECK(x.dtype() != DType::Bool, Runtime, op, "(): does not support bool input");
             THUNDER_CHECK(!is_complex(x.dtype()), Runtime, op, "(): complex tensors are not supported, got ",
                           dtype_name(x.dtype()));
             std::optional<int64_t> dim;
             if (!a[1].is_none()) dim = a.int_(1);
             return arg_extremum(x, dim, a.bool_(2), op.c_str(), p.c_str());
           }});
  }

  r.add({.schema = "all(input, dim=None, keepdim=False)",
         .print_name = "torch.all",
         .torch_names = {"torch.all", "torch.Tensor.all"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) { return all_any(a, true); }});
  r.add({.schema = "any(input, dim=None, keepdim=False)",
         .print_name = "torch.any",
         .torch_names = {"torch.any", "torch.Tensor.any"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) { return all_any(a, false); }});

  r.add({.schema = "logsumexp(input, dim, keepdim=False)",
         .print_name = "torch.logsumexp",
         .torch_names = {"torch.logsumexp", "torch.Tensor.logsumexp", "torch.special.logsumexp"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           const Value& in = a.tensor(0);
           std::vector<int64_t> given = a.int_list(1, /*allow_single=*/true);
           THUNDER_CHECK(!given.empty(), Runtime, "logsumexp: expected at least one dim to reduce, got ()");
           std::vector<int64_t> dims = reduction_dims("logsumexp", given, in.rank());
           bool keepdim = a.bool_(2);
           PromotedTypes t = promote({in}, Promotion::IntToFloat);
           using namespace pm;
           Value x = convert(in, t.computation);
           if (dims.empty()) return convert(x, t.result);
           // subtract the max for stability; an infinite max would give inf - inf, so it becomes 0
           bool empty = std::any_of(dims.begin(), dims.end(), [&](int64_t d) { return x.shape()[d] == 0; });
           if (empty) return convert(call("prims.log", {reduce("prims.sum", exp(x), dims, keepdim)}), t.result);
           Value m = reduce("prims.amax", x, dims, true);
           m = where(call("prims.eq", {m, num(INFINITY)}), num(0.0), m);
           m = where(call("prims.eq", {m, num(-INFINITY)}), num(0.0), m);
           Value s = reduce("prims.sum", exp(x - broadcast_to(m, x.shape())), dims, keepdim);
           Value y = call("prims.log", {s}) + (keepdim ? m : reshape_to(m, s.shape()));
           return convert(y, t.result);
         }});

  r.add({.schema = "cumsum(input, dim, *, dtype=None)",
         .print_name = "torch.cumsum",
         .torch_names = {"torch.cumsum", "torch.Tensor.cumsum"},
         .inplace_names = {"torch.Tensor.cumsum_"},
         .impl = [](const Args& a) { return scan(a, "prims.cumsum"); }});
  r.add({.schema = "cumprod(input, dim, *, dtype=None)",
         .print_name = "torch.cumprod",
         .torch_names = {"torch.cumprod", "torch.Tensor.cumprod"},
         .inplace_names = {"torch.Tensor.cumprod_"},
         .impl = [](const Args& a) { return scan(a, "prims.cumprod"); }});

  r.add({.schema = "topk(input, k, dim=-1, largest=True, sorted=True)",
         .print_name = "torch.topk",
         .torch_names = {"torch.topk", "torch.Tensor.topk"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           int64_t k = a.int_(1);
           int64_t d = wrap_dim(a.int_(2), x.rank());
           THUNDER_CHECK(k >= 0 && k <= dim_size(x, d), Runtime, "selected index k out of range");
           THUNDER_CHECK(x.dtype() != DType::Bool || x.meta().device.type != DeviceType::CPU, Runtime,
                         "topk does not support bool dtypes on CPU");
           THUNDER_CHECK(!is_complex(x.dtype()), Runtime, "topk: complex tensors are not supported, got ",
                         dtype_name(x.dtype()));
           return call("prims.topk", {x, num(k), num(d), Value::constant(a.bool_(3)), Value::constant(a.bool_(4))});
         }});

  r.add({.schema = "sort(input, dim=-1, descending=False, *, stable=False)",
         .print_name = "torch.sort",
         .torch_names = {"torch.sort", "torch.Tensor.sort"},
         .print = sort_printer("torch.sort"),
         .impl = sort_impl});
  r.add({.schema = "argsort(input, dim=-1, descending=False, *, stable=False)",
         .print_name = "torch.argsort",
         .torch_names = {"torch.argsort", "torch.Tensor.argsort"},
         .print = sort_printer("torch.argsort"),
         .impl = [](const Args& a) { return sort_impl(a).items()[1]; }});
}

}  // namespace thunder::ops
