// scaled_dot_product_attention as an opaque library call (flash and memory-efficient kernels sit
// behind it), with a meta rule for its shapes, dtypes and mask. On the CPU, where torch's flash
// kernel takes the inputs, the call is that kernel itself: it returns the row log-sum-exp as well,
// so backward runs torch's flash backward on saved values instead of recomputing the forward.
#include <cmath>
#include <limits>

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

// Whether torch's CPU flash kernel computes this attention exactly as F.scaled_dot_product_attention
// does: 4-D inputs of one batch and heads shape (the kernel does not broadcast them), one head size
// for query and value, no empty sequence, and a mask of the query's dtype or bool (made additive).
constexpr int64_t kCpuKernelMaxKeys = 512, kCpuKernelMaxHeadSize = 256;

bool cpu_flash_applies(const Value& q, const Value& k, const Value& v, const std::optional<Value>& mask, bool gqa) {
  if (q.meta().device.type != DeviceType::CPU || gqa) return false;
  if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) return false;
  if (batch_of(q) != batch_of(k) || batch_of(k) != batch_of(v)) return false;
  if (q.shape()[3] != v.shape()[3] || q.shape()[2] == 0 || k.shape()[2] == 0 || numel(q.shape()) == 0) return false;
  DType dt = q.dtype();
  if (dt != DType::Float32 && dt != DType::Float64 && dt != DType::BFloat16 && dt != DType::Float16) return false;
  return !mask || mask->dtype() == dt || mask->dtype() == DType::Bool;
}

// Whether thunder's own CPU attention kernel (codegen/cpu/attention.cpp) computes this attention:
// what the flash kernel takes, without a mask, in float32 or float64, and keys few enough that a
// head's keys and values fit the kernel's scratch buffers, where it is faster than the flash
// kernel (docs/measurements.md).
bool cpu_kernel_applies(const Value& q, const Value& k, const Value& v, const std::optional<Value>& mask, bool gqa) {
  if (mask || !cpu_flash_applies(q, k, v, mask, gqa)) return false;
  if (q.dtype() != DType::Float32 && q.dtype() != DType::Float64) return false;
  return k.shape()[2] <= kCpuKernelMaxKeys && q.shape()[3] <= kCpuKernelMaxHeadSize;
}

// The flash kernel's inputs: the head dim must have stride 1 (the kernel reads garbage otherwise).
constexpr const char* kUnitStride = "(lambda t: t if t is None or t.stride(-1) == 1 else t.contiguous())";

// The gradient of an additive float mask, from the saved log-sum-exp: dS = P * (dP - rowsum(g * out))
// with P = exp(scores - lse) and dP = g v^T, summed to the mask's shape. Dead code unless the mask
// requires grad.
Value mask_gradient(const Args& a, const Value& out, const Value& lse, const Value& g) {
  using namespace pm;
  const Value &q = a[0], &k = a[1], &v = a[2], &mask = a[3];
  DType dt = q.dtype();
  double scale = a[5].is_none() ? 1.0 / std::sqrt(static_cast<double>(q.shape().back())) : a[5].as_double();
  Value scores = call("prims.matmul", {q, transpose_last(k)}) * scale;
  scores = scores + broadcast_to(mask, scores.shape());
  Value rows = broadcast_to(reshape_to(convert(lse, dt), {q.shape()[0], q.shape()[1], q.shape()[2], 1}), scores.shape());
  Value p = pm::exp(scores - rows);
  Value dp = call("prims.matmul", {g, transpose_last(v)});
  Value d = broadcast_to(nn::sum(g * out, {3}, true), dp.shape());
  return sum_to_shape(p * (dp - d), mask.shape());
}

// The meta rule of an attention backward (grad, query, key, value, ...): one gradient each for
// query, key and value, of their shapes.
Value qkv_gradients_meta(const Args& a) {
  std::vector<Value> grads;
  for (size_t i = 1; i <= 3; ++i) {
    const Value& t = a.tensor(i);
    grads.push_back(new_tensor(t.shape(), t.dtype(), t.meta().device));
  }
  return Value::sequence(grads);
}

}  // namespace

namespace nn {

Value sdpa_math(const Value& q, Value k, Value v, const std::optional<Value>& mask, bool causal, double scale, bool gqa,
                const std::function<Value(const Value&)>& weights_hook) {
  if (gqa) {
    int64_t hq = q.shape()[q.rank() - 3];
    k = call("repeat_interleave", {k, num(hq / k.shape()[k.rank() - 3]), num(-3)});
    v = call("repeat_interleave", {v, num(hq / v.shape()[v.rank() - 3]), num(-3)});
  }
  int64_t L = q.shape()[q.rank() - 2], S = k.shape()[k.rank() - 2];
  Value scores = call("mul", {call("matmul", {q, call("transpose", {k, num(-2), num(-1)})}), num(scale)});
  double inf = std::numeric_limits<double>::infinity();
  if (causal) {
    // keep key j <= query i, as torch's tril(ones(L, S))
    Device dev = q.meta().device;
    Value rows = call("unsqueeze", {iota(L, 0, 1, DType::Int64, dev), num(1)});
    Value cols = call("unsqueeze", {iota(S, 0, 1, DType::Int64, dev), num(0)});
    scores = call("where", {call("le", {cols, rows}), scores, num(-inf)});
  }
  if (mask) {
    if (mask->dtype() == DType::Bool) scores = call("where", {*mask, scores, num(-inf)});
    else scores = call("add", {scores, *mask});
  }
  Value weights = call("softmax", {scores, num(-1)});
  if (weights_hook) weights = weights_hook(weights);
  return call("matmul", {weights, v});
}

}  // namespace nn

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

  // torch's CPU flash kernel: (output, logsumexp), the log-sum-exp of shape [B, H, L] in float32 (float64
// for float64 inputs)
  r.add({.schema = "prims.sdpa_flash_cpu(query, key, value, attn_mask, is_causal, scale)",
         .fusion = FusionClass::Opaque,
         .aten = std::string("lambda q, k, v, attn_mask, is_causal, scale, u=") + kUnitStride +
                 ": torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(u(q), u(k), u(v), 0.0, is_causal, "
                 "attn_mask=attn_mask, scale=scale)",
         .impl = [](const Args& a) {
           const Value& q = a.tensor(0);
           Value out = sdpa_meta(q, a.tensor(1), a.tensor(2), a.opt_tensor(3), a.bool_(4), false);
           Shape lse(q.shape().begin(), q.shape().end() - 1);
           DType lse_dtype = q.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
           return Value::sequence({out, new_tensor(lse, lse_dtype, q.meta().device)});
         },
         .vjp = [](const Args& a, const Value& out, const Value& g) -> std::vector<Value> {
           Value go = cotangent_at(g, 0);
           if (!go) return {};
           const Value &o = out.items().at(0), &lse = out.items().at(1);
           Value grads = call("prims.sdpa_flash_cpu_backward", {go, a[0], a[1], a[2], o, lse, a[3], a[4], a[5]});
           Value gmask = a[3].is_tensor() ? mask_gradient(a, o, lse, go) : Value();
           return {grads.items().at(0), grads.items().at(1), grads.items().at(2), gmask};
         }});
  r.add({.schema = "prims.sdpa_flash_cpu_backward(grad, query, key, value, out, logsumexp, attn_mask, is_causal, scale)",
         .fusion = FusionClass::Opaque,
         .aten = std::string("lambda g, q, k, v, out, lse, attn_mask, is_causal, scale, u=") + kUnitStride +
                 ": torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward(u(g), u(q), u(k), u(v), u(out), "
                 "lse, 0.0, is_causal, attn_mask=attn_mask, scale=scale)",
         .impl = qkv_gradients_meta});

  // thunder's CPU attention kernel: (output, logsumexp [B, H, L] in the inputs' dtype); the output
  // is a [B, H, L, E] view of a [B, L, H, E] tensor, so joining the heads back is a view
  r.add({.schema = "prims.sdpa_cpu(query, key, value, is_causal, scale)",
         .fusion = FusionClass::Opaque,
         .aten = "__import__('thunder.runtime.cpu_attention', fromlist=['forward']).forward",
         .impl = [](const Args& a) {
           const Value& q = a.tensor(0);
           Value out = sdpa_meta(q, a.tensor(1), a.tensor(2), std::nullopt, a.bool_(3), false);
           Shape lse(q.shape().begin(), q.shape().end() - 1);
           return Value::sequence({out, new_tensor(lse, q.dtype(), q.meta().device)});
         },
         .vjp = [](const Args& a, const Value& out, const Value& g) -> std::vector<Value> {
           Value go = cotangent_at(g, 0);
           if (!go) return {};
           Value grads = call("prims.sdpa_cpu_backward",
                              {go, a[0], a[1], a[2], out.items().at(0), out.items().at(1), a[3], a[4]});
           return {grads.items().at(0), grads.items().at(1), grads.items().at(2)};
         }});
  r.add({.schema = "prims.sdpa_cpu_backward(grad, query, key, value, out, logsumexp, is_causal, scale)",
         .fusion = FusionClass::Opaque,
         .aten = "__import__('thunder.runtime.cpu_attention', fromlist=['backward']).backward",
         .impl = qkv_gradients_meta});

  // the same kernels on self-attention's packed projection: q, k and v are the thirds of `qkv`
  // [B, T, 3C], each seen as [B, H, T, C / H] (exec::pack_attention makes these calls from
  // prims.sdpa_cpu and its backward on such views); the backward returns the packed gradient
  auto packed_shape = [](const Args& a, const Value& qkv, int64_t heads) {
    THUNDER_CHECK(qkv.rank() == 3 && heads > 0 && qkv.shape()[2] % (3 * heads) == 0, Runtime, a.symbol().name(),
                  ": expected a [B, T, 3 * n_head * E] tensor, got shape ", shape_str(qkv.shape()), " for ", heads,
                  " heads");
    return Shape{qkv.shape()[0], heads, qkv.shape()[1], qkv.shape()[2] / (3 * heads)};
  };
  r.add({.schema = "prims.sdpa_cpu_packed(qkv, n_head, is_causal, scale)",
         .fusion = FusionClass::Opaque,
         .aten = "__import__('thunder.runtime.cpu_attention', fromlist=['forward_packed']).forward_packed",
         .impl = [packed_shape](const Args& a) {
           const Value& qkv = a.tensor(0);
           Shape out = packed_shape(a, qkv, a.int_(1));
           return Value::sequence({new_tensor(out, qkv.dtype(), qkv.meta().device),
                                   new_tensor({out[0], out[1], out[2]}, qkv.dtype(), qkv.meta().device)});
         }});
  r.add({.schema = "prims.sdpa_cpu_packed_backward(grad, qkv, out, logsumexp, n_head, is_causal, scale)",
         .fusion = FusionClass::Opaque,
         .aten = "__import__('thunder.runtime.cpu_attention', fromlist=['backward_packed']).backward_packed",
         .impl = [packed_shape](const Args& a) {
           const Value& qkv = a.tensor(1);
           packed_shape(a, qkv, a.int_(4));
           return new_tensor(qkv.shape(), qkv.dtype(), qkv.meta().device);
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
           if (cpu_kernel_applies(a.tensor(0), a.tensor(1), a.tensor(2), mask, gqa))
             return call("prims.sdpa_cpu", {a[0], a[1], a[2], Value::constant(causal), a[6]}).items().at(0);
           if (cpu_flash_applies(a.tensor(0), a.tensor(1), a.tensor(2), mask, gqa)) {
             Value m = a[3];
             // torch turns a bool mask into an additive one the same way (0 where kept, -inf elsewhere)
             if (mask && mask->dtype() == DType::Bool)
               m = convert(call("where", {*mask, num(0.0), num(-std::numeric_limits<double>::infinity())}), a.tensor(0).dtype());
             // the kernel takes a 2-D or 4-D mask
             if (mask && mask->rank() != 2 && mask->rank() != 4) {
               Shape four(4 - mask->rank(), 1);
               four.insert(four.end(), mask->shape().begin(), mask->shape().end());
               m = reshape_to(m, four);
             }
             return call("prims.sdpa_flash_cpu", {a[0], a[1], a[2], m, Value::constant(causal), a[6]}).items().at(0);
           }
           return call("prims.scaled_dot_product_attention",
                       {a[0], a[1], a[2], a[3], Value::constant(causal), a[6], Value::constant(gqa)});
         }});
}

}  // namespace thunder::ops
