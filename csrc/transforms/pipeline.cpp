// The pass pipeline: which passes run, in what order. The pipeline, not each pass, owns the
// verifier switch.
#include "exec/executor.h"
#include "transforms/passes.h"

namespace thunder::transforms {

std::vector<Trace> run_pipeline(Trace computation, const PipelineOptions& options) {
  std::vector<Trace> stages;
  stages.push_back(std::move(computation));
  auto step = [&](Trace next) {
    if (options.verify) verify(next);
    stages.push_back(std::move(next));
  };
  if (options.verify) verify(stages.back());
  step(dead_code_elimination(stages.back()));
  if (options.decompose) step(decompose_to_prims(stages.back()));
  step(exec::insert_deletes(stages.back()));
  return stages;
}

}  // namespace thunder::transforms
