// Python access to the fused CPU code generator: thunder._C.CpuKernel and its helpers.
#pragma once

#include <nanobind/nanobind.h>

namespace thunder::bindings {

void register_cpu_fusion(nanobind::module_& m);

}  // namespace thunder::bindings
