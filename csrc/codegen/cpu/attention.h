// Generated CPU attention kernels (attention.cpp): scaled dot-product attention without a mask,
// causal or not, forward and backward, for float32 and float64.
#pragma once

#include <optional>

#include "codegen/cpu/codegen.h"

namespace thunder::codegen::cpu {

/// Batch, heads, query and key positions, head size (queries, keys and values share it).
struct AttentionSpec {
  int64_t B = 0, H = 0, L = 0, S = 0, E = 0;
  bool causal = false;
  std::optional<double> scale;  // default 1 / sqrt(E)
  DType dtype = DType::Float32;
};

/// Inputs q [B, H, L, E], k and v [B, H, S, E] (any strides); outputs the attention in [B, L, H, E]
/// order (contiguous) and the rows' log-sum-exp [B, H, L] in the inputs' dtype.
KernelSource attention_forward(const AttentionSpec& a);
/// Inputs grad, q, k, v, out (each [B, H, L or S, E], any strides) and the log-sum-exp; outputs dq,
/// dk and dv in [B, L or S, H, E] order (contiguous), or for L == S one [B, L, 3, H, E] tensor
/// holding all three.
KernelSource attention_backward(const AttentionSpec& a);

}  // namespace thunder::codegen::cpu
