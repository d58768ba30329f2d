// Shared vocabulary of the nn family's decompositions (activations, normalization, losses, library
// calls). Everything here records prims; operands must already agree as prims require.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/ops.h"

namespace thunder::ops::nn {

/// prims.sum over `dims` (skipped when empty), reduced dims kept as 1s when `keepdim`.
Value sum(const Value& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// prims.amax over `dims`, like sum.
Value amax(const Value& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// prims.reshape, skipped when the shape does not change.
Value reshape(const Value& x, const Shape& shape);
/// Every dim from `start` to the last.
std::vector<int64_t> dims_from(int64_t start, int64_t rank);

/// |x|, max(x, lo) and min(x, hi) written with prims.where; NaN passes through as in torch.
Value abs(const Value& x);
Value clamp_min(const Value& x, const Value& lo);
Value clamp_max(const Value& x, const Value& hi);

/// The input of a float-only op, cast to its computation dtype; raises NotImplementedError naming
/// `op` for integer and bool tensors (torch has no kernels for them).
Value floating_input(std::string_view op, const Value& x);
/// Raises "op: inplace=True is not supported yet" (in-place ops need functionalization first).
void reject_inplace(std::string_view op, const Args& a, size_t i);

/// softmax / log_softmax of `x` (already in its computation dtype) over `dim`, stable (x - amax).
Value softmax(const Value& x, int64_t dim, bool log);

/// scaled_dot_product_attention by torch's math formula, from torch-level calls: softmax(q @ k^T *
/// scale, causal- and mask-filtered), then `weights_hook` on the weights (dropout), then @ v. With
/// `gqa` the key and value heads repeat to the query's. Fully masked rows give NaN (as the formula).
Value sdpa_math(const Value& q, Value k, Value v, const std::optional<Value>& mask, bool causal, double scale, bool gqa,
                const std::function<Value(const Value&)>& weights_hook = {});

/// A loss's reduction from its `reduction` argument and torch's legacy size_average/reduce pair
/// (either given overrides it); raises torch's ValueError for an unknown mode.
std::string reduction_mode(const Args& a, size_t size_average, size_t reduce, size_t reduction);
/// Applies 'none', 'mean' or 'sum' to an elementwise loss.
Value reduce_loss(const Value& loss, const std::string& mode);

/// A real number argument (bool, int or float constant).
double real(const Args& a, size_t i);
/// An int repeated `n` times, or a sequence of ints as given (callers check its length, with
/// their op's wording).
std::vector<int64_t> int_tuple(const Args& a, size_t i, size_t n);
/// torch's pooling_output_shape (one spatial dim), with its checks and messages.
int64_t pool_output_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil);
/// The output shape of a 2-D pooling of `x` (3-D or 4-D), after torch's pool2d_shape_check.
Shape pool2d_output_shape(const Value& x, const std::vector<int64_t>& k, const std::vector<int64_t>& stride,
                          const std::vector<int64_t>& pad, const std::vector<int64_t>& dil, bool ceil);
/// Registers an activation of one float tensor: the check, the cast to the computation dtype,
/// `body`, the cast back. `has_inplace`: the schema's last parameter is `inplace`, which the
/// frontend has already made functional (a True left here is refused).
void activation(Registry& r, std::string schema, std::vector<std::string> torch_names,
                std::function<Value(const Value& x, const Args& a)> body, bool has_inplace = true);
/// "[1, 2]" for an int list, as torch prints parameters in its messages.
std::string list_str(const std::vector<int64_t>& v);

}  // namespace thunder::ops::nn
