// Shared pieces of the CPU code generator's files: index tuples and their arithmetic (index.cpp),
// and the C helpers kernels may include (prelude.cpp).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ir/shape.h"
#include "ir/trace.h"

namespace thunder::codegen::cpu {

std::string join(const std::vector<std::string>& parts, const std::string& sep);

/// One component of an index tuple: a C expression, and whether it reads an inner loop variable.
struct Ix {
  std::string code;
  bool inner = false;
  // set on the components a reshape spread one index over (reshape_map): that index, how many
  // components it became and which one this is, so mapping the same group back in the same order
  // gives the index itself, not a sum of them
  std::string whole;
  int parts = 0, part = 0;
  // set on an index a reshape joined from several components (reshape_map): those components and
  // their sizes, so spreading it back over the same sizes gives them again
  std::vector<Ix> joined;
  Shape joined_sizes;
};
/// An index into a value of some shape, with its row-major linear index where known (reshapes keep
/// it; the contiguous variant reads inputs through it).
struct Tuple {
  std::vector<Ix> ix;
  std::optional<Ix> linear;
  bool inner() const {
    for (const auto& i : ix)
      if (i.inner) return true;
    return linear && linear->inner;
  }
  std::string key() const {
    std::vector<std::string> parts;
    for (const auto& i : ix) parts.push_back(i.code);
    return join(parts, ",");
  }
};

/// Row-major strides of a shape.
Shape contiguous_strides(const Shape& s);
/// sum of idx * stride over dims, leaving out zeros and unit factors.
Ix linearize(const std::vector<Ix>& ix, const std::vector<std::string>& strides);
/// (lin / stride) % size, leaving out what is not needed (no % for the first dim of a group).
Ix component(const Ix& lin, int64_t stride, int64_t size, bool first);
/// The tuple of shape `to` that reaches the same element as `t` of `from` (same numel), dim group by
/// group: dims map one to one where sizes agree, and through a linear index only inside a group of
/// dims whose sizes multiply to the same product. The linear index is kept.
Tuple reshape_map(const Tuple& t, const Shape& from, const Shape& to);

/// The prims the generator knows, by kind (names without "prims."; fusible.cpp).
extern const std::set<std::string> kFloatUnary, kNumericUnary, kArith, kFloatBinary, kBitwise, kViews, kReductions;
/// Comparison prims and their C operators.
extern const std::map<std::string, std::string> kCompare;
/// "prims.add" -> "add"; "" for anything else.
std::string prim_name(const BoundSymbol& b);
/// Dtypes kernels compute in (all but complex).
bool supported_dtype(DType t);
/// Whether `b` is a column sum a kernel can fuse: a float32 or float64 sum over every dim but the
/// last (the gradient of a bias or a norm's weight), the last dim at least 16 long.
bool is_column_sum(const BoundSymbol& b);

/// A double as an exact C literal of type `t` (hexadecimal; the value rounded once to float for
/// "float", as torch rounds a Python number operand of a float32 tensor).
std::string exact(double v, const char* t);

/// The C helper functions kernels may use, by name, in the order they must be defined.
const std::vector<std::pair<std::string, std::string>>& helper_sources();

}  // namespace thunder::codegen::cpu
