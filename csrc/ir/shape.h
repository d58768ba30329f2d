// Shapes and the dimension arithmetic shared by meta rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace thunder {

using Shape = std::vector<int64_t>;

/// "[2, 3]", the way torch prints sizes in its messages.
std::string shape_str(const Shape& s);
/// Number of elements (1 for a zero-dim shape).
int64_t numel(const Shape& s);
/// Wraps a possibly negative dim into [0, rank); a zero-dim tensor accepts 0 and -1 as torch does.
/// Raises torch's IndexError message when out of range.
int64_t wrap_dim(int64_t dim, int64_t rank);
/// torch.broadcast_shapes, with torch's error for incompatible sizes.
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace thunder
