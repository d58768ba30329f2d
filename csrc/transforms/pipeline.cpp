// The pass pipeline: which passes run, in what order. The pipeline, not each pass, owns the
// verifier switch.
#include <chrono>

#include "exec/executor.h"
#include "transforms/grad.h"
#include "transforms/passes.h"
#include "transforms/remat.h"

namespace thunder::transforms {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `pass` on the last stage and appends its result (timed, verified when asked).
void step(std::vector<Trace>& stages, Trace (*pass)(const Trace&), const PipelineOptions& options) {
  auto start = std::chrono::steady_clock::now();
  Trace next = pass(stages.back());
  next.seconds = seconds_since(start);
  if (options.verify) verify(next);
  stages.push_back(std::move(next));
}

}  // namespace

std::vector<Trace> run_pipeline(Trace computation, const PipelineOptions& options) {
  std::vector<Trace> stages;
  stages.push_back(std::move(computation));
  if (options.verify) verify(stages.back());
  step(stages, dead_code_elimination, options);
  if (options.decompose) step(stages, decompose_to_prims, options);
  step(stages, exec::insert_deletes, options);
  return stages;
}

GradPipeline run_grad_pipeline(Trace computation, const PipelineOptions& options) {
  GradPipeline out;
  auto& fw = out.forward;
  fw.push_back(std::move(computation));
  if (options.verify) verify(fw.back());
  step(fw, dead_code_elimination, options);
  // decomposition comes after the grad transform: it would turn calls that cut the gradient
  // (detach) into aliases that pass it
  auto start = std::chrono::steady_clock::now();
  GradTraces g = grad_transform(fw.back());
  g.forward.seconds = g.backward.seconds = seconds_since(start);
  if (options.verify) verify(g.forward), verify(g.backward);
  out.saved_bytes_before_remat = tensor_bytes(g.saved);
  if (options.remat) {
    fw.push_back(g.forward);
    out.backward.push_back(g.backward);
    start = std::chrono::steady_clock::now();
    g = rematerialize(std::move(g));
    g.forward.seconds = g.backward.seconds = seconds_since(start);
    if (options.verify) verify(g.forward), verify(g.backward);
  }
  fw.push_back(std::move(g.forward));
  out.backward.push_back(std::move(g.backward));
  out.saved = std::move(g.saved);
  out.cotangent_positions = std::move(g.cotangent_positions);
  for (auto* stages : {&out.forward, &out.backward}) {
    if (options.decompose) step(*stages, decompose_to_prims, options);
    step(*stages, dead_code_elimination, options);
    step(*stages, exec::insert_deletes, options);
  }
  return out;
}

}  // namespace thunder::transforms
