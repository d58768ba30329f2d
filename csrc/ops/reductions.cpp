// Reductions: prims.sum and prims.amax over explicit dims, and the torch-level sum, mean, amax.
#include "ir/error.h"
#include "ops/ops.h"

namespace thunder::ops {

namespace {

Shape reduced_shape(const Shape& s, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!reduced) out.push_back(s[i]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

Value reduction_prim_meta(const Args& a) {
  const Value& t = a.tensor(0);
  std::vector<int64_t> dims = a.int_list(1);
  THUNDER_ASSERT(!dims.empty(), a.symbol().name(), ": empty dims (torch would reduce everything)");
  for (size_t i = 0; i < dims.size(); ++i)
    THUNDER_ASSERT(dims[i] >= 0 && dims[i] < t.rank() && (i == 0 || dims[i] > dims[i - 1]), a.symbol().name(),
                   ": dims must be sorted, unique and in range");
  return new_tensor(reduced_shape(t.shape(), dims, false), t.dtype(), t.meta().device);
}

// Reduces `x` over `dims` with `prim`, restoring reduced dims as 1s when `keepdim`.
Value reduce(const char* prim, const Value& x, const std::vector<int64_t>& dims, bool keepdim) {
  if (dims.empty()) return x;
  Value y = call(prim, {x, int_list(dims)});
  if (keepdim) y = call("prims.reshape", {y, int_list(reduced_shape(x.shape(), dims, true))});
  return y;
}

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

const char* c10_name(DType t) {
  static const char* kNames[] = {"Bool", "Byte", "Char", "Short", "Int", "Long", "Half",
                                 "BFloat16", "Float", "Double", "ComplexHalf", "ComplexFloat", "ComplexDouble"};
  return kNames[static_cast<int>(t)];
}

}  // namespace

void register_reductions(Registry& r) {
  r.add({.schema = "prims.sum(a, dims)", .fusion = FusionClass::Reduction, .aten = "torch.sum",
         .impl = reduction_prim_meta});
  r.add({.schema = "prims.amax(a, dims)", .fusion = FusionClass::Reduction, .aten = "torch.amax",
         .impl = reduction_prim_meta});

  r.add({.schema = "sum(input, dim=None, keepdim=False, *, dtype=None)",
         .print_name = "torch.sum",
         .torch_names = {"torch.sum", "torch.Tensor.sum"},
         .fusion = FusionClass::Reduction,
         .impl = [](const Args& a) {
           SumArgs s = sum_args(a);
           // integers and bools accumulate in int64, as torch does
           DType result = s.dtype ? *s.dtype : is_inexact(s.x.dtype()) ? s.x.dtype() : DType::Int64;
           Value y = reduce("prims.sum", convert(s.x, opmath_type(result)), s.dims, s.keepdim);
           return convert(y, result);
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
                         c10_name(result));
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
         .impl = [](const Args& a) {
           const Value& x = a.tensor(0);
           THUNDER_CHECK(!is_complex(x.dtype()), Runtime, "amax: complex tensors are not supported, got ",
                         dtype_name(x.dtype()));
           std::optional<std::vector<int64_t>> given = a.opt_int_list(1);
           std::vector<int64_t> dims = reduction_dims("amax", given, x.rank());
           if (!given || given->empty())
             THUNDER_CHECK(numel(x.shape()) > 0, Index,
                           "amax(): Expected reduction dim to be specified for input.numel() == 0.");
           for (int64_t d : dims)
             THUNDER_CHECK(x.shape()[d] != 0, Index, "amax(): Expected reduction dim ", d, " to have non-zero size.");
           return reduce("prims.amax", x, dims, a.bool_(2));
         }});
}

}  // namespace thunder::ops
