// Linear algebra: prims.matmul (an opaque library call with torch.matmul's full semantics) and the
// torch-level matmul, linear and outer.
#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

void check_same_dtype(std::string_view op, std::string_view names, const std::vector<Value>& ts) {
  for (const auto& t : ts) {
    if (t.dtype() == ts[0].dtype()) continue;
    std::string got;
    for (const auto& u : ts) got += (got.empty() ? "" : ", ") + std::string(dtype_name(u.dtype()));
    throw UserError(ErrorKind::Runtime, cat(op, ": expected ", names, " to have the same dtype, got ", got));
  }
  THUNDER_CHECK(ts[0].dtype() != DType::Bool, Runtime, op, ": bool tensors are not supported");
}

Value matmul_meta(const Args& a) {
  const Value& x = a.tensor(0);
  const Value& y = a.tensor(1);
  THUNDER_CHECK(x.rank() >= 1 && y.rank() >= 1, Runtime, "both arguments to matmul need to be at least 1D, but they are ",
                x.rank(), "D and ", y.rank(), "D");
  check_same_dtype("matmul", "both inputs", {x, y});
  Device dev = common_device("matmul", {x, y});
  THUNDER_CHECK(dev.type != DeviceType::CUDA || is_inexact(x.dtype()), Runtime,
                "matmul: integer tensors are not supported on cuda, got ", dtype_name(x.dtype()));
  const Shape &xs = x.shape(), &ys = y.shape();
  if (x.rank() == 1 && y.rank() == 1) {
    THUNDER_CHECK(xs[0] == ys[0], Runtime, "matmul: expected both vectors to have the same size, got ", shape_str(xs),
                  " and ", shape_str(ys));
    return new_tensor({}, x.dtype(), dev);
  }
  // treat vectors as a row (left) or a column (right), then drop that dim from the result
  int64_t k_x = xs.back();
  int64_t k_y = y.rank() == 1 ? ys[0] : ys[ys.size() - 2];
  THUNDER_CHECK(k_x == k_y, Runtime, "matmul: expected the last dim of the first input to match ",
                y.rank() == 1 ? "the size of the second" : "the second-to-last dim of the second", ", got shapes ",
                shape_str(xs), " and ", shape_str(ys));
  Shape bx = x.rank() > 2 ? Shape(xs.begin(), xs.end() - 2) : Shape{};
  Shape by = y.rank() > 2 ? Shape(ys.begin(), ys.end() - 2) : Shape{};
  Shape out = broadcast_shapes(bx, by);
  if (x.rank() >= 2) out.push_back(xs[xs.size() - 2]);
  if (y.rank() >= 2) out.push_back(ys.back());
  return new_tensor(out, x.dtype(), dev);
}

}  // namespace

void register_linalg(Registry& r) {
  // vectors become a row (left) or a column (right); batch dims that broadcast are summed back
  r.add({.schema = "prims.matmul(a, b)",
         .fusion = FusionClass::Opaque,
         // batched products whose batch dims do not fold run without copies (runtime/aten_forms.py)
         .aten = "__import__('thunder.runtime.aten_forms', fromlist=['matmul']).matmul",
         .impl = matmul_meta,
         .vjp = [](const Args& args, const Value&, const Value& g) -> std::vector<Value> {
           const Value &a = args[0], &b = args[1];
           Value a2 = a.rank() == 1 ? reshape_to(a, {1, a.shape()[0]}) : a;
           Value b2 = b.rank() == 1 ? reshape_to(b, {b.shape()[0], 1}) : b;
           Shape gs = g.shape();
           if (a.rank() == 1) gs.insert(gs.end() - (b.rank() == 1 ? 0 : 1), 1);
           if (b.rank() == 1) gs.push_back(1);
           Value g2 = reshape_to(g, gs);
           Value ga = sum_to_shape(call("prims.matmul", {g2, transpose_last(b2)}), a2.shape());
           Value gb;
           if (b.rank() == 2 && a.rank() > 2) {
             // a batched input against one matrix (linear's weight): one [K, rows] @ [rows, M]
             // product, as eager computes it, not a batched product summed over the batch
             int64_t k = a.shape().back(), m = b.shape().back();
             int64_t rows = 1;
             for (size_t d = 0; d + 1 < a.shape().size(); ++d) rows *= a.shape()[d];
             gb = call("prims.matmul", {transpose_last(reshape_to(a, {rows, k})), reshape_to(g, {rows, m})});
           } else {
             gb = sum_to_shape(call("prims.matmul", {transpose_last(a2), g2}), b2.shape());
           }
           return {reshape_to(ga, a.shape()), reshape_to(gb, b.shape())};
         }});

  r.add({.schema = "matmul(input, other)",
         .print_name = "torch.matmul",
         .torch_names = {"torch.matmul", "torch.Tensor.matmul", "torch.Tensor.__matmul__"},
         .reflected_names = {"torch.Tensor.__rmatmul__"},
         .impl = [](const Args& a) { return call("prims.matmul", {a.tensor(0), a.tensor(1)}); }});

  r.add({.schema = "linear(input, weight, bias=None)",
         .print_name = "torch.nn.functional.linear",
         .torch_names = {"torch.nn.functional.linear", "torch._C._nn.linear"},
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& w = a.tensor(1);
           std::optional<Value> b = a.opt_tensor(2);
           THUNDER_CHECK(x.rank() >= 1, Runtime, "linear: expected input of at least 1 dimension, got ",
                         shape_str(x.shape()));
           THUNDER_CHECK(w.rank() == 1 || w.rank() == 2, Runtime, "linear: expected weight of 1 or 2 dimensions, got ",
                         shape_str(w.shape()));
           int64_t in = x.shape().back();
           THUNDER_CHECK(w.shape().back() == in, Runtime, "linear: expected weight of shape ",
                         w.rank() == 2 ? "[*, " : "[", in, "], got ", shape_str(w.shape()));
           std::vector<Value> ts = {x, w};
           if (b) ts.push_back(*b);
           check_same_dtype("linear", b ? "input, weight and bias" : "input and weight", ts);
           common_device("linear", ts);
           Value wt = w.rank() == 2 ? call("prims.permute", {w, int_list({1, 0})}) : w;
           Value y = call("prims.matmul", {x, wt});
           if (!b) return y;
           Shape s = broadcast_shapes(y.shape(), b->shape());
           THUNDER_CHECK(s == y.shape(), Runtime, "linear: expected bias of a shape that broadcasts to ",
                         shape_str(y.shape()), ", got ", shape_str(b->shape()));
           using namespace pm;
           return y + broadcast_to(*b, y.shape());
         },
         // matmul's rule on (input, weight^T) for the input; the weight's as eager computes it,
         // g^T @ input over the flattened batch, which comes out in the weight's own [out, in]
         // layout (a transposed result would make every gradient accumulation a strided copy); the
         // bias sums the cotangent over the batch
         .vjp = [](const Args& a, const Value& y, const Value& g) -> std::vector<Value> {
           const Value &x = a[0], &w = a[1];
           Value wt = w.rank() == 2 ? permute(w, {1, 0}) : w;
           const Symbol& mm = op_table().at("prims.matmul");
           std::vector<Value> gs = mm.vjp()(Args(mm, {x, wt}), y, g);
           Value gw = gs[1];
           if (w.rank() == 2) {
             int64_t out = w.shape()[0], in = w.shape()[1], rows = 1;
             for (int64_t d = 0; d + 1 < x.rank(); ++d) rows *= x.shape()[d];
             gw = call("prims.matmul", {transpose_last(reshape_to(g, {rows, out})), reshape_to(x, {rows, in})});
           }
           return {gs[0], gw, a[2].is_tensor() ? sum_to_shape(g, a[2].shape()) : Value()};
         }});

  // torch computes outer as a broadcast product (input[:, None] * vec2), so it promotes like mul
  r.add({.schema = "outer(input, vec2)",
         .print_name = "torch.outer",
         .torch_names = {"torch.outer", "torch.Tensor.outer", "torch.ger", "torch.Tensor.ger"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           const Value& y = a.tensor(1);
           THUNDER_CHECK(x.rank() == 1, Runtime, "outer: Expected 1-D argument self, but got ", x.rank(), "-D");
           THUNDER_CHECK(y.rank() == 1, Runtime, "outer: Expected 1-D argument vec2, but got ", y.rank(), "-D");
           common_device("outer", {x, y});
           return call("mul", {reshape_to(x, {x.shape()[0], 1}), y});
         }});
}

}  // namespace thunder::ops
