#include "ir/dtype.h"

#include <array>
#include <string>

#include "ir/error.h"

namespace thunder {

namespace {

struct DTypeInfo {
  std::string_view name;
  std::string_view short_name;
  std::string_view c10_name;  // torch's ScalarType name, as its messages spell it
  std::string_view cpp_name;  // the C++ type torch's kernel messages name
  DTypeCategory category;
  int itemsize;
};

constexpr std::array<DTypeInfo, kNumDTypes> kInfo = {{
    {"bool", "b8", "Bool", "bool", DTypeCategory::Bool, 1},
    {"uint8", "u8", "Byte", "unsigned char", DTypeCategory::Integer, 1},
    {"int8", "i8", "Char", "signed char", DTypeCategory::Integer, 1},
    {"int16", "i16", "Short", "short int", DTypeCategory::Integer, 2},
    {"int32", "i32", "Int", "int", DTypeCategory::Integer, 4},
    {"int64", "i64", "Long", "long int", DTypeCategory::Integer, 8},
    {"float16", "f16", "Half", "c10::Half", DTypeCategory::Floating, 2},
    {"bfloat16", "bf16", "BFloat16", "c10::BFloat16", DTypeCategory::Floating, 2},
    {"float32", "f32", "Float", "float", DTypeCategory::Floating, 4},
    {"float64", "f64", "Double", "double", DTypeCategory::Floating, 8},
    {"complex32", "c32", "ComplexHalf", "c10::complex<c10::Half>", DTypeCategory::Complex, 4},
    {"complex64", "c64", "ComplexFloat", "c10::complex<float>", DTypeCategory::Complex, 8},
    {"complex128", "c128", "ComplexDouble", "c10::complex<double>", DTypeCategory::Complex, 16},
}};

const DTypeInfo& info(DType t) { return kInfo[static_cast<size_t>(t)]; }

// Promotion within the integer types: uint8 with a signed type needs a signed type that holds
// both ranges (int8 -> int16); otherwise the wider type wins.
DType promote_integers(DType a, DType b) {
  if (a == DType::UInt8 || b == DType::UInt8) {
    DType other = a == DType::UInt8 ? b : a;
    if (other == DType::UInt8) return DType::UInt8;
    return other == DType::Int8 ? DType::Int16 : other;
  }
  return itemsize(a) >= itemsize(b) ? a : b;
}

DType promote_floats(DType a, DType b) {
  if (a == b) return a;
  // float16 and bfloat16 have no common 16-bit type.
  if (itemsize(a) == 2 && itemsize(b) == 2) return DType::Float32;
  return itemsize(a) >= itemsize(b) ? a : b;
}

// torch's combine_categories: `higher` comes from the group that ranks first
// (dimensioned > zero-dim > wrapped numbers).
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_complex(*higher)) return higher;
  if (is_complex(*lower)) {
    // a floating tensor keeps its precision: float64 tensor + 1j -> complex128
    if (is_floating(*higher)) return to_complex(*higher);
    return lower;
  }
  if (is_floating(*higher)) return higher;
  if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}

void accumulate(std::optional<DType>& slot, DType t) {
  slot = slot ? promote_types(*slot, t) : t;
}

}  // namespace

std::string_view dtype_name(DType t) { return info(t).name; }
std::string_view dtype_short_name(DType t) { return info(t).short_name; }
std::string_view dtype_c10_name(DType t) { return info(t).c10_name; }
std::string_view dtype_cpp_name(DType t) { return info(t).cpp_name; }
DTypeCategory category(DType t) { return info(t).category; }
int itemsize(DType t) { return info(t).itemsize; }

std::optional<DType> dtype_from_name(std::string_view name) {
  if (name.starts_with("torch.")) name.remove_prefix(6);
  for (int i = 0; i < kNumDTypes; ++i)
    if (kInfo[i].name == name) return static_cast<DType>(i);
  struct Alias {
    std::string_view name;
    DType t;
  };
  static constexpr Alias kAliases[] = {
      {"float", DType::Float32},  {"double", DType::Float64}, {"half", DType::Float16},
      {"long", DType::Int64},     {"int", DType::Int32},      {"short", DType::Int16},
      {"cfloat", DType::Complex64}, {"cdouble", DType::Complex128}, {"chalf", DType::Complex32},
  };
  for (const auto& a : kAliases)
    if (a.name == name) return a.t;
  return std::nullopt;
}

DType to_real(DType t) {
  switch (t) {
    case DType::Complex32: return DType::Float16;
    case DType::Complex64: return DType::Float32;
    case DType::Complex128: return DType::Float64;
    default: return t;
  }
}

DType to_complex(DType t) {
  switch (t) {
    case DType::Float16: return DType::Complex32;
    case DType::Float32: return DType::Complex64;
    case DType::Float64: return DType::Complex128;
    case DType::Complex32:
    case DType::Complex64:
    case DType::Complex128: return t;
    default: throw InternalError(cat("to_complex: no complex type for ", dtype_name(t)));
  }
}

DType opmath_type(DType t) {
  switch (t) {
    case DType::Float16:
    case DType::BFloat16: return DType::Float32;
    case DType::Complex32: return DType::Complex64;
    default: return t;
  }
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  DTypeCategory ca = category(a), cb = category(b);
  if (ca == DTypeCategory::Integer && cb == DTypeCategory::Integer) return promote_integers(a, b);
  if (ca == DTypeCategory::Integer) return b;
  if (cb == DTypeCategory::Integer) return a;
  if (ca == DTypeCategory::Floating && cb == DTypeCategory::Floating) return promote_floats(a, b);
  // at least one complex: promote the real parts, then make it complex again
  return to_complex(promote_floats(to_real(a), to_real(b)));
}

DType number_dtype(NumberType t) {
  switch (t) {
    case NumberType::Bool: return DType::Bool;
    case NumberType::Int: return DType::Int64;
    case NumberType::Float: return DType::Float32;
    case NumberType::Complex: return DType::Complex64;
  }
  throw InternalError("number_dtype: bad number type");
}

void ResultType::add_tensor(DType t, bool zero_dim) { accumulate(zero_dim ? zero_ : dim_, t); }

void ResultType::add_number(NumberType t) { accumulate(wrapped_, number_dtype(t)); }

DType ResultType::result() const {
  return combine(dim_, combine(zero_, wrapped_)).value_or(DType::Bool);
}

PromotedTypes apply_promotion(DType promoted, Promotion kind) {
  DType opmath = opmath_type(promoted);
  switch (kind) {
    case Promotion::Default: return {opmath, promoted};
    case Promotion::NoOpmath: return {promoted, promoted};
    case Promotion::IntToFloat:
      if (!is_inexact(promoted)) return {DType::Float32, DType::Float32};
      return {opmath, promoted};
    case Promotion::AlwaysBool: return {opmath, DType::Bool};
    case Promotion::ComplexToFloat: return {opmath, is_complex(promoted) ? to_real(promoted) : promoted};
    case Promotion::BoolToLong:
      if (promoted == DType::Bool) return {DType::Int64, DType::Int64};
      return {opmath, promoted};
  }
  throw InternalError("apply_promotion: bad promotion kind");
}

}  // namespace thunder
