// Memory for large outputs of fused CPU kernels, kept for reuse after their tensors die.
//
// A fresh large allocation costs a page fault (and the kernel zeroing the page) per 4 KiB on first
// write: for a 64 MiB output that is most of an elementwise kernel's time. Buffers of at least
// kPooledBytes are therefore allocated 2 MiB-aligned with transparent huge pages requested, and when
// their tensor is freed they go back to a pool keyed by size instead of to the system, so the next
// output of that size is written into memory that is already mapped.
#pragma once

#include <cstddef>
#include <cstdint>

namespace thunder::codegen::cpu {

/// Outputs at least this large come from the pool.
inline constexpr size_t kPooledBytes = size_t{1} << 18;

/// A buffer of at least `bytes` (64-byte aligned, uninitialized): a pooled one of the same rounded
/// size if one is free, else a new one. Never null (throws std::bad_alloc).
void* pool_acquire(size_t bytes);
/// Returns a buffer from pool_acquire(bytes). Thread-safe, no Python involved. Kept for reuse
/// while the pool holds at most pool_limit() bytes (least recently returned buffers are freed
/// first), freed otherwise.
void pool_release(void* p, size_t bytes);
/// Frees every buffer the pool holds.
void pool_clear();

/// Bytes of free buffers the pool may hold: $THUNDER_CPU_POOL_MB, else 1/16 of physical memory,
/// at most 1 GiB. 0 turns pooling off (buffers are freed when their tensor dies).
size_t pool_limit();
void set_pool_limit(size_t bytes);

/// Counters for tests and benchmarks.
struct PoolStats {
  int64_t reused = 0;       // acquisitions served from the pool
  int64_t allocated = 0;    // acquisitions that allocated
  int64_t held_bytes = 0;   // free bytes the pool holds now
};
PoolStats pool_stats();

}  // namespace thunder::codegen::cpu
