// Counter-based random numbers (thunder.jit(f, rng="philox")). Three prims: the side-effecting
// `prims.philox_seed_offset`, which takes a (seed, offset) pair from torch's generator at run time,
// and the pure `prims.uniform_philox` / `prims.normal_philox`, functions of (seed, offset, element
// index) through Philox4x32-10 (the layout is in python/thunder/runtime/philox.py, the reference
// implementation). Being pure, the draws fuse, CSE may merge equal ones, and rematerialization may
// recompute them in backward from the saved seed and offset: the same numbers again.
//
// In philox mode the frontend traces rand, randn, rand_like, randn_like, bernoulli, dropout and
// scaled_dot_product_attention with dropout as the `*_philox` ops below: the same signatures,
// decomposed into the prims (they have no torch call of their own, so no executor runs them whole).
#include <cmath>
#include <limits>

#include "ir/error.h"
#include "ops/elementwise.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

using namespace pm;

// The same 32-bit layout as the reference: 4 elements per Philox call, 2 for float64.
int64_t counters_for(int64_t numel, DType dt) {
  int64_t per = dt == DType::Float64 ? 2 : 4;
  return (numel + per - 1) / per;
}

// A seed or offset operand: an int, or a 0-dim int64 CPU tensor (what philox_seed_offset returns,
// so that the values are read at run time and never baked into the trace).
void check_seed_operand(const Args& a, size_t i) {
  const Value& v = a[i];
  if (v.is_constant() && v.is_int()) return;
  if (v.is_tensor() && v.rank() == 0 && v.dtype() == DType::Int64 && v.meta().device.type == DeviceType::CPU) return;
  a.type_error(i, "an int or a 0-dim int64 CPU tensor");
}

// The meta rule of uniform_philox and normal_philox.
Value philox_meta(const Args& a, std::string_view op) {
  Shape shape = a.int_list(0);
  for (int64_t d : shape)
    THUNDER_CHECK(d >= 0, Runtime, op, ": expected a shape of non-negative sizes, got ", shape_str(shape));
  check_seed_operand(a, 1);
  check_seed_operand(a, 2);
  std::optional<DType> dt = a.opt_dtype(3);
  THUNDER_CHECK(dt && is_floating(*dt), NotImplemented, op, ": expected a floating dtype, got ",
                dt ? std::string(dtype_name(*dt)) : std::string("None"));
  const Value& dev = a[4];
  THUNDER_CHECK(dev.is_constant() && std::holds_alternative<Device>(dev.constant_value()), Type, op,
                ": expected 'device' to be a device, got ", type_name(dev));
  return new_tensor(shape, *dt, std::get<Device>(dev.constant_value()));
}

// (seed, offset) for a draw of `numel` elements of `dt` on `device`.
std::pair<Value, Value> seed_offset(int64_t numel, DType dt, const Device& device) {
  Value so = call("prims.philox_seed_offset", {num(counters_for(numel, dt)), Value::constant(device)});
  return {so.items().at(0), so.items().at(1)};
}

Value draw(const char* prim, const Shape& shape, DType dt, const Device& device) {
  auto [seed, offset] = seed_offset(numel(shape), dt, device);
  return call(prim, {int_list(shape), seed, offset}, {{"dtype", Value::constant(dt)}, {"device", Value::constant(device)}});
}

// Float32 uniforms for a probability test: 24 bits are plenty, and cheaper than float64's 53.
Value uniform_like(const Value& x) { return draw("prims.uniform_philox", x.shape(), DType::Float32, x.meta().device); }

void reject_generator(const Args& a) {
  THUNDER_CHECK(a[param_index(a, "generator")].is_none(), NotImplemented, a.symbol().name(),
                ": generator= is not supported yet; compiled code draws from torch's default generator "
                "(seed it with torch.manual_seed)");
}

void require_floating(std::string_view op, DType dt) {
  if (is_complex(dt))
    throw UserError(ErrorKind::NotImplemented, cat(op, ": complex dtypes are not supported with rng='philox', got ",
                                                   dtype_name(dt)));
  if (!is_floating(dt)) not_implemented_for(op, dt);
}

// dropout's mask and scaling, as torch's CPU dropout computes them: the float mask divided by
// 1 - p, multiplied in. Inputs already checked (floating, 0 < p < 1, not empty).
Value dropout_math(const Value& x, double p) {
  Value keep = lt(uniform_like(x), num(1 - p));
  return x * (convert(keep, x.dtype()) / num(1 - p));
}

}  // namespace

void register_random_philox(Registry& r) {
  r.add({.schema = "prims.philox_seed_offset(counters, device)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda counters, device: __import__('thunder.runtime.philox', "
                 "fromlist=['seed_offset']).seed_offset(counters, device)",
         .side_effect = true,  // reads and advances torch's generator
         .impl = [](const Args& a) {
           if (!a[0].is_int() || a[0].as_int() < 0) a.type_error(0, "a non-negative int");
           const Value& dev = a[1];
           THUNDER_CHECK(dev.is_constant() && std::holds_alternative<Device>(dev.constant_value()), Type,
                         "prims.philox_seed_offset: expected 'device' to be a device, got ", type_name(dev));
           Device cpu{DeviceType::CPU, -1};
           return Value::sequence({new_tensor({}, DType::Int64, cpu), new_tensor({}, DType::Int64, cpu)});
         },
         .differentiable = false});
  for (const char* name : {"uniform_philox", "normal_philox"}) {
    std::string op = cat("prims.", name);
    std::string fn = std::string_view(name).starts_with("normal") ? "normal" : "uniform";
    r.add({.schema = cat(op, "(shape, seed, offset, *, dtype, device)"),
           .fusion = FusionClass::Elementwise,
           .aten = cat("lambda shape, seed, offset, *, dtype, device: __import__('thunder.runtime.philox', fromlist=['",
                       fn, "']).", fn, "(shape, seed, offset, dtype=dtype, device=device)"),
           .impl = [op](const Args& a) { return philox_meta(a, op); },
           .differentiable = false});
  }

  // ---- the philox forms of torch's samplers, the same signatures ----
  for (const char* name : {"rand", "randn"}) {
    std::string op = name;
    const char* prim = op == "rand" ? "prims.uniform_philox" : "prims.normal_philox";
    r.add({.schema = cat(name, "_philox(*size, generator=None, dtype=None, layout=None, device=None, "
                               "requires_grad=False, pin_memory=False)"),
           .side_effect = true,
           .impl = [op, prim](const Args& a) {
             reject_generator(a);
             FactoryOptions o = factory_options(a);
             DType dt = o.dtype.value_or(DType::Float32);
             require_floating(op, dt);
             return draw(prim, size_arg(a, 0), dt, o.device);
           },
           .differentiable = false,
           .decompose_only = true});
    r.add({.schema = cat(name, "_like_philox(input, *, generator=None, dtype=None, layout=None, device=None, "
                               "requires_grad=False, memory_format=None)"),
           .side_effect = true,
           .impl = [op, prim](const Args& a) {
             const Value& x = a.tensor(0);
             reject_generator(a);
             FactoryOptions o = factory_options(a, x.meta().device);
             DType dt = o.dtype.value_or(x.dtype());
             require_floating(op + "_like", dt);
             return draw(prim, x.shape(), dt, o.device);
           },
           .differentiable = false,
           .decompose_only = true});
  }

  // bernoulli(x): 1 where a uniform number is below x; bernoulli(x, p): below p
  r.add({.schema = "bernoulli_philox(input, p=None, *, generator=None)",
         .side_effect = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           reject_generator(a);
           if (a[1].is_none()) {
             if (!is_floating(x.dtype())) not_implemented_for("bernoulli", x.dtype());
             Value u = uniform_like(x);
             // compare in the wider of float32 and the input's type (the uniform number is exact in both)
             DType ct = x.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
             return convert(lt(convert(u, ct), convert(x, ct)), x.dtype());
           }
           const Value& pv = a[1];
           if (!pv.is_constant() || !pv.is_number() || pv.python_number_type() == NumberType::Complex)
             a.type_error(1, "a float (a tensor p is not supported with rng='philox')");
           double p = pv.as_double();
           THUNDER_CHECK(p >= 0 && p <= 1, Runtime, "bernoulli_ expects p to be in [0, 1], but got p=", p);
           if (is_complex(x.dtype())) not_implemented_for("bernoulli", x.dtype());
           return convert(lt(uniform_like(x), num(p)), x.dtype());
         },
         .differentiable = false,
         .decompose_only = true});

  // dropout: the identity while not training or with p = 0; otherwise x * (mask / (1 - p)) with
  // mask = uniform < 1 - p, differentiable through that product (backward multiplies by the same
  // mask, recomputed from the seed and offset or saved, as rematerialization decides)
  r.add({.schema = "dropout_philox(input, p=0.5, training=True, inplace=False)",
         .side_effect = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           if (!a[1].is_number() || a[1].is_number_proxy()) a.type_error(1, "a number");
           double p = a[1].as_double();
           THUNDER_CHECK(p >= 0 && p <= 1, Value, "dropout probability has to be between 0 and 1, but got ", p);
           if (!a.bool_(2) || p == 0 || numel(x.shape()) == 0) return x;
           if (is_complex(x.dtype())) not_implemented_for("dropout", x.dtype());
           THUNDER_CHECK(is_floating(x.dtype()), Runtime, "result type Float can't be cast to the desired output type ",
                         dtype_c10_name(x.dtype()));
           if (p == 1) return x * num(0.0);  // torch multiplies by zero (NaN stays NaN)
           return dropout_math(x, p);
         },
         .decompose_only = true});

  // scaled_dot_product_attention with dropout: torch's math formula, decomposed (the fused
  // kernels draw with their own generator use), softmax(q @ k^T * scale + bias) dropped out, @ v
  r.add({.schema = "scaled_dot_product_attention_philox(query, key, value, attn_mask=None, dropout_p=0.0, "
                   "is_causal=False, *, scale=None, enable_gqa=False)",
         .side_effect = true,
         .impl = [](const Args& a) {
           const Value& q = a.tensor(0);
           Value k = a.tensor(1), v = a.tensor(2);
           std::optional<Value> mask = a.opt_tensor(3);
           if (!a[4].is_number() || a[4].is_number_proxy()) a.type_error(4, "a number");
           double p = a[4].as_double();
           THUNDER_CHECK(p >= 0 && p <= 1, Value, "dropout probability has to be between 0 and 1, but got ", p);
           bool causal = a.bool_(5), gqa = a.bool_(7);
           // torch's checks and messages, from the library prim's meta rule (run on a scratch
           // builder: nothing of it belongs in this trace)
           {
             TraceBuilder scratch;
             TraceBuilder::Scope scope(scratch);
             const Symbol& prim = op_table().at("prims.scaled_dot_product_attention");
             prim.impl()(prim.bind({a[0], a[1], a[2], a[3], Value::constant(causal), a[6], Value::constant(gqa)}, {}));
           }
           double scale = a[6].is_none() ? 1.0 / std::sqrt(static_cast<double>(q.shape().back())) : a[6].as_double();
           auto drop = [p](const Value& w) { return p > 0 ? call("dropout_philox", {w, num(p), Value::constant(true)}) : w; };
           return nn::sdpa_math(q, k, v, mask, causal, scale, gqa, drop);
         },
         .decompose_only = true});
}

}  // namespace thunder::ops
