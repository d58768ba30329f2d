// The grad transform: a computation trace whose inputs require grad becomes a forward trace
// (inputs -> outputs and the tensors saved for backward) and a backward trace (saved tensors and
// the outputs' cotangents -> the inputs' gradients).
#pragma once

#include <vector>

#include "ir/trace.h"

namespace thunder::transforms {

/// The two sides of a differentiated trace.
struct GradTraces {
  /// Same inputs as the computation trace; returns `(output, (saved...))`, where output is the
  /// computation trace's output.
  Trace forward;
  /// Inputs: the saved tensors, then one cotangent per entry of `cotangent_positions`. Returns a
  /// tuple with one gradient per forward input (None where the input gets none).
  Trace backward;
  /// Forward proxies the backward trace reads, in the order backward takes them. A later pass
  /// (rematerialization) may shrink this list by recomputing some of them in backward.
  std::vector<Value> saved;
  /// The positions, among the tensor leaves of the computation trace's output (in order), of the
  /// outputs that carry a gradient (computed differentiably from an input that requires grad).
  std::vector<int64_t> cotangent_positions;
};

/// Differentiates `t` with respect to its inputs whose metadata says requires_grad. Torch-level
/// calls with a VJP rule stay in the forward trace as they are; calls without one are replaced by
/// their decomposition, down to calls that have a rule. Raises a user error for a call that needs
/// a gradient and has neither a rule nor a decomposition.
GradTraces grad_transform(const Trace& t);

}  // namespace thunder::transforms
