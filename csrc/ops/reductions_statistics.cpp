// Statistics: var, std, var_mean, std_mean, and the vector norms, decomposed into the reduction
// prims in the computation dtype.
#include <cmath>

#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

// |x| for real tensors: where, not a sign test, so NaN passes through
Value abs_real(const Value& x) {
  using namespace pm;
  return where(call("prims.lt", {x, num(0)}), -x, x);
}

// var and std accept torch's three spellings of the correction: correction= (a number), the legacy
// unbiased= (a bool), and unbiased passed positionally in place of dim (torch.var(x, False)).
struct VarArgs {
  Value x;
  Value dim;  // None or the dims as given
  std::vector<int64_t> dims;
  Value correction;  // a number constant
  bool keepdim;
};

VarArgs var_args(const Args& a) {
  std::string op = a.symbol().name();
  const Value& x = a.tensor(0);
  Value dim = a[1], unbiased = a[2];
  if (dim.is_constant() && std::holds_alternative<bool>(dim.constant_value())) {
    THUNDER_CHECK(unbiased.is_none(), Type, op, ": expected 'unbiased' once, got it both positionally and by name");
    unbiased = dim;
    dim = Value::none();
  }
  THUNDER_CHECK(unbiased.is_none() || a[4].is_none(), Type, op,
                ": expected at most one of 'unbiased' and 'correction', got both");
  Value correction = num(1);
  if (!unbiased.is_none()) {
    if (!unbiased.is_constant() || !std::holds_alternative<bool>(unbiased.constant_value())) a.type_error(2, "a bool");
    correction = num(unbiased.as_bool() ? 1 : 0);
  } else if (!a[4].is_none()) {
    const Value& c = a[4];
    if (!c.is_constant() || !(c.is_int() || std::holds_alternative<double>(c.constant_value())))
      a.type_error(4, "an int or a float");
    correction = c;
  }
  std::optional<std::vector<int64_t>> given;
  if (!dim.is_none()) given = a.opt_int_list(1);
  THUNDER_CHECK(is_inexact(x.dtype()), Runtime, "std and var only support floating point and complex dtypes");
  return {x, dim, reduction_dims(op, given, x.rank()), correction, a.bool_(3)};
}

// Prints the canonical call: torch.var(x, dim, correction=c, keepdim=True). The legacy
// overloads cannot take correction=, and the correction overload takes keepdim only by name.
std::function<std::string(const std::vector<Value>&)> var_printer(std::string name) {
  return [name](const std::vector<Value>& args) {
    Value dim = args[1], unbiased = args[2];
    if (dim.is_constant() && std::holds_alternative<bool>(dim.constant_value())) std::swap(dim, unbiased);
    std::string s = name + "(" + python_repr(args[0]);
    if (!dim.is_none()) s += ", " + python_repr(dim);
    if (!unbiased.is_none() && !unbiased.as_bool()) s += ", correction=0";
    if (!args[4].is_none()) s += ", correction=" + python_repr(args[4]);
    if (args[3].as_bool()) s += ", keepdim=True";
    return s + ")";
  };
}

// (var or std, mean) in the result dtype, with torch's divisor max(0, n - correction); std is
// taken before the one cast back.
std::pair<Value, Value> var_mean_of(const VarArgs& v, bool is_std) {
  using namespace pm;
  DType result = v.x.dtype();
  Value x = convert(v.x, opmath_type(result));
  int64_t n = 1;
  for (int64_t d : v.dims) n *= x.shape()[d];
  Value mean = reduce("prims.sum", x, v.dims, true) / static_cast<double>(n);
  Value diff = x - broadcast_to(mean, x.shape());
  double divisor = std::max(0.0, static_cast<double>(n) - v.correction.as_double());
  Value var = reduce("prims.sum", diff * diff, v.dims, v.keepdim) / divisor;
  if (!v.keepdim) mean = reshape_to(mean, var.shape());
  // torch's std_backward masks the gradient where std is 0 (sqrt's derivative is infinite there):
  // a selection of the same values passes no cotangent to those elements
  if (is_std) var = call("prims.pow", {where(eq(var, num(0)), num(0.0), var), num(0.5)});
  return {convert(var, result), convert(mean, result)};
}

// Complex inputs run as one opaque call: their variance is real, and the prims have no |z|.
std::optional<std::pair<Value, Value>> opaque_complex(const VarArgs& v) {
  if (!is_complex(v.x.dtype())) return std::nullopt;
  Shape s = reduced_shape(v.x.shape(), v.dims, v.keepdim);
  return std::pair{new_tensor(s, to_real(v.x.dtype()), v.x.meta().device), new_tensor(s, v.x.dtype(), v.x.meta().device)};
}

std::string scalar_str(const Value& ord) {
  if (ord.is_int()) return std::to_string(ord.as_int());
  return cat(ord.as_double());  // c10::Scalar prints doubles as ostream does: inf, -1, 2.5
}

Value vector_norm(const Value& in, const Value& ord_v, const std::optional<std::vector<int64_t>>& given, bool keepdim,
                  std::optional<DType> dtype) {
  THUNDER_CHECK(is_inexact(in.dtype()), Runtime,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ", dtype_c10_name(in.dtype()));
  if (dtype) {
    THUNDER_CHECK(is_inexact(*dtype), Runtime, "linalg.vector_norm: dtype should be floating point or complex, but got ",
                  dtype_c10_name(*dtype));
    THUNDER_CHECK(promote_types(in.dtype(), *dtype) == *dtype, Runtime, "linalg.vector_norm: the dtype of the input (",
                  dtype_c10_name(in.dtype()), ") should be convertible without narrowing to the specified dtype (",
                  dtype_c10_name(*dtype), ")");
  }
  double ord = ord_v.as_double();
  std::vector<int64_t> dims = reduction_dims("linalg.vector_norm", given, in.rank());
  if (numel(in.shape()) == 0 && (ord < 0 || ord == INFINITY)) {
    THUNDER_CHECK(given && !given->empty(), Runtime, "linalg.vector_norm cannot compute the ", scalar_str(ord_v),
                  " norm on an empty tensor because the operation does not have an identity");
    for (int64_t d : dims)
      THUNDER_CHECK(in.shape()[d] != 0, Runtime, "linalg.vector_norm cannot compute the ", scalar_str(ord_v),
                    " norm on the dimension ", d, "because this dimension is empty and the operation does not have an "
                    "identity");
  }
  DType compute = dtype.value_or(in.dtype());
  DType result = to_real(compute);
  if (is_complex(compute)) return new_tensor(reduced_shape(in.shape(), dims, keepdim), result, in.meta().device);
  using namespace pm;
  Value x = convert(in, opmath_type(compute));
  Value y;
  if (ord == 0) y = reduce("prims.sum", convert(call("prims.ne", {x, num(0)}), x.dtype()), dims, keepdim);
  else if (ord == INFINITY) y = reduce("prims.amax", abs_real(x), dims, keepdim);
  else if (ord == -INFINITY) y = reduce("prims.amin", abs_real(x), dims, keepdim);
  else if (ord == 1) y = reduce("prims.sum", abs_real(x), dims, keepdim);
  else if (ord == 2) y = call("prims.pow", {reduce("prims.sum", x * x, dims, keepdim), num(0.5)});
  else
    y = call("prims.pow", {reduce("prims.sum", call("prims.pow", {abs_real(x), num(ord)}), dims, keepdim), num(1.0 / ord)});
  return convert(y, result);
}

const Value& number_arg(const Args& a, size_t i) {
  if (!a[i].is_constant() || !(a[i].is_int() || std::holds_alternative<double>(a[i].constant_value())))
    a.type_error(i, "a number");
  return a[i];
}

}  // namespace

void register_statistics(Registry& r) {
  for (const char* name : {"var", "std"}) {
    bool is_std = name == std::string("std");
    r.add({.schema = cat(name, "(input, dim=None, unbiased=None, keepdim=False, *, correction=None)"),
           .print_name = cat("torch.", name),
           .torch_names = {cat("torch.", name), cat("torch.Tensor.", name)},
           .fusion = FusionClass::Reduction,
           .print = var_printer(cat("torch.", name)),
           .impl = [is_std](const Args& a) {
             VarArgs v = var_args(a);
             if (auto c = opaque_complex(v)) return c->first;
             return var_mean_of(v, is_std).first;
           }});
    std::string both = cat(name, "_mean");
    r.add({.schema = cat(both, "(input, dim=None, unbiased=None, keepdim=False, *, correction=None)"),
           .print_name = cat("torch.", both),
           .torch_names = {cat("torch.", both)},
           .fusion = FusionClass::Reduction,
           .print = var_printer(cat("torch.", both)),
           .impl = [is_std](const Args& a) {
             VarArgs v = var_args(a);
             if (auto c = opaque_complex(v)) return Value::sequence({c->first, c->second});
             auto [y, mean] = var_mean_of(v, is_std);
             return Value::sequence({y, mean});
           }});
  }

  r.add({.schema = "linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None)",
         .print_name = "torch.linalg.vector_norm",
         .torch_names = {"torch.linalg.vector_norm"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           return vector_norm(a.tensor(0), number_arg(a, 1), a.opt_int_list(2), a.bool_(3), a.opt_dtype(4));
         }});

  // torch.norm is torch.linalg.vector_norm for numeric p and for 'fro' over at most two dims; the
  // other string orders are matrix norms.
  r.add({.schema = "norm(input, p='fro', dim=None, keepdim=False, *, out=None, dtype=None)",
         .print_name = "torch.norm",
         .torch_names = {"torch.norm", "torch.Tensor.norm"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(a[4].is_none(), NotImplemented, "norm: out= is not supported");
           std::optional<std::vector<int64_t>> dims = a.opt_int_list(2);
           Value p = a[1].is_none() ? num(2.0) : a[1];
           if (a[1].is_constant() && std::holds_alternative<std::string>(a[1].constant_value())) {
             std::string s = a.str(1);
             THUNDER_CHECK(s == "fro" || s == "nuc", Runtime, "linalg.matrix_norm: Order ", s, " not supported.");
             THUNDER_CHECK(s == "fro", NotImplemented, "norm: p='nuc' (the nuclear norm) is not supported yet");
             if (dims && dims->size() > 2) {
               std::string got;
               for (int64_t d : *dims) got += (got.empty() ? "" : " ") + std::to_string(d);
               throw UserError(ErrorKind::Runtime, cat("linalg.matrix_norm: dim must be a 2-tuple. Got ", got));
             }
             p = num(2);
           } else if (!a[1].is_none()) {
             number_arg(a, 1);
           }
           Kwargs kw;
           if (!a[5].is_none()) kw.emplace_back("dtype", a[5]);
           return call("linalg_vector_norm", {x, p, dims ? int_list(*dims) : Value::none(), a[3]}, kw);
         }});
}

}  // namespace thunder::ops
