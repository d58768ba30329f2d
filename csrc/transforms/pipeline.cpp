// The pass pipeline: which passes run, in what order. The pipeline, not each pass, owns the
// on/off switches, "(unchanged)" detection, timing and the verifier.
#include <chrono>

#include "exec/executor.h"
#include "ir/error.h"
#include "transforms/grad.h"
#include "transforms/passes.h"
#include "transforms/remat.h"

namespace thunder::transforms {

namespace {

bool same_values(const Value& a, const Value& b) {
  if (a.same(b)) return true;
  if (!a || !b || a.kind() != b.kind()) return false;
  if (a.is_sequence()) {
    if (a.items().size() != b.items().size() || a.is_list() != b.is_list()) return false;
    for (size_t i = 0; i < a.items().size(); ++i)
      if (!same_values(a.items()[i], b.items()[i])) return false;
    return true;
  }
  return a.is_constant() && a.constant_value() == b.constant_value();
}

bool same_calls(const std::vector<BoundSymbol>& a, const std::vector<BoundSymbol>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].sym != b[i].sym || !same_values(a[i].output, b[i].output) || a[i].args.size() != b[i].args.size())
      return false;
    for (size_t j = 0; j < a[i].args.size(); ++j)
      if (!same_values(a[i].args[j], b[i].args[j])) return false;
    if (!same_calls(a[i].subsymbols, b[i].subsymbols)) return false;
  }
  return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs the pass named `name` on the last stage and appends its result (skipped when switched
// off; timed, marked "(unchanged)", verified when asked).
void step(std::vector<Trace>& stages, const std::string& name, const std::function<Trace(const Trace&)>& pass,
          const PipelineOptions& options) {
  if (options.disabled.count(name)) return;
  auto start = std::chrono::steady_clock::now();
  Trace next = pass(stages.back());
  next.seconds = seconds_since(start);
  // the execution trace keeps its name: it is the one that runs
  if (name != "del" && same_program(next, stages.back())) next.header += " (unchanged)";
  if (options.verify) verify(next);
  stages.push_back(std::move(next));
}

std::vector<exec::Executor> executors_of(const PipelineOptions& options) {
  std::vector<exec::Executor> executors = options.executors;
  if (executors.empty()) executors.push_back(exec::Executor::aten());
  return executors;
}

// The passes that turn a differentiated (or grad-free) trace into an execution trace.
void execution_passes(std::vector<Trace>& stages, const PipelineOptions& options) {
  std::vector<exec::Executor> executors = executors_of(options);
  bool any_fusion = false;
  for (const auto& ex : executors) any_fusion = any_fusion || ex.kind == exec::Executor::Kind::Fusion;
  step(stages, "claim", [&](const Trace& t) { return exec::claim(t, executors); }, options);
  if (any_fusion)
    step(stages, "fusion", [&](const Trace& t) { return exec::partition_fusions(t, executors); }, options);
  // only where the CPU attention kernel runs: other traces keep their list of stages
  bool cpu_attention = false;
  for (const auto& b : stages.back().bound_symbols)
    cpu_attention = cpu_attention || b.sym->name().starts_with("prims.sdpa_cpu");
  if (cpu_attention) step(stages, "pack_attention", exec::pack_attention, options);
  step(stages, "del", exec::insert_deletes, options);
}

}  // namespace

bool same_program(const Trace& a, const Trace& b) {
  return same_values(a.output, b.output) && same_calls(a.bound_symbols, b.bound_symbols);
}

const std::vector<PassInfo>& pipeline_passes() {
  static const std::vector<PassInfo> kPasses = {
      {"dce", "Dead Code Elimination"},
      {"cse", "Common Subexpression Elimination"},
      {"decompose", "Decomposition into prims"},
      {"grad", "Grad transform"},
      {"remat", "Rematerialization"},
      {"claim", "Claim by executors"},
      {"fusion", "Fusion"},
      {"pack_attention", "Attention packing"},
      {"del", "Transform for execution"},
  };
  return kPasses;
}

std::vector<Trace> run_pipeline(Trace computation, const PipelineOptions& options) {
  std::vector<Trace> stages;
  stages.push_back(std::move(computation));
  if (options.verify) verify(stages.back());
  step(stages, "dce", dead_code_elimination, options);
  step(stages, "cse", common_subexpression_elimination, options);
  if (options.decompose) step(stages, "decompose", decompose_to_prims, options);
  execution_passes(stages, options);
  return stages;
}

GradPipeline run_grad_pipeline(Trace computation, const PipelineOptions& options) {
  GradPipeline out;
  auto& fw = out.forward;
  fw.push_back(std::move(computation));
  if (options.verify) verify(fw.back());
  step(fw, "dce", dead_code_elimination, options);
  step(fw, "cse", common_subexpression_elimination, options);
  // decomposition comes after the grad transform: it would turn calls that cut the gradient
  // (detach) into aliases that pass it
  auto start = std::chrono::steady_clock::now();
  GradTraces g = grad_transform(fw.back());
  g.forward.seconds = g.backward.seconds = seconds_since(start);
  if (options.verify) verify(g.forward), verify(g.backward);
  out.saved_bytes_before_remat = tensor_bytes(g.saved);
  if (options.remat && !options.disabled.count("remat")) {
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
    if (options.decompose) step(*stages, "decompose", decompose_to_prims, options);
    step(*stages, "dce", dead_code_elimination, options);
    step(*stages, "cse", common_subexpression_elimination, options);
    execution_passes(*stages, options);
  }
  return out;
}

}  // namespace thunder::transforms
