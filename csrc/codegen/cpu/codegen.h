// The fused CPU code generator: a region of prims (elementwise, broadcast, views, and reductions
// over one shared set of dims) becomes the C source of one kernel.
//
// A region is a BoundSymbol whose `args` are its inputs (tensor proxies defined outside the region,
// and possibly Python-number constants), whose `output` is a sequence of the proxies used after
// it, and whose `subsymbols` are the prim calls in order.
//
// The kernel's entry point is
//   void thunder_kernel(void* const* data, const int64_t* strides, int64_t begin, int64_t end)
// `data` holds the tensor inputs' data pointers (in the order of the region's tensor args) then
// the outputs' (contiguous, allocated by the caller); `strides` the inputs' strides in elements,
// concatenated; [begin, end) is a part of the kernel's parallel range (`KernelSource::range`),
// so callers may split the range between threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/trace.h"

namespace thunder::codegen::cpu {

/// Whether the generator supports this prim call for its dtypes, shapes and device (all CPU), so
/// the partitioner only forms regions of calls it can compile.
bool can_fuse(const BoundSymbol& bsym);
/// What the cpu_fusion executor claims: what can_fuse accepts, less what ATen runs faster
/// (reductions over leading dims only).
bool worth_fusing(const BoundSymbol& bsym);

/// Why a region (of calls can_fuse accepts) cannot become one kernel, or nullopt when it can.
/// Regions are supported when all their reductions reduce the same dims of same-shaped operands
/// and every output has either the reductions' operand size or their result size (elementwise
/// regions: one size for all outputs); column sums (sums over all dims but the last) may sit beside
/// them, over operands of that shape, as outputs of the region.
std::optional<std::string> region_unsupported(const BoundSymbol& region);

/// A generated kernel and what launching it needs.
struct KernelSource {
  /// The kernel's C source, deterministic for a region (golden tests compare it).
  std::string source;
  /// The region's tensor inputs and outputs, in launch order.
  std::vector<TensorMeta> inputs;
  std::vector<TensorMeta> outputs;
  /// The parallel range: elements for elementwise kernels, reduction results for reductions.
  int64_t range = 0;
  /// Elements the kernel visits; callers run it on one thread below a threshold of this.
  int64_t work = 0;
  /// Bytes of scratch memory the kernel needs (its column sums' partial sums), passed as the data
  /// pointer after the outputs'; then the range counts blocks of rows, and the kernel has a
  /// `thunder_kernel_finish(data)` to run once all of the range has run.
  int64_t scratch_bytes = 0;
};

/// Generates the kernel for a region; raises a user error (NotImplemented) where
/// region_unsupported would give a reason.
KernelSource generate(const BoundSymbol& region);

/// A region of every fusible prim of a trace (its tensor inputs as args, its tensor outputs as
/// outputs), for tests and benchmarks until the fusion pass forms regions. Raises when a prim is
/// not fusible.
BoundSymbol region_from_trace(const Trace& trace);

/// The symbol region_from_trace gives its regions (`cpu_fusion`).
const Symbol& region_symbol();

}  // namespace thunder::codegen::cpu
