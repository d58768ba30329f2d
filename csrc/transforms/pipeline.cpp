// The pass pipeline: which passes run, in what order. The pipeline, not each pass, owns the
// verifier switch.
#include <chrono>

#include "exec/executor.h"
#include "transforms/passes.h"

namespace thunder::transforms {

std::vector<Trace> run_pipeline(Trace computation, const PipelineOptions& options) {
  std::vector<Trace> stages;
  stages.push_back(std::move(computation));
  auto step = [&](Trace (*pass)(const Trace&)) {
    auto start = std::chrono::steady_clock::now();
    Trace next = pass(stages.back());
    next.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.verify) verify(next);
    stages.push_back(std::move(next));
  };
  if (options.verify) verify(stages.back());
  step(dead_code_elimination);
  if (options.decompose) step(decompose_to_prims);
  step(exec::insert_deletes);
  return stages;
}

}  // namespace thunder::transforms
