// Tensor element types and torch's type promotion, reproduced exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace thunder {

/// Every torch dtype the compiler models. The order is significant only for iteration.
enum class DType : uint8_t {
  Bool,
  UInt8,
  Int8,
  Int16,
  Int32,
  Int64,
  Float16,
  BFloat16,
  Float32,
  Float64,
  Complex32,
  Complex64,
  Complex128,
};
inline constexpr int kNumDTypes = 13;

/// The coarse kinds torch's promotion reasons with: bool < integer < floating < complex.
enum class DTypeCategory : uint8_t { Bool = 0, Integer = 1, Floating = 2, Complex = 3 };

/// torch's name without the "torch." prefix ("float32").
std::string_view dtype_name(DType t);
/// The short form used in trace annotations ("f32", "bf16", "i64", "b8").
std::string_view dtype_short_name(DType t);
/// torch's ScalarType name, as its messages spell it ("Float", "Long", "Half").
std::string_view dtype_c10_name(DType t);
/// The C++ type name torch's kernel messages use ("float", "long int", "c10::Half").
std::string_view dtype_cpp_name(DType t);
/// Parses a torch name ("float32", also aliases such as "float" and "long").
std::optional<DType> dtype_from_name(std::string_view name);

DTypeCategory category(DType t);
inline bool is_bool(DType t) { return t == DType::Bool; }
/// Integer types, bool excluded (torch's isIntegralType(t, includeBool=false)).
inline bool is_integer(DType t) { return category(t) == DTypeCategory::Integer; }
inline bool is_floating(DType t) { return category(t) == DTypeCategory::Floating; }
inline bool is_complex(DType t) { return category(t) == DTypeCategory::Complex; }
/// Floating or complex: the types gradients are defined for.
inline bool is_inexact(DType t) { return is_floating(t) || is_complex(t); }
/// Bytes per element.
int itemsize(DType t);
/// complex64 -> float32 and so on; other types map to themselves.
DType to_real(DType t);
/// float32 -> complex64 and so on; complex types map to themselves.
DType to_complex(DType t);
/// The type an elementwise op computes in: float16/bfloat16 -> float32, complex32 -> complex64.
DType opmath_type(DType t);

/// torch.promote_types.
DType promote_types(DType a, DType b);

/// The Python number types, which promote as "wrapped numbers" in torch.
enum class NumberType : uint8_t { Bool, Int, Float, Complex };

/// The default dtypes torch gives Python numbers (torch.get_default_dtype() is float32).
DType number_dtype(NumberType t);

/// Accumulates operands the way torch's at::native::result_type does: dimensioned tensors beat
/// zero-dim tensors, which beat Python numbers, unless a lower group has a higher category.
class ResultType {
 public:
  void add_tensor(DType t, bool zero_dim);
  void add_number(NumberType t);
  /// The promoted type; bool when nothing was added.
  DType result() const;

 private:
  std::optional<DType> dim_, zero_, wrapped_;
};

/// How an elementwise op maps promoted inputs to its result (torch's
/// ELEMENTWISE_TYPE_PROMOTION_KIND).
enum class Promotion { Default, IntToFloat, AlwaysBool, ComplexToFloat, BoolToLong, NoOpmath };

/// The dtype an elementwise op computes in and the dtype it returns.
struct PromotedTypes {
  DType computation;
  DType result;
};
PromotedTypes apply_promotion(DType promoted, Promotion kind);

}  // namespace thunder
