// Trace -> trace passes. Each is a pure function; pipeline.cpp runs them in order.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/trace.h"

namespace thunder::transforms {

/// Removes calls whose outputs nothing uses.
Trace dead_code_elimination(const Trace& t);

/// Replaces every composite call by its subsymbols, recursively, leaving prims and calls that
/// have no decomposition.
Trace decompose_to_prims(const Trace& t);

/// What the pipeline should do.
struct PipelineOptions {
  /// Run prims instead of torch-level ops (checks decompositions against torch).
  bool decompose = false;
  /// Run the verifier after every pass.
  bool verify = false;
  /// Choose what to save for backward and what to recompute there (see remat.h).
  bool remat = true;
};

/// From the computation trace to the execution trace; returns every stage's trace, the
/// computation trace first and the execution trace last.
std::vector<Trace> run_pipeline(Trace computation, const PipelineOptions& options);

/// The pipeline of a computation that needs gradients: the stages of the forward trace (the
/// computation trace first, the forward execution trace last) and of the backward trace, with the
/// grad transform's saved list and cotangent positions (see GradTraces).
struct GradPipeline {
  std::vector<Trace> forward, backward;
  std::vector<Value> saved;
  std::vector<int64_t> cotangent_positions;
  /// Bytes of the tensors the grad transform saved, before rematerialization chose what to save.
  int64_t saved_bytes_before_remat = 0;
};
GradPipeline run_grad_pipeline(Trace computation, const PipelineOptions& options);

}  // namespace thunder::transforms
