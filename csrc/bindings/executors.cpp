// Bindings for executors and the pass pipeline.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings/executors.h"
#include "exec/executor.h"
#include "ir/error.h"
#include "transforms/passes.h"

namespace nb = nanobind;

namespace thunder::bindings {

void register_executors(nb::module_& m) {
  using exec::Executor;
  nb::class_<Executor>(m, "Executor", "What the pipeline knows of an executor: its name, kind, ops and checker.")
      .def(
          "__init__",
          [](Executor* self, const std::string& name, const std::string& kind, std::vector<std::string> ops,
             nb::object checker, bool reductions_end_regions, nb::object region_checker, int min_computing_prims) {
            THUNDER_CHECK(kind == "operator" || kind == "fusion", Value,
                          "executor kind must be 'operator' or 'fusion', got '", kind, "'");
            new (self) Executor{.name = name,
                                .kind = kind == "fusion" ? Executor::Kind::Fusion : Executor::Kind::Operator,
                                .ops = {ops.begin(), ops.end()},
                                .reductions_end_regions = reductions_end_regions,
                                .min_computing_prims = min_computing_prims};
            if (!checker.is_none()) {
              // the checker sees a copy: a Python object may outlive the pipeline's bound symbol
              self->checker = [checker](const BoundSymbol& b) {
                return nb::cast<bool>(checker(nb::cast(b, nb::rv_policy::copy)));
              };
            }
            if (!region_checker.is_none()) {
              self->region_checker = [region_checker](const BoundSymbol& b) {
                return nb::cast<bool>(region_checker(nb::cast(b, nb::rv_policy::copy)));
              };
            }
            if (self->kind == Executor::Kind::Fusion && !self->checker)
              if (const auto* builtin = exec::builtin_checker(name)) self->checker = *builtin;
            if (self->kind == Executor::Kind::Fusion && !self->region_checker)
              if (const auto* builtin = exec::builtin_checker(name, /*region=*/true)) self->region_checker = *builtin;
            THUNDER_CHECK(self->kind == Executor::Kind::Operator || self->checker, Value, "fusion executor ", name,
                          " needs a can_fuse checker (none given, and none registered in C++ under that name)");
          },
          nb::arg("name"), nb::arg("kind") = "operator", nb::arg("ops") = std::vector<std::string>{},
          nb::arg("checker") = nb::none(), nb::arg("reductions_end_regions") = false,
          nb::arg("region_checker") = nb::none(), nb::arg("min_computing_prims") = 1)
      .def_prop_ro("name", [](const Executor& e) { return e.name; })
      .def_prop_ro("kind", [](const Executor& e) { return e.kind == Executor::Kind::Fusion ? "fusion" : "operator"; })
      .def("__repr__", [](const Executor& e) { return "<_C.Executor " + e.name + ">"; });

  m.def(
      "run_pipeline",
      [](const Trace& t, bool decompose, bool verify, std::vector<Executor> executors,
         std::vector<std::string> disabled) {
        return transforms::run_pipeline(t, {.decompose = decompose,
                                            .verify = verify,
                                            .executors = std::move(executors),
                                            .disabled = {disabled.begin(), disabled.end()}});
      },
      nb::arg("trace"), nb::arg("decompose") = false, nb::arg("verify") = false,
      nb::arg("executors") = std::vector<Executor>{}, nb::arg("disabled") = std::vector<std::string>{},
      "Runs the passes with executors in priority order; returns every stage's trace, the execution trace last.");
  m.def(
      "run_grad_pipeline",
      [](const Trace& t, bool decompose, bool verify, bool remat, std::vector<Executor> executors,
         std::vector<std::string> disabled) {
        auto g = transforms::run_grad_pipeline(t, {.decompose = decompose,
                                                   .verify = verify,
                                                   .remat = remat,
                                                   .executors = std::move(executors),
                                                   .disabled = {disabled.begin(), disabled.end()}});
        nb::list saved;
        for (const auto& v : g.saved) saved.append(nb::cast(v));
        return nb::make_tuple(g.forward, g.backward, saved, g.cotangent_positions, g.saved_bytes_before_remat);
      },
      nb::arg("trace"), nb::arg("decompose") = false, nb::arg("verify") = false, nb::arg("remat") = true,
      nb::arg("executors") = std::vector<Executor>{}, nb::arg("disabled") = std::vector<std::string>{},
      "Runs the passes with the grad transform; returns (forward stages, backward stages, saved proxies, the "
      "positions of the outputs that take a cotangent, the bytes saved before rematerialization).");
  m.def(
      "pipeline_passes",
      [] {
        nb::list out;
        for (const auto& p : transforms::pipeline_passes()) out.append(nb::make_tuple(p.name, p.header));
        return out;
      },
      "The passes, in order, as (short name, trace header) pairs.");
  m.def(
      "executor_of", [](const Symbol& s) { return exec::executor_of(s); },
      "The executor that owns a symbol made by claiming or fusion (\"\" for op-table symbols, which ATen runs).");
  m.def("is_fusion_region", &exec::is_fusion_region, "Whether a bound symbol is a fused region.");
  m.def("region_trace", &exec::region_trace,
        "A fused region as a trace of its own (inputs: its arguments; body: its prims; result: its outputs).");
}

}  // namespace thunder::bindings
