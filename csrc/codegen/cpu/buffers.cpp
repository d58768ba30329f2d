// The pool of large output buffers (see buffers.h).
#include "codegen/cpu/buffers.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <list>
#include <mutex>
#include <new>
#include <unordered_map>

namespace thunder::codegen::cpu {

namespace {

constexpr size_t kHuge = size_t{2} << 20;

// Sizes round up to whole huge pages (smaller ones to 64 KiB), so near sizes share buffers.
size_t rounded(size_t bytes) {
  size_t unit = bytes >= kHuge ? kHuge : size_t{64} << 10;
  return (bytes + unit - 1) / unit * unit;
}

size_t default_limit() {
  if (const char* e = std::getenv("THUNDER_CPU_POOL_MB"); e && *e) return static_cast<size_t>(std::strtoull(e, nullptr, 10)) << 20;
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  size_t phys = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : 0;
  size_t cap = size_t{1} << 30;
  return phys / 16 < cap ? phys / 16 : cap;
}

struct Pool {
  std::mutex mutex;
  size_t limit = default_limit();
  size_t held = 0;
  // free buffers, most recently returned first, and an index of them by rounded size
  std::list<std::pair<size_t, void*>> lru;
  std::unordered_multimap<size_t, std::list<std::pair<size_t, void*>>::iterator> by_size;
  PoolStats stats;

  static Pool& get() {
    static Pool* p = new Pool();  // never destroyed: tensors may be freed during static destruction
    return *p;
  }
  void evict_oldest() {
    auto [size, ptr] = lru.back();
    auto range = by_size.equal_range(size);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second->second == ptr) {
        by_size.erase(it);
        break;
      }
    lru.pop_back();
    held -= size;
    std::free(ptr);
  }
};

}  // namespace

void* pool_acquire(size_t bytes) {
  size_t size = rounded(bytes);
  Pool& pool = Pool::get();
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    if (auto it = pool.by_size.find(size); it != pool.by_size.end()) {
      void* p = it->second->second;
      pool.lru.erase(it->second);
      pool.by_size.erase(it);
      pool.held -= size;
      ++pool.stats.reused;
      return p;
    }
    ++pool.stats.allocated;
  }
  void* p = nullptr;
  if (::posix_memalign(&p, size >= kHuge ? kHuge : 64, size) != 0) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // first writes fault in 2 MiB at a time (where THP is in "madvise" mode; a hint only)
  if (size >= kHuge) ::madvise(p, size, MADV_HUGEPAGE);
#endif
  return p;
}

void pool_release(void* p, size_t bytes) {
  size_t size = rounded(bytes);
  Pool& pool = Pool::get();
  std::lock_guard<std::mutex> lock(pool.mutex);
  if (size > pool.limit) {
    std::free(p);
    return;
  }
  while (pool.held + size > pool.limit) pool.evict_oldest();
  pool.lru.emplace_front(size, p);
  pool.by_size.emplace(size, pool.lru.begin());
  pool.held += size;
}

void pool_clear() {
  Pool& pool = Pool::get();
  std::lock_guard<std::mutex> lock(pool.mutex);
  while (!pool.lru.empty()) pool.evict_oldest();
}

size_t pool_limit() {
  Pool& pool = Pool::get();
  std::lock_guard<std::mutex> lock(pool.mutex);
  return pool.limit;
}

void set_pool_limit(size_t bytes) {
  Pool& pool = Pool::get();
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.limit = bytes;
  while (pool.held > pool.limit) pool.evict_oldest();
}

PoolStats pool_stats() {
  Pool& pool = Pool::get();
  std::lock_guard<std::mutex> lock(pool.mutex);
  PoolStats s = pool.stats;
  s.held_bytes = static_cast<int64_t>(pool.held);
  return s;
}

}  // namespace thunder::codegen::cpu
