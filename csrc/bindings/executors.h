// Bindings for executors and the pass pipeline (thunder._C).
#pragma once

#include <nanobind/nanobind.h>

namespace thunder::bindings {

/// Adds Executor, run_pipeline, pipeline_passes and the fusion-region helpers to the module.
void register_executors(nanobind::module_& m);

}  // namespace thunder::bindings
