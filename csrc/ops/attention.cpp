// scaled_dot_product_attention as an opaque library call (flash and memory-efficient kernels sit
// behind it), with a meta rule for its shapes, dtypes and mask.
#include "ir/error.h"
#include "ops/nn_util.h"

namespace thunder::ops {

namespace {

Shape batch_of(const Value& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

// The output's shape: the broadcast batch dims of query, key and value, then [L, Ev]. With
// enable_gqa the key/value heads (dim -3) repeat to the query's.
Value sdpa_meta(const Value& q, const Value& k, const Value& v, const std::optional<Value>& mask, bool causal, bool gqa) {
  THUNDER_CHECK(q.rank() >= 2 && k.rank() >= 2 && v.rank() >= 2, Runtime,
                "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: ", q.rank(),
                " key.dim: ", k.rank(), " and value.dim: ", v.rank(), " instead.");
  THUNDER_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), Runtime,
                "Expected query, key, and value to have the same dtype, but got query.dtype: ", dtype_cpp_name(q.dtype()),
                " key.dtype: ", dtype_cpp_name(k.dtype()), " and value.dtype: ", dtype_cpp_name(v.dtype()), " instead.");
  THUNDER_CHECK(is_floating(q.dtype()), NotImplemented,
                "scaled_dot_product_attention: expected floating-point query, key and value, got ", dtype_name(q.dtype()));
  if (mask) {
    DType m = mask->dtype();
    THUNDER_CHECK(m == DType::Bool || m == DType::Float32 || m == q.dtype(), Runtime,
                  "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: ",
                  dtype_cpp_name(m), " and  query.dtype: ", dtype_cpp_name(q.dtype()), " instead.");
    THUNDER_CHECK(!causal, Runtime, "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  }
  common_device("scaled_dot_product_attention", {q, k, v, mask.value_or(q)});
  int64_t L = q.shape()[q.rank() - 2], E = q.shape().back(), S = k.shape()[k.rank() - 2], Ev = v.shape().back();
  THUNDER_CHECK(k.shape().back() == E, Runtime, "scaled_dot_product_attention: expected key of shape [..., ", S, ", ", E,
                "] to match the query's last dim, got ", shape_str(k.shape()));
  THUNDER_CHECK(v.shape()[v.rank() - 2] == S, Runtime, "scaled_dot_product_attention: expected value of shape [..., ", S,
                ", ", Ev, "] to match the key's sequence length, got ", shape_str(v.shape()));
  Shape kb = batch_of(k), vb = batch_of(v);
  if (gqa) {
    THUNDER_CHECK(q.rank() >= 3 && k.rank() >= 3 && v.rank() >= 3, Runtime,
                  "scaled_dot_product_attention: enable_gqa=True expects a heads dim (-3) in query, key and value, got "
                  "shapes ", shape_str(q.shape()), ", ", shape_str(k.shape()), " and ", shape_str(v.shape()));
    int64_t hq = q.shape()[q.rank() - 3], hk = kb.back(), hv = vb.back();
    THUNDER_CHECK(hk > 0 && hv > 0 && hq % hk == 0 && hq % hv == 0, Runtime,
                  "Number of heads in key and value must divide the number of heads in ");
    kb.back() = hq;
    vb.back() = hq;
  }
  Shape batch = broadcast_shapes(broadcast_shapes(batch_of(q), kb), vb);
  if (mask) {
    Shape scores = batch;
    scores.push_back(L);
    scores.push_back(S);
    THUNDER_CHECK(broadcast_shapes(mask->shape(), scores) == scores, Runtime,
                  "scaled_dot_product_attention: expected attn_mask of a shape that broadcasts to ", shape_str(scores),
                  ", got ", shape_str(mask->shape()));
  }
  Shape out = batch;
  out.push_back(L);
  out.push_back(Ev);
  return new_tensor(out, q.dtype(), q.meta().device);
}

}  // namespace

void register_nn_attention(Registry& r) {
  // enable_gqa is passed only when set, so the call also runs on a torch without it
  r.add({.schema = "prims.scaled_dot_product_attention(query, key, value, attn_mask, is_causal, scale, enable_gqa)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda q, k, v, attn_mask, is_causal, scale, enable_gqa: "
                 "torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask, 0.0, is_causal, scale=scale, "
                 "**({'enable_gqa': True} if enable_gqa else {}))",
         .impl = [](const Args& a) {
           return sdpa_meta(a.tensor(0), a.tensor(1), a.tensor(2), a.opt_tensor(3), a.bool_(4), a.bool_(6));
         }});

  r.add({.schema = "scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, "
                   "scale=None, enable_gqa=False)",
         .print_name = "torch.nn.functional.scaled_dot_product_attention",
         .torch_names = {"torch.nn.functional.scaled_dot_product_attention"},
         .impl = [](const Args& a) {
           double p = nn::real(a, 4);
           // dropout inside attention is decomposed with counter-based draws (random_philox.cpp)
           THUNDER_CHECK(p == 0.0, NotImplemented,
                         "scaled_dot_product_attention: dropout_p > 0 needs rng='philox' (thunder.jit(f, rng='philox')), "
                         "got dropout_p=", python_repr(a[4]));
           if (!a[6].is_none()) nn::real(a, 6);
           std::optional<Value> mask = a.opt_tensor(3);
           bool causal = a.bool_(5), gqa = a.bool_(7);
           sdpa_meta(a.tensor(0), a.tensor(1), a.tensor(2), mask, causal, gqa);
           return call("prims.scaled_dot_product_attention",
                       {a[0], a[1], a[2], a[3], Value::constant(causal), a[6], Value::constant(gqa)});
         }});
}

}  // namespace thunder::ops
