// Products and differences composed from other ops: cdist (pairwise p-norm distances), tensordot
// (a contraction as one matrix product), diff (n-th forward differences) and cross / linalg.cross.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

using namespace pm;

// x1[..., P, M] and x2[..., R, M] as [..., P, R, M] differences, batch dims broadcast
Value pairwise_differences(const Value& x1, const Value& x2) {
  Shape b1(x1.shape().begin(), x1.shape().end() - 2), b2(x2.shape().begin(), x2.shape().end() - 2);
  Shape batch = broadcast_shapes(b1, b2);
  int64_t p = x1.shape()[x1.rank() - 2], r = x2.shape()[x2.rank() - 2], m = x1.shape().back();
  auto spread = [&](const Value& x, bool left) {
    const Shape& own = left ? b1 : b2;
    Shape s(batch.size() - own.size(), 1);
    s.insert(s.end(), own.begin(), own.end());
    s.insert(s.end(), {left ? p : 1, left ? 1 : r, m});
    Shape full = batch;
    full.insert(full.end(), {p, r, m});
    return broadcast_to(reshape_to(x, s), full);
  };
  return spread(x1, true) - spread(x2, false);
}

double cdist_p(const Args& a) {
  double p = nn::real(a, 2);
  THUNDER_CHECK(p >= 0, Runtime, "cdist only supports non-negative p values");
  return p;
}

// the p-norm over the last dim of every pair of rows. torch computes p=2 through a matrix product
// when there are more than 25 rows (compute_mode's default); this is the direct form, which rounds
// differently but agrees to the dtype's precision
Value cdist(const Args& a) {
  const Value& x1 = a.tensor(0);
  const Value& x2 = a.tensor(1);
  double p = cdist_p(a);
  std::string mode = a.str(3);
  THUNDER_CHECK(mode == "use_mm_for_euclid_dist_if_necessary" || mode == "use_mm_for_euclid_dist" ||
                    mode == "donot_use_mm_for_euclid_dist",
                Value, mode, " is not a valid value for compute_mode");
  for (auto [x, name] : {std::pair{x1, "X1"}, std::pair{x2, "X2"}}) {
    THUNDER_CHECK(is_floating(x.dtype()), Runtime, "cdist only supports floating-point dtypes, ", name, " got: ",
                  dtype_c10_name(x.dtype()));
    THUNDER_CHECK(x.rank() >= 2, Runtime, "cdist only supports at least 2D tensors, ", name, " got: ", x.rank(), "D");
  }
  THUNDER_CHECK(x1.dtype() == x2.dtype(), Runtime, "expected scalar type ", dtype_c10_name(x1.dtype()),
                " but found ", dtype_c10_name(x2.dtype()));
  Device dev = common_device("cdist", {x1, x2});
  bool half = x1.dtype() == DType::Float16 || x1.dtype() == DType::BFloat16;
  THUNDER_CHECK(!half || dev.type != DeviceType::CPU, NotImplemented, "\"cdist\" not implemented for '",
                dtype_c10_name(x1.dtype()), "'");
  THUNDER_CHECK(x1.shape().back() == x2.shape().back(), Runtime, "X1 and X2 must have the same number of columns. X1: ",
                x1.shape().back(), " X2: ", x2.shape().back());
  Value d = pairwise_differences(x1, x2);
  return call("linalg_vector_norm", {d, num(p), int_list({d.rank() - 1})});
}

// torch's _cdist_backward: each pair's difference times the norm's derivative, which is taken as 0
// where the distance is 0 (p = 2 and p < 2 divide by it) and for p = 0
std::vector<Value> cdist_vjp(const Args& a, const Value& dist, const Value& g) {
  const Value& x1 = a[0];
  const Value& x2 = a[1];
  double p = nn::real(a, 2);
  Value d = convert(pairwise_differences(x1, x2), opmath_type(x1.dtype()));
  Shape s = d.shape();
  Value y = broadcast_to(reshape_to(convert(dist, d.dtype()), reduced_shape(s, {d.rank() - 1}, true)), s);
  Value gs = broadcast_to(reshape_to(convert(g, d.dtype()), reduced_shape(s, {d.rank() - 1}, true)), s);
  Value zero = zeros_like(d);
  Value sign = call("sign", {d});
  Value grad;
  if (p == 0) grad = zero;
  else if (p == 1) grad = sign;
  else if (std::isinf(p)) grad = where(eq(nn::abs(d), y), sign, zero);
  else if (p == 2) grad = where(eq(y, num(0)), zero, d / y);
  else {
    Value ratio = call("prims.pow", {nn::abs(d) / y, num(p - 1)});
    grad = where(eq(y, num(0)), zero, sign * ratio);
  }
  Value gd = gs * grad;
  int64_t pr = d.rank() - 3;  // the P dim of the differences
  // x1 gets the sum over R (dim pr + 1), x2 minus the sum over P (dim pr); batch dims sum back to
  // each operand's shape
  Value g1 = call("prims.sum", {gd, int_list({pr + 1})});
  Value g2 = call("prims.sum", {-gd, int_list({pr})});
  return {convert(sum_to_shape(g1, x1.shape()), x1.dtype()), convert(sum_to_shape(g2, x2.shape()), x2.dtype())};
}

// dims as tensordot takes them: an int n (the last n of a with the first n of b) or two lists
std::pair<std::vector<int64_t>, std::vector<int64_t>> tensordot_dims(const Args& a, const Value& x, const Value& y) {
  if (a[2].is_int()) {
    int64_t n = a.int_(2);
    THUNDER_CHECK(n >= 0, Runtime, "tensordot expects dims >= 0, but got dims=", n);
    THUNDER_CHECK(n <= x.rank() && n <= y.rank(), Runtime, "tensordot expects dims < ndim_a or ndim_b, but got dims=", n);
    std::vector<int64_t> dx, dy;
    for (int64_t i = 0; i < n; ++i) dx.push_back(i - n), dy.push_back(i);
    return {dx, dy};
  }
  THUNDER_CHECK(a[2].is_sequence() && a[2].items().size() == 2, NotImplemented,
                "tensordot: expected dims to be an int or a pair of int lists, got ", python_repr(a[2]));
  auto list = [&](const Value& v) {
    std::vector<int64_t> out;
    if (v.is_int()) return std::vector<int64_t>{v.as_int()};
    THUNDER_CHECK(v.is_sequence(), Type, "tensordot: expected dims to be a pair of int lists, got ", python_repr(a[2]));
    for (const Value& i : v.items()) out.push_back(i.as_int());
    return out;
  };
  return {list(a[2].items()[0]), list(a[2].items()[1])};
}

Value tensordot(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& y = a.tensor(1);
  THUNDER_CHECK(a[3].is_none(), NotImplemented, "tensordot: out= is not supported");
  auto [dx, dy] = tensordot_dims(a, x, y);
  THUNDER_CHECK(dx.size() == dy.size(), Runtime, "both dimension lists should have same length");
  THUNDER_CHECK(x.dtype() == y.dtype(), Runtime, "both inputs should have same dtype");
  common_device("tensordot", {x, y});
  Value xs = x, ys = y;
  std::vector<bool> cx(x.rank()), cy(y.rank());
  std::vector<int64_t> wx, wy;
  for (size_t i = 0; i < dx.size(); ++i) {
    int64_t i1 = wrap_dim(dx[i], x.rank()), i2 = wrap_dim(dy[i], y.rank());
    int64_t s1 = x.shape()[i1], s2 = y.shape()[i2];
    THUNDER_CHECK(s1 == s2 || s1 == 1 || s2 == 1, Runtime, "contracted dimensions need to match, but first has size ",
                  s1, " in dim ", dx[i], " and second has size ", s2, " in dim ", dy[i]);
    // a size-1 dim against a longer one: the longer one is summed first (the product broadcasts)
    if (s1 != s2 && s1 == 1) ys = call("sum", {ys, num(i2), Value::constant(true)});
    if (s1 != s2 && s2 == 1) xs = call("sum", {xs, num(i1), Value::constant(true)});
    cx[i1] = cy[i2] = true;
    wx.push_back(i1), wy.push_back(i2);
  }
  // a's free dims then the contracted ones; b's contracted ones (in the same order) then its free dims
  std::vector<int64_t> px, py;
  Shape out;
  int64_t free_x = 1, free_y = 1, k = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (!cx[d]) px.push_back(d), out.push_back(x.shape()[d]), free_x *= x.shape()[d];
  for (int64_t d : wx) px.push_back(d), k *= xs.shape()[d];
  py = wy;
  for (int64_t d = 0; d < y.rank(); ++d)
    if (!cy[d]) py.push_back(d), out.push_back(y.shape()[d]), free_y *= y.shape()[d];
  Value m1 = call("reshape", {call("permute", {xs, int_list(px)}), int_list({free_x, k})});
  Value m2 = call("reshape", {call("permute", {ys, int_list(py)}), int_list({k, free_y})});
  return call("reshape", {call("matmul", {m1, m2}), int_list(out)});
}

Value diff(const Args& a) {
  const Value& x = a.tensor(0);
  int64_t n = a.int_(1);
  THUNDER_CHECK(x.rank() >= 1, Runtime, "diff expects input to be at least one-dimensional");
  THUNDER_CHECK(n >= 0, Runtime, "order must be non-negative but got ", n);
  int64_t dim = wrap_dim(a.int_(2), x.rank());
  std::vector<Value> parts;
  for (size_t i : {3, 4}) {
    std::optional<Value> t = a.opt_tensor(i);
    if (!t) continue;
    THUNDER_CHECK(t->rank() == x.rank(), Runtime, "diff expects prepend or append to be the same dimension as input");
    for (int64_t d = 0; d < x.rank(); ++d)
      THUNDER_CHECK(d == dim || t->shape()[d] == x.shape()[d], Runtime, "diff expects the shape of tensor to prepend "
                    "or append to match that of input except along the differencing dimension; input.size(", d,
                    ") = ", x.shape()[d], ", but got tensor.size(", d, ") = ", t->shape()[d]);
  }
  if (std::optional<Value> t = a.opt_tensor(3)) parts.push_back(*t);
  parts.push_back(x);
  if (std::optional<Value> t = a.opt_tensor(4)) parts.push_back(*t);
  Value y = parts.size() == 1 ? x : call("cat", {Value::sequence(parts, true), num(dim)});
  // bools differ where they are unequal, as torch computes them (logical_xor)
  const char* op = y.dtype() == DType::Bool ? "logical_xor" : "sub";
  for (int64_t i = 0; i < n && y.shape()[dim] > 0; ++i) {
    int64_t len = y.shape()[dim];
    y = call(op, {slice_dim(y, dim, 1, len), slice_dim(y, dim, 0, len - 1)});
  }
  return y;
}

// a x b along `dim` (size 3 in both; other dims broadcast), component by component
Value cross_along(const Value& x, const Value& y, int64_t dim) {
  THUNDER_CHECK(x.shape()[dim] == 3 && y.shape()[dim] == 3, Runtime, "linalg.cross: inputs dimension ", dim,
                " must have length 3. Got ", x.shape()[dim], " and ", y.shape()[dim]);
  THUNDER_CHECK(x.dtype() == y.dtype(), Runtime, "expected scalar type ", dtype_c10_name(x.dtype()), " but found ",
                dtype_c10_name(y.dtype()));
  THUNDER_CHECK(x.dtype() != DType::Bool, NotImplemented, "\"cross\" not implemented for 'Bool'");
  common_device("linalg.cross", {x, y});
  Shape s = common_shape({x, y});
  Value ex = broadcast_to(x, s), ey = broadcast_to(y, s);
  auto at = [&](const Value& v, int64_t i) { return slice_dim(v, dim, i, i + 1); };
  auto term = [&](int64_t i, int64_t j) {
    return call("sub", {call("mul", {at(ex, i), at(ey, j)}), call("mul", {at(ex, j), at(ey, i)})});
  };
  return call("cat", {Value::sequence({term(1, 2), term(2, 0), term(0, 1)}, true), num(dim)});
}

Value linalg_cross(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& y = a.tensor(1);
  THUNDER_CHECK(x.rank() == y.rank(), Runtime, "linalg.cross: inputs must have the same number of dimensions.");
  return cross_along(x, y, wrap_dim(a.int_(2), x.rank()));
}

// dim=None is the first dim of size 3 of the input (deprecated in torch, still accepted)
Value cross(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& y = a.tensor(1);
  THUNDER_CHECK(x.rank() == y.rank(), Runtime, "linalg.cross: inputs must have the same number of dimensions.");
  if (!a[2].is_none()) return cross_along(x, y, wrap_dim(a.int_(2), x.rank()));
  const Shape& s = x.shape();
  auto it = std::find(s.begin(), s.end(), 3);
  THUNDER_CHECK(it != s.end(), Runtime, "no dimension of size 3 in input");
  return cross_along(x, y, it - s.begin());
}

}  // namespace

void register_linalg_more(Registry& r) {
  r.add({.schema = "cdist(x1, x2, p=2.0, compute_mode='use_mm_for_euclid_dist_if_necessary')",
         .print_name = "torch.cdist",
         .torch_names = {"torch.cdist"},
         .fusion = FusionClass::Reduction,
         .impl = cdist,
         .vjp = cdist_vjp});
  r.add({.schema = "tensordot(a, b, dims=2, out=None)",
         .print_name = "torch.tensordot",
         .torch_names = {"torch.tensordot"},
         .impl = tensordot});
  r.add({.schema = "diff(input, n=1, dim=-1, prepend=None, append=None)",
         .print_name = "torch.diff",
         .torch_names = {"torch.diff", "torch.Tensor.diff"},
         .fusion = FusionClass::Elementwise,
         .impl = diff});
  r.add({.schema = "cross(input, other, dim=None)",
         .print_name = "torch.cross",
         .torch_names = {"torch.cross", "torch.Tensor.cross"},
         .fusion = FusionClass::Elementwise,
         .impl = cross});
  r.add({.schema = "linalg_cross(input, other, *, dim=-1)",
         .print_name = "torch.linalg.cross",
         .torch_names = {"torch.linalg.cross"},
         .fusion = FusionClass::Elementwise,
         .impl = linalg_cross});
}

}  // namespace thunder::ops
