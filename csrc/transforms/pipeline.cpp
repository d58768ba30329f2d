// The pass pipeline: which passes run, in what order. The pipeline, not each pass, owns the
// on/off switches, "(unchanged)" detection, timing and the verifier.
#include <chrono>

#include "exec/executor.h"
#include "ir/error.h"
#include "transforms/passes.h"

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

}  // namespace

bool same_program(const Trace& a, const Trace& b) {
  return same_values(a.output, b.output) && same_calls(a.bound_symbols, b.bound_symbols);
}

const std::vector<PassInfo>& pipeline_passes() {
  static const std::vector<PassInfo> kPasses = {
      {"dce", "Dead Code Elimination"},
      {"cse", "Common Subexpression Elimination"},
      {"decompose", "Decomposition into prims"},
      {"claim", "Claim by executors"},
      {"fusion", "Fusion"},
      {"del", "Transform for execution"},
  };
  return kPasses;
}

std::vector<Trace> run_pipeline(Trace computation, const PipelineOptions& options) {
  std::vector<exec::Executor> executors = options.executors;
  if (executors.empty()) executors.push_back(exec::Executor::aten());
  bool any_fusion = false;
  for (const auto& ex : executors) any_fusion = any_fusion || ex.kind == exec::Executor::Kind::Fusion;

  std::vector<Trace> stages;
  stages.push_back(std::move(computation));
  if (options.verify) verify(stages.back());
  auto step = [&](const std::string& name, const std::function<Trace(const Trace&)>& pass) {
    if (options.disabled.count(name)) return;
    auto start = std::chrono::steady_clock::now();
    Trace next = pass(stages.back());
    next.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // the execution trace keeps its name: it is the one that runs
    if (name != "del" && same_program(next, stages.back())) next.header += " (unchanged)";
    if (options.verify) verify(next);
    stages.push_back(std::move(next));
  };
  step("dce", dead_code_elimination);
  step("cse", common_subexpression_elimination);
  if (options.decompose) step("decompose", decompose_to_prims);
  step("claim", [&](const Trace& t) { return exec::claim(t, executors); });
  if (any_fusion) step("fusion", [&](const Trace& t) { return exec::partition_fusions(t, executors); });
  step("del", exec::insert_deletes);
  return stages;
}

}  // namespace thunder::transforms
