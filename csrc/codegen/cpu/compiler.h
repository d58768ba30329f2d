// Compiling, caching and launching generated CPU kernels.
//
// Kernels are compiled by the system C compiler into shared objects and loaded with dlopen. The
// disk cache (cache_dir()/cpu) keeps one file per kernel, `<key>.so`, where the key hashes the
// source, the compiler's path and version, the flags and the CPU (for -march=native). Each file is
// the shared object followed by a footer (magic, length, hash of the object's bytes); a file whose
// footer does not match is deleted and rebuilt, never loaded. Files are written to a temporary name
// and renamed into place, so processes compiling the same kernel at once are safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "codegen/cpu/codegen.h"

namespace thunder::codegen::cpu {

using KernelFn = void (*)(void* const* data, const int64_t* strides, int64_t begin, int64_t end);
/// A kernel's entry point that splits its whole range between `threads` OpenMP threads.
using ParallelFn = void (*)(void* const* data, const int64_t* strides, int64_t range, int threads);
/// A kernel's last step after its whole range has run (column sums: adding up partial sums).
using FinishFn = void (*)(void* const* data);

/// A loaded kernel.
class Kernel {
 public:
  Kernel(KernelSource src, KernelFn fn, void* handle, ParallelFn parallel = nullptr, FinishFn finish = nullptr)
      : src_(std::move(src)), fn_(fn), parallel_(parallel), finish_(finish), handle_(handle) {}
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const KernelSource& source() const { return src_; }
  /// Runs the kernel over its whole range: `data` holds the inputs' then the outputs' data
  /// pointers, `strides` the inputs' strides (elements), concatenated. Large kernels are split
  /// between threads (see set_num_threads): the OpenMP runtime torch loaded where there is one,
  /// else a pool of our own. A kernel needing scratch memory gets it here.
  void launch(void* const* data, const int64_t* strides) const;

 private:
  void run(void* const* data, const int64_t* strides) const;

  KernelSource src_;
  KernelFn fn_;
  ParallelFn parallel_;  // where kernels run on the process's OpenMP runtime (compiler.cpp)
  FinishFn finish_;
  void* handle_;  // kept open for the process's life: kernels are shared and cached
};

/// Generates, compiles (or finds in the caches) and loads the kernel of a region.
std::shared_ptr<const Kernel> compile_region(const BoundSymbol& region);
/// Compiles (or finds in the caches) and loads a generated kernel.
std::shared_ptr<const Kernel> load_kernel(const KernelSource& src);

/// The cache folder: $THUNDER_CACHE_DIR, else $XDG_CACHE_HOME/thunder, else ~/.cache/thunder.
std::string cache_dir();
/// The disk cache file a kernel source maps to.
std::string cache_path(const std::string& source);

/// Counters for tests and benchmarks.
struct CacheStats {
  int64_t memory_hits = 0;  // found loaded in this process
  int64_t disk_hits = 0;    // loaded from a valid disk entry
  int64_t compiles = 0;     // compiled by the system compiler
  int64_t corrupt = 0;      // disk entries found corrupt, deleted and rebuilt
};
CacheStats cache_stats();
/// Forgets the kernels loaded in this process (the disk cache stays), so tests can exercise it.
void clear_memory_cache();

/// Threads kernels use (default: the hardware's); 1 runs everything on the calling thread.
void set_num_threads(int n);
int num_threads();
/// Elements below which a kernel runs on the calling thread.
inline constexpr int64_t kParallelThreshold = 1 << 16;

}  // namespace thunder::codegen::cpu
