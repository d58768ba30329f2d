// Rematerialization: after the grad transform, choose which forward values to save for backward
// and which to recompute in backward, so that the bytes saved are minimal.
#pragma once

#include <cstdint>
#include <vector>

#include "transforms/grad.h"

namespace thunder::transforms {

/// Bytes of the tensors in `values` (number proxies count nothing).
int64_t tensor_bytes(const std::vector<Value>& values);

/// Whether backward may run `b` again instead of reading its outputs from forward: a pure call of
/// a cheap, fusible op (elementwise, shape or reduction class, no side effect such as a random
/// draw) whose inputs and outputs are tensors.
bool recomputable(const BoundSymbol& b);

/// Rewrites the grad transform's result: the saved list becomes a minimum-bytes cut between the
/// values backward reads and the values that must come from forward (forward inputs, results of
/// calls that are not recomputable); everything between is recomputed in backward, each call
/// placed just before its first use. Forward inputs count as free (the caller holds them anyway).
/// The forward trace returns the new saved list; the backward trace takes it as its first inputs.
GradTraces rematerialize(GradTraces g);

}  // namespace thunder::transforms
