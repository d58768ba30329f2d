// Random ops: torch's samplers (rand, randn, randint, normal, bernoulli, multinomial, randperm and
// the *_like forms), the in-place random fills (x.uniform_(), x.normal_(), ...) and the dropout
// family. They run as opaque ATen calls that draw from torch's default generator in the order of
// the user's program, so torch.manual_seed gives the same numbers as eager. Every one is a
// side effect: it advances the generator, so dead code elimination keeps it and no two calls are
// the same value. Their impls check arguments as torch does and return fresh proxies without
// recording anything.
#include <cmath>
#include <limits>

#include "ir/error.h"
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

// Only torch's default generator is modelled: a generator object of the user's would need its
// state threaded through the trace. (The frontend reports a torch.Generator before it gets here.)
void reject_generator(const Args& a) {
  THUNDER_CHECK(a[param_index(a, "generator")].is_none(), NotImplemented, a.symbol().name(),
                ": generator= is not supported yet; compiled code draws from torch's default generator "
                "(seed it with torch.manual_seed)");
}

// a sampling factory's options: only the default generator, then what every factory takes
FactoryOptions options(const Args& a, std::optional<Device> default_device = std::nullopt) {
  reject_generator(a);
  return factory_options(a, default_device);
}

double real(const Args& a, size_t i) {
  const Value& v = a[i];
  if (!v.is_constant() || !v.is_number() || v.python_number_type() == NumberType::Complex) a.type_error(i, "a number");
  return v.as_double();
}

int64_t integer(const Args& a, size_t i) {
  const Value& v = a[i];
  if (!v.is_int()) a.type_error(i, "an int");
  return v.as_int();
}

// The range random_ and randint draw from must fit the dtype: integers hold [from, to - 1]; floats
// represent every integer up to 2^digits (torch only warns beyond that, so no check here).
void check_random_range(DType t, int64_t from, int64_t to) {
  THUNDER_CHECK(from < to, Runtime, "random_ expects 'from' to be less than 'to', but got from=", from, " >= to=", to);
  THUNDER_CHECK(!is_complex(t), Runtime, "check_random_bounds handles only integral, floating-point and boolean types");
  if (is_floating(t)) return;
  int64_t lo = 0, hi = 1;
  switch (t) {
    case DType::UInt8: hi = 255; break;
    case DType::Int8: lo = -128, hi = 127; break;
    case DType::Int16: lo = -32768, hi = 32767; break;
    case DType::Int32: lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max(); break;
    case DType::Int64: lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max(); break;
    default: break;  // bool: [0, 1]
  }
  THUNDER_CHECK(from >= lo && from <= hi, Runtime, "from is out of bounds for ", dtype_cpp_name(t));
  THUNDER_CHECK(to - 1 >= lo && to - 1 <= hi, Runtime, "to - 1 is out of bounds for ", dtype_cpp_name(t));
}

double largest(DType t) {
  switch (t) {
    case DType::Float16: return 65504.0;
    case DType::BFloat16: return 3.3895313892515355e38;
    case DType::Float32: return std::numeric_limits<float>::max();
    default: return std::numeric_limits<double>::max();
  }
}

// torch's check_uniform_bounds
void check_uniform(DType t, double from, double to) {
  if (is_complex(t)) t = to_real(t);
  if (!is_floating(t)) not_implemented_for("uniform_", t);
  double max = largest(t);
  THUNDER_CHECK(from >= -max && from <= max, Runtime, "from is out of bounds for ", dtype_cpp_name(t));
  THUNDER_CHECK(to >= -max && to <= max, Runtime, "to is out of bounds for ", dtype_cpp_name(t));
  THUNDER_CHECK(from <= to, Runtime, "uniform_ expects to return a [from, to) range, but found from=", from,
                " > to=", to);
  THUNDER_CHECK(to - from <= max, Runtime, "uniform_ expects to-from <= std::numeric_limits<", dtype_c10_name(t),
                ">::max(), but found to=", to, " and from=", from, " which result in to-from to exceed the limit");
}

void check_std(double std) {
  THUNDER_CHECK(std >= 0.0, Runtime, "normal expects std >= 0.0, but found std ", std);
}

void check_p(double p) {
  THUNDER_CHECK(p >= 0 && p <= 1, Runtime, "bernoulli_ expects p to be in [0, 1], but got p=", p);
}

// A sampler of the given dtype category: rand/uniform_ and randn/normal_ take floating and complex
// types, bernoulli floating ones.
void require_inexact(std::string_view op, DType t) {
  if (!is_inexact(t)) not_implemented_for(op, t);
}

// `torch.empty_like(x).method(args)`: how the trace runs an in-place fill made functional
// (torch has no out-of-place uniform, random, exponential).
std::string fill_call(const char* method, const std::vector<Value>& args, size_t n_printed) {
  std::string s = cat("torch.empty_like(", python_repr(args[0]), ").", method, "(");
  for (size_t i = 1; i <= n_printed; ++i) s += (i > 1 ? ", " : "") + python_repr(args[i]);
  return s + ")";
}

// One random op: opaque (no decomposition), a side effect on torch's generator.
void add(Registry& r, OpSpec spec) {
  spec.fusion = FusionClass::Opaque;
  spec.side_effect = true;
  spec.differentiable = false;  // draws do not depend differentiably on their input
  r.add(std::move(spec));
}

// The dropout family (dropout, the channel-wise dropout1d/2d/3d, alpha dropout): the identity
// while not training or with p = 0, an opaque torch call otherwise, so the mask comes from torch's
// generator exactly as in eager (on CUDA torch uses its fused kernel, with its own draws).
void dropout(Registry& r, const char* name, std::vector<std::string> torch_names, bool train_default,
             std::function<void(const Value& x)> check_rank = nullptr) {
  std::string op = name;
  r.add({.schema = cat(name, "(input, p=0.5, training=", train_default ? "True" : "False", ", inplace=False)"),
         .print_name = torch_names.front(),
         .torch_names = std::move(torch_names),
         .fusion = FusionClass::Elementwise,
         .side_effect = true,
         .impl = [op, check_rank](const Args& a) {
           const Value& x = a.tensor(0);
           if (!a[1].is_number() || a[1].is_number_proxy()) a.type_error(1, "a number");
           double p = a[1].as_double();
           THUNDER_CHECK(p >= 0 && p <= 1, Value, "dropout probability has to be between 0 and 1, but got ", p);
           if (check_rank) check_rank(x);
           if (!a.bool_(2) || p == 0) return x;  // the builder gives the result a name of its own (prims.alias)
           // torch masks with a float noise tensor and multiplies in place: integer results fail
           // the cast; p = 1 multiplies by zero and empty tensors return early
           if (p < 1 && numel(x.shape()) > 0) {
             if (is_complex(x.dtype())) not_implemented_for(op, x.dtype());
             THUNDER_CHECK(is_floating(x.dtype()), Runtime, "result type Float can't be cast to the desired output type ",
                           dtype_c10_name(x.dtype()));
             // torch's CPU dropout, step by step: the mask drawn as `empty_like(x).bernoulli_(1 - p)`,
             // scaled in place, multiplied in. The mask is then a tensor of the trace, which backward
             // reuses (its draws are eager's). On CUDA torch uses a fused kernel with draws of its own.
             if (op == "dropout" && x.meta().device.type == DeviceType::CPU) {
               Value noise = call("bernoulli_functional", {x, num(1 - p)});
               return call("prims.mul", {x, call("prims.div", {noise, num(1 - p)})});
             }
             // On CUDA eager's F.dropout is at::native_dropout (its fused kernel): the same call
             // gives eager's output and its boolean mask, which backward reads
             if (op == "dropout" && x.meta().device.type == DeviceType::CUDA)
               return call("prims.native_dropout", {x, num(p)}).items().at(0);
           }
           return new_tensor(x.shape(), x.dtype(), x.meta().device);
         }});
}

// torch.ops.aten.native_dropout(a, p, True): (output, mask), one fused draw. A random op that is
// differentiable: torch's native_dropout_backward, g * mask * (1 / (1 - p)) (the kernel's scale,
// 1 / (1 - p) in double, multiplied in the cotangent's opmath type as torch.mul does with a number).
void register_native_dropout(Registry& r) {
  r.add({.schema = "prims.native_dropout(a, p)",
         .fusion = FusionClass::Opaque,
         .aten = "lambda a, p: torch.ops.aten.native_dropout(a, p, True)",
         .side_effect = true,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           return Value::sequence({new_tensor(x.shape(), x.dtype(), x.meta().device),
                                   new_tensor(x.shape(), DType::Bool, x.meta().device)});
         },
         .vjp = [](const Args& a, const Value& out, const Value& g) -> std::vector<Value> {
           Value go = cotangent_at(g, 0);
           if (!go) return {};
           Value mask = convert(out.items().at(1), go.dtype());
           double scale = 1.0 / (1.0 - a[1].as_double());
           return {call("prims.mul", {call("prims.mul", {go, mask}), num(scale)})};
         }});
}

// dropout1d's check (dropout2d and dropout3d take any rank: torch only warns about unusual ones)
void dropout1d_rank(const Value& x) {
  THUNDER_CHECK(x.rank() == 2 || x.rank() == 3, Runtime, "dropout1d: Expected 2D or 3D input, but received a ",
                x.rank(), "D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                "spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).");
}

// randint's (low, high, size) from its bound arguments: randint(high, size) binds high to `low`
// and size to `high`, randint(high, size=s) leaves `high` None.
struct RandintArgs {
  Value low, high, size;
};
RandintArgs randint_args(const std::vector<Value>& v) {
  if (v[1].is_none()) return {Value::constant(int64_t{0}), v[0], v[2]};
  if (v[2].is_none() && v[1].is_sequence()) return {Value::constant(int64_t{0}), v[0], v[1]};
  return {v[0], v[1], v[2]};
}

}  // namespace

void register_random(Registry& r) {
  // ---- sampling factories ----
  for (const char* name : {"rand", "randn"}) {
    std::string op = name;
    add(r, {.schema = cat(name, "(*size, generator=None, dtype=None, layout=None, device=None, requires_grad=False, "
                                "pin_memory=False)"),
            .print_name = cat("torch.", name),
            .torch_names = {cat("torch.", name)},
            .impl = [op](const Args& a) {
              FactoryOptions o = options(a);
              DType dt = o.dtype.value_or(DType::Float32);
              require_inexact(op, dt);
              return new_tensor(size_arg(a, 0), dt, o.device);
            }});
    add(r, {.schema = cat(name, "_like(input, *, generator=None, dtype=None, layout=None, device=None, "
                                "requires_grad=False, memory_format=None)"),
            .print_name = cat("torch.", name, "_like"),
            .torch_names = {cat("torch.", name, "_like")},
            .impl = [op](const Args& a) {
              const Value& x = a.tensor(0);
              FactoryOptions o = options(a, x.meta().device);
              DType dt = o.dtype.value_or(x.dtype());
              require_inexact(op + "_like", dt);
              return new_tensor(x.shape(), dt, o.device);
            }});
  }

  // torch.randint(high, size) and torch.randint(low, high, size): with two positionals the first
  // is `high`, so the call prints normalized, as torch.randint(low, high, size, ...)
  add(r, {.schema = "randint(low=0, high=None, size=None, *, generator=None, dtype=None, layout=None, device=None, "
                    "requires_grad=False)",
          .print_name = "torch.randint",
          .torch_names = {"torch.randint"},
          .print = [](const std::vector<Value>& args) {
            RandintArgs ra = randint_args(args);
            std::string s = cat("torch.randint(", python_repr(ra.low), ", ", python_repr(ra.high), ", ",
                                python_repr(ra.size));
            // generator, layout and requires_grad are checked to be at their defaults
            if (!args[4].is_none()) s += ", dtype=" + python_repr(args[4]);
            if (!args[6].is_none()) s += ", device=" + python_repr(args[6]);
            return s + ")";
          },
          .impl = [](const Args& a) {
            FactoryOptions o = options(a);
            RandintArgs ra = randint_args(a.values());
            for (auto [v, what] : {std::pair{&ra.low, "low"}, std::pair{&ra.high, "high"}})
              THUNDER_CHECK(v->is_int(), Type, "randint: expected '", what, "' to be an int, got ", type_name(*v));
            THUNDER_CHECK(ra.size.is_sequence(), Type, "randint: expected 'size' to be a tuple of ints, got ",
                          type_name(ra.size));
            DType dt = o.dtype.value_or(DType::Int64);
            check_random_range(dt, ra.low.as_int(), ra.high.as_int());
            Shape shape;
            for (const auto& d : ra.size.items()) {
              if (!d.is_int()) a.type_error(2, "a tuple of ints");
              THUNDER_CHECK(d.as_int() >= 0, Runtime, "Trying to create tensor with negative dimension ", d.as_int());
              shape.push_back(d.as_int());
            }
            return new_tensor(shape, dt, o.device);
          }});
  add(r, {.schema = "randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None, "
                    "requires_grad=False, memory_format=None)",
          .print_name = "torch.randint_like",
          .torch_names = {"torch.randint_like"},
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            FactoryOptions o = options(a, x.meta().device);
            int64_t low = 0, high = 0;
            if (a[2].is_none()) high = integer(a, 1);
            else low = integer(a, 1), high = integer(a, 2);
            DType dt = o.dtype.value_or(x.dtype());
            check_random_range(dt, low, high);
            return new_tensor(x.shape(), dt, o.device);
          }});

  add(r, {.schema = "randperm(n, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False, "
                    "pin_memory=False)",
          .print_name = "torch.randperm",
          .torch_names = {"torch.randperm"},
          .impl = [](const Args& a) {
            FactoryOptions o = options(a);
            int64_t n = integer(a, 0);
            THUNDER_CHECK(n >= 0, Runtime, "Trying to create tensor with negative dimension ", n, ": [", n, "]");
            DType dt = o.dtype.value_or(DType::Int64);
            if (is_bool(dt) || is_complex(dt)) not_implemented_for("randperm", dt);
            if (dt == DType::Float16)
              THUNDER_CHECK(n <= 2049, Runtime, "n cannot be greater than 2049 for Half type.");
            int64_t max = dt == DType::UInt8 ? 255 : dt == DType::Int8 ? 127 : dt == DType::Int16 ? 32767 : -1;
            if (max >= 0 && n > 0)
              THUNDER_CHECK(n - 1 <= max, Runtime, "value cannot be converted to type ",
                            dt == DType::UInt8 ? "uint8_t" : dt == DType::Int8 ? "int8_t" : "int16_t",
                            " without overflow");
            return new_tensor({n}, dt, o.device);
          }});

  // ---- samplers parameterized by tensors ----
  add(r, {.schema = "bernoulli(input, p=None, *, generator=None)",
          .print_name = "torch.bernoulli",
          .torch_names = {"torch.bernoulli", "torch.Tensor.bernoulli"},
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            reject_generator(a);
            if (a[1].is_none()) {
              // probabilities from the input (their range is a value, checked by torch at run time)
              if (!is_floating(x.dtype())) not_implemented_for("bernoulli", x.dtype());
            } else {
              check_p(real(a, 1));
              if (is_complex(x.dtype())) not_implemented_for("bernoulli", x.dtype());
            }
            return new_tensor(x.shape(), x.dtype(), x.meta().device);
          }});

  add(r, {.schema = "multinomial(input, num_samples, replacement=False, *, generator=None)",
          .print_name = "torch.multinomial",
          .torch_names = {"torch.multinomial", "torch.Tensor.multinomial"},
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            reject_generator(a);
            int64_t n = integer(a, 1);
            bool replacement = a.bool_(2);
            THUNDER_CHECK(is_floating(x.dtype()), Runtime, "multinomial only supports floating-point dtypes for input, got: ",
                          dtype_c10_name(x.dtype()));
            THUNDER_CHECK(n > 0, Runtime, "cannot sample n_sample <= 0 samples");
            THUNDER_CHECK(x.rank() == 1 || x.rank() == 2, Runtime, "prob_dist must be 1 or 2 dim");
            THUNDER_CHECK(replacement || n <= x.shape().back(), Runtime,
                          "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
            Shape out = x.shape();
            out.back() = n;
            return new_tensor(out, DType::Int64, x.meta().device);
          }});

  // torch.normal's four overloads: (Tensor mean, Tensor std), (Tensor mean, float std=1),
  // (float mean, Tensor std), (float mean, float std, size, ...) as a factory
  add(r, {.schema = "normal(mean, std=1.0, size=None, *, generator=None, dtype=None, layout=None, device=None, "
                    "requires_grad=False, pin_memory=False)",
          .print_name = "torch.normal",
          .torch_names = {"torch.normal"},
          .impl = [](const Args& a) {
            const Value& mean = a[0];
            const Value& std = a[1];
            if (!mean.is_tensor() && !std.is_tensor()) {
              if (a[2].is_none()) a.type_error(2, "a tuple of ints when mean and std are numbers");
              real(a, 0);
              check_std(real(a, 1));
              FactoryOptions o = options(a);
              DType dt = o.dtype.value_or(DType::Float32);
              require_inexact("normal", dt);
              return new_tensor(size_arg(a, 2), dt, o.device);
            }
            reject_generator(a);
            if (!a[2].is_none()) a.type_error(2, "None when mean or std is a tensor");
            for (const char* p : {"dtype", "device"})
              if (!a[param_index(a, p)].is_none()) a.type_error(param_index(a, p), "None when mean or std is a tensor");
            if (!mean.is_tensor()) real(a, 0);
            if (!std.is_tensor()) check_std(real(a, 1));
            // the result takes the mean's dtype (the std's when mean is a number)
            const Value& like = mean.is_tensor() ? mean : std;
            require_inexact("normal", like.dtype());
            Shape shape = mean.is_tensor() && std.is_tensor() ? broadcast_shapes(mean.shape(), std.shape()) : like.shape();
            Device dev = common_device("normal", {mean, std});
            return new_tensor(shape, like.dtype(), dev);
          }});

  // ---- in-place fills (x.uniform_(), ...), made functional: the op computes the filled tensor and
  // the frontend writes it into x. torch has no out-of-place spelling, so they are listed by their
  // in-place names only and print as a fill of an empty tensor like x.
  add(r, {.schema = "uniform(input, from=0, to=1, *, generator=None)",
          .inplace_names = {"torch.Tensor.uniform_"},
          .print = [](const std::vector<Value>& args) { return fill_call("uniform_", args, 2); },
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            reject_generator(a);
            check_uniform(x.dtype(), real(a, 1), real(a, 2));
            return new_tensor(x.shape(), x.dtype(), x.meta().device);
          }});
  add(r, {.schema = "normal_functional(input, mean=0, std=1, *, generator=None)",
          .inplace_names = {"torch.Tensor.normal_"},
          .print = [](const std::vector<Value>& args) { return fill_call("normal_", args, 2); },
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            reject_generator(a);
            real(a, 1);
            check_std(real(a, 2));
            require_inexact("normal_", x.dtype());
            return new_tensor(x.shape(), x.dtype(), x.meta().device);
          }});
  add(r, {.schema = "bernoulli_functional(input, p=0.5, *, generator=None)",
          .inplace_names = {"torch.Tensor.bernoulli_"},
          .print = [](const std::vector<Value>& args) { return fill_call("bernoulli_", args, 1); },
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            reject_generator(a);
            if (is_complex(x.dtype())) not_implemented_for("bernoulli_", x.dtype());
            if (a[1].is_tensor()) {
              const Value& p = a[1];
              if (!is_floating(p.dtype())) not_implemented_for("bernoulli_", p.dtype());
              // torch expands p to the input's shape
              THUNDER_CHECK(p.rank() <= x.rank(), Runtime, "bernoulli_: expected p of at most ", x.rank(),
                            " dims, got ", shape_str(p.shape()));
              for (int64_t d = 1; d <= p.rank(); ++d) {
                int64_t want = x.shape()[x.rank() - d], got = p.shape()[p.rank() - d];
                THUNDER_CHECK(got == 1 || got == want, Runtime, "The expanded size of the tensor (", want,
                              ") must match the existing size (", got, ") at non-singleton dimension ", x.rank() - d,
                              ".  Target sizes: ", shape_str(x.shape()), ".  Tensor sizes: ", shape_str(p.shape()));
              }
              // no device check: torch moves p to the input's device (a CPU input with CUDA
              // probabilities is legal)
            } else {
              check_p(real(a, 1));
            }
            return new_tensor(x.shape(), x.dtype(), x.meta().device);
          }});
  // x.random_() draws from [0, 2^mantissa] (floats) or the type's range; x.random_(to) from
  // [0, to); x.random_(from, to) from [from, to). One argument is `to`, as torch's overloads read
  // it (x.random_(from, None), torch's [from, max] overload, is not told apart and reads as [0, from)).
  add(r, {.schema = "random(input, from=None, to=None, *, generator=None)",
          .inplace_names = {"torch.Tensor.random_"},
          .print =
              [](const std::vector<Value>& args) {
                std::vector<Value> shown{args[0]};
                for (size_t i : {size_t{1}, size_t{2}})
                  if (!args[i].is_none()) shown.push_back(args[i]);
                return fill_call("random_", shown, shown.size() - 1);
              },
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            reject_generator(a);
            if (is_complex(x.dtype())) not_implemented_for("random_", x.dtype());
            if (!a[1].is_none() && !a[2].is_none()) check_random_range(x.dtype(), integer(a, 1), integer(a, 2));
            else if (!a[1].is_none()) check_random_range(x.dtype(), 0, integer(a, 1));
            else if (!a[2].is_none()) check_random_range(x.dtype(), 0, integer(a, 2));
            return new_tensor(x.shape(), x.dtype(), x.meta().device);
          }});
  add(r, {.schema = "exponential(input, lambd=1, *, generator=None)",
          .inplace_names = {"torch.Tensor.exponential_"},
          .print = [](const std::vector<Value>& args) { return fill_call("exponential_", args, 1); },
          .impl = [](const Args& a) {
            const Value& x = a.tensor(0);
            reject_generator(a);
            double lambd = real(a, 1);
            THUNDER_CHECK(is_floating(x.dtype()), Runtime,
                          "Exponential distribution is a continuous probability distribution. dtype must be a "
                          "floating point but you specified ",
                          dtype_c10_name(x.dtype()));
            THUNDER_CHECK(lambd > 0.0, Runtime, "exponential_ expects lambda > 0.0, but found lambda=", lambd);
            return new_tensor(x.shape(), x.dtype(), x.meta().device);
          }});

  // ---- dropout ----
  register_native_dropout(r);
  dropout(r, "dropout", {"torch.nn.functional.dropout", "torch.dropout"}, true);
  dropout(r, "alpha_dropout", {"torch.nn.functional.alpha_dropout"}, false);
  dropout(r, "feature_alpha_dropout", {"torch.nn.functional.feature_alpha_dropout"}, false);
  dropout(r, "dropout1d", {"torch.nn.functional.dropout1d"}, true, dropout1d_rank);
  dropout(r, "dropout2d", {"torch.nn.functional.dropout2d"}, true);
  dropout(r, "dropout3d", {"torch.nn.functional.dropout3d"}, true);
}

}  // namespace thunder::ops
