// Execution planning: turning the final trace into one that runs well.
#pragma once

#include "ir/trace.h"

namespace thunder::exec {

/// Adds a `del` after the last use of every intermediate and input that the trace does not return.
/// Names the execution trace ("Transform for execution").
Trace insert_deletes(const Trace& t);

}  // namespace thunder::exec
