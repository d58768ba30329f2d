// Index prims (iota, take, take_along_axis, slice) and the nn ops built on them: embedding and
// one_hot. The prims are the general ones gathers, ranges and slices decompose into (named after
// lightning-thunder's), not nn-specific.
#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

bool is_index_dtype(DType t) { return t == DType::Int64 || t == DType::Int32; }

// torch's legacy tensor type names, which its embedding message uses ("torch.FloatTensor")
std::string legacy_type_name(const Value& t) {
  bool cuda = t.meta().device.type == DeviceType::CUDA;
  return cat("torch.", cuda ? "cuda." : "", dtype_c10_name(t.dtype()), "Tensor");
}

void register_index_prims(Registry& r) {
  r.add({.schema = "prims.take(a, indices, dim)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, indices, dim: torch.index_select(a, dim, indices)",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           const Value& idx = a.tensor(1);
           int64_t dim = a.int_(2);
           THUNDER_ASSERT(idx.rank() <= 1 && is_index_dtype(idx.dtype()) && dim >= 0 && dim < t.rank(),
                          "prims.take: expected 1-D int indices and a dim in range");
           Shape s = t.shape();
           s[dim] = numel(idx.shape());
           return new_tensor(s, t.dtype(), t.meta().device);
         },
         // index_add into zeros, as a scatter_add of the index spread over the cotangent's shape
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           int64_t dim = a.int_(2);
           Shape column(g.rank(), 1);
           column[dim] = g.shape()[dim];
           Value idx = broadcast_to(reshape_to(convert(a[1], DType::Int64), column), g.shape());
           return {call("prims.scatter_add", {zeros_like(a[0]), a[2], idx, g}), Value(), Value()};
         }});

  r.add({.schema = "prims.take_along_axis(a, indices, dim)",
         .fusion = FusionClass::Opaque,
         .aten = "torch.take_along_dim",
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           const Value& idx = a.tensor(1);
           int64_t dim = a.int_(2);
           THUNDER_ASSERT(idx.dtype() == DType::Int64 && idx.rank() == t.rank() && dim >= 0 && dim < t.rank(),
                          "prims.take_along_axis: expected int64 indices of the input's rank");
           for (int64_t d = 0; d < t.rank(); ++d)
             THUNDER_ASSERT(d == dim || idx.shape()[d] == t.shape()[d],
                            "prims.take_along_axis: indices must match the input outside dim");
           return new_tensor(idx.shape(), t.dtype(), t.meta().device);
         },
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           return {gather_vjp(a[0], a.int_(2), a[1], g), Value(), Value()};
         }});
}

}  // namespace

void register_nn_index(Registry& r) {
  register_index_prims(r);

  r.add({.schema = "prims.embedding_backward(grad, indices, num_weights, padding_idx, scale_grad_by_freq)",
         .fusion = FusionClass::Opaque,
         .aten = "torch.ops.aten.embedding_dense_backward",
         .impl = [](const Args& a) {
           const Value& g = a.tensor(0);
           return new_tensor({a.int_(2), g.shape().back()}, g.dtype(), g.meta().device);
         }});

  r.add({.schema = "embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, "
                   "scale_grad_by_freq=False, sparse=False)",
         .print_name = "torch.nn.functional.embedding",
         .torch_names = {"torch.nn.functional.embedding"},
         .impl = [](const Args& a) {
           const Value& idx = a.tensor(0);
           const Value& w = a.tensor(1);
           // padding_idx, scale_grad_by_freq and sparse change only the gradient
           if (!a[2].is_none()) {
             int64_t p = a.int_(2), n = w.rank() > 0 ? w.shape()[0] : 0;
             THUNDER_CHECK(p < n && p >= -n, Value, "Padding_idx must be within num_embeddings");
           }
           THUNDER_CHECK(a[3].is_none(), NotImplemented,
                         "embedding: max_norm renormalizes the weight in place, which is not supported yet");
           THUNDER_CHECK(is_index_dtype(idx.dtype()), Runtime,
                         "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                         "Int; but got ",
                         legacy_type_name(idx), " instead (while checking arguments for embedding)");
           THUNDER_CHECK(w.rank() == 2, Runtime, "'weight' must be 2-D");
           common_device("embedding", {idx, w});
           Value rows = call("prims.take", {w, nn::reshape(idx, {numel(idx.shape())}), num(0)});
           Shape out = idx.shape();
           out.push_back(w.shape()[1]);
           return nn::reshape(rows, out);
         },
         // torch's own embedding_dense_backward: the rows' cotangents summed per index (in parallel over
         // the weight's rows), padding_idx's row left zero, scaled by inverse frequency when asked
         .vjp = [](const Args& a, const Value&, const Value& g) -> std::vector<Value> {
           THUNDER_CHECK(!a[6].as_bool(), NotImplemented,
                         "embedding: the gradient with sparse=True is not supported yet");
           const Value& w = a[1];
           Value padding = num(a[2].is_none() ? -1 : wrap_dim(a.int_(2), w.shape()[0]));
           return {Value(), call("prims.embedding_backward", {g, a[0], num(w.shape()[0]), padding, a[5]})};
         }});

  r.add({.schema = "one_hot(tensor, num_classes=-1)",
         .print_name = "torch.nn.functional.one_hot",
         .torch_names = {"torch.nn.functional.one_hot"},
         .fusion = FusionClass::Elementwise,
         .impl = [](const Args& a) {
           const Value& t = a.tensor(0);
           THUNDER_CHECK(t.dtype() == DType::Int64, Runtime,
                         "one_hot is only applicable to index tensor of type LongTensor.");
           int64_t n = a.int_(1);
           THUNDER_CHECK(n != -1, NotImplemented,
                         "one_hot: num_classes=-1 takes the number of classes from the tensor's values, which are not "
                         "known while tracing; pass num_classes explicitly");
           THUNDER_CHECK(n > 0, Runtime, "one_hot: expected num_classes to be positive, got ", n);
           Shape out = t.shape();
           out.push_back(n);
           Shape col = t.shape();
           col.push_back(1);
           Value classes = call("prims.iota", {num(n), num(0), num(1), Value::constant(DType::Int64),
                                               Value::constant(t.meta().device)});
           Value hit = call("prims.eq", {broadcast_to(nn::reshape(t, col), out), broadcast_to(classes, out)});
           return convert(hit, DType::Int64);
         }});
}

}  // namespace thunder::ops
