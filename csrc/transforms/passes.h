// Trace -> trace passes. Each is a pure function; pipeline.cpp runs them in order.
#pragma once

#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "exec/executor.h"
#include "ir/trace.h"

namespace thunder::transforms {

/// Removes calls whose outputs nothing uses.
Trace dead_code_elimination(const Trace& t);

/// Merges calls of the same op on the same arguments (under the same grad mode) into the first;
/// side-effecting calls (random draws, copy_) and fallback torch calls are never merged.
Trace common_subexpression_elimination(const Trace& t);

/// Replaces every composite call by its subsymbols, recursively, leaving prims and calls that
/// have no decomposition.
Trace decompose_to_prims(const Trace& t);

/// One pass of the pipeline.
struct PassInfo {
  /// Short name, for THUNDER_DUMP and on/off switches ("cse").
  std::string name;
  /// The header of the trace it makes ("Common Subexpression Elimination").
  std::string header;
};

/// The pipeline's passes, in order (a pass whose switch is off is skipped).
const std::vector<PassInfo>& pipeline_passes();

/// What the pipeline should do.
struct PipelineOptions {
  /// Run prims instead of torch-level ops (checks decompositions against torch).
  bool decompose = false;
  /// Run the verifier after every pass.
  bool verify = false;
  /// Choose what to save for backward and what to recompute there (see remat.h).
  bool remat = true;
  /// Executors in priority order (the ATen executor alone when empty).
  std::vector<exec::Executor> executors;
  /// Short names of passes to skip.
  std::unordered_set<std::string> disabled;
};

/// From the computation trace to the execution trace; returns every stage's trace, the
/// computation trace first and the execution trace last. A pass that changed nothing has
/// " (unchanged)" appended to its header; each trace's `seconds` is its pass's time.
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

/// Whether two traces are the same program (the same calls of the same symbols on the same
/// values): passes that change nothing hand back the same values, so this is pointer comparison.
bool same_program(const Trace& a, const Trace& b);

}  // namespace thunder::transforms
