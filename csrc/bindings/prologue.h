// The prologue's hot path: finding the compiled specialization whose input checks a call passes,
// straight from the call's argument tuple. Python objects only; no torch headers.
#pragma once

#include <nanobind/nanobind.h>

namespace thunder::bindings {

void register_prologue(nanobind::module_& m);

}  // namespace thunder::bindings
