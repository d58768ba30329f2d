// The system compiler, the disk and in-process caches, and the thread pool kernels run on.
#include "codegen/cpu/compiler.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ir/error.h"

namespace thunder::codegen::cpu {

namespace {

int run(const std::string& cmd, std::string* output);
std::string compiler();
std::string shell_quote(const std::string& s);

// -O3 -march=native: vectorized loops for this CPU. -ffp-contract=off keeps every operation
// rounded on its own as in torch (no fused multiply-add); -fno-math-errno lets sqrt vectorize;
// -fopenmp-simd honors the reductions' `#pragma omp simd` without linking an OpenMP runtime;
// -fwrapv makes integer overflow wrap as torch's does; -fno-trapping-math (as torch is built) lets
// selects on float compares (clamps, where, NaN checks) become vector blends: with trapping math
// GCC keeps them as branches and the loop stays scalar.
const char* const kFlags =
    "-O3 -march=native -std=c11 -fPIC -shared -fno-math-errno -fno-trapping-math -ffp-contract=off -fopenmp-simd "
    "-fwrapv -w";

// The GNU OpenMP runtime already loaded in this process (torch's, where torch runs ATen on
// OpenMP), or "". Kernels then split their range on its threads rather than on our pool: ATen's
// OpenMP workers spin for a while after each parallel op, and a second pool's threads would
// compete with them for the cores (on the 2-core dev machine a fused softmax right after an eager
// one took 8 ms instead of 4.4). Linking the loaded file itself, not -lgomp, makes the kernel's
// dependency that same runtime even where the wheel renamed it. THUNDER_CPU_OMP=0 keeps our pool.
const std::string& omp_runtime() {
  static const std::string path = [] {
    if (const char* e = std::getenv("THUNDER_CPU_OMP"); e && std::string(e) == "0") return std::string();
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
      size_t slash = line.find('/');
      if (slash == std::string::npos) continue;
      std::string file = line.substr(slash);
      std::string base = file.substr(file.rfind('/') + 1);
      if (base.rfind("libgomp", 0) == 0 && base.find(".so") != std::string::npos) return file;
    }
    return std::string();
  }();
  return path;
}

// With glibc's libmvec (x86-64 Linux), calls of exp, tanh, erf... in loops use its vector variants
// (THUNDER_VECMATH makes the kernel declare them). Without it they stay scalar libm calls.
const std::string& flags() {
  static const std::string f = [] {
    std::string out;
    run(cat(compiler(), " -print-file-name=libmvec.so"), &out);
    bool vecmath = out.find('/') != std::string::npos;
    std::string f = vecmath ? cat(kFlags, " -DTHUNDER_VECMATH") : std::string(kFlags);
    if (!omp_runtime().empty()) f += " -fopenmp -DTHUNDER_OMP";
    return f;
  }();
  return f;
}
// libraries go after the source (or object) on the command line
std::string libs() {
  std::string l = flags().find("THUNDER_VECMATH") != std::string::npos ? " -lmvec -lm" : " -lm";
  if (!omp_runtime().empty()) l = " " + shell_quote(omp_runtime()) + l;
  return l;
}

// GNU OpenMP cannot run parallel regions in a forked child of a process that used it (the child
// hangs, as ATen's parallel ops do there): forked children split kernels on our own pool instead.
std::atomic<bool> g_forked{false};
const bool g_atfork_registered = [] {
  ::pthread_atfork(nullptr, nullptr, [] { g_forked.store(true, std::memory_order_relaxed); });
  return true;
}();

// The entry point that splits a launch between the OpenMP threads, appended to kernels compiled
// with THUNDER_OMP: 8 chunks per thread (whole multiples of 64 elements or rows), taken in turn.
// At most as many threads as the runtime's own setting for the calling thread, which is
// torch.set_num_threads's (and, by default, the CPUs the process may run on: a process pinned to
// 2 of 16 cores gets 2, not 16).
const char* const kOmpLauncher = R"(
int omp_get_max_threads(void);
void thunder_kernel_parallel(void* const* data, const int64_t* strides, int64_t range, int threads) {
  const int limit = omp_get_max_threads();
  if (threads > limit) threads = limit;
  if (threads <= 1) {
    thunder_kernel(data, strides, 0, range);
    return;
  }
  const int64_t parts = (int64_t)threads * 8;
  int64_t chunk = (range + parts - 1) / parts;
  if (chunk > 64) chunk = (chunk + 63) / 64 * 64;
  const int64_t n = (range + chunk - 1) / chunk;
  #pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int64_t c = 0; c < n; ++c)
    thunder_kernel(data, strides, c * chunk, c * chunk + chunk < range ? c * chunk + chunk : range);
}
)";

// Two FNV-1a 64-bit hashes with different offsets: a 128-bit key, as hex.
std::string hash_hex(const std::string& data) {
  uint64_t h1 = 1469598103934665603ull, h2 = 0x9e3779b97f4a7c15ull;
  for (unsigned char c : data) {
    h1 = (h1 ^ c) * 1099511628211ull;
    h2 = (h2 ^ c) * 0x100000001b3ull;
    h2 ^= h2 >> 29;
  }
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h1), static_cast<unsigned long long>(h2));
  return buf;
}

std::string compiler() {
  const char* c = std::getenv("THUNDER_CC");
  return c && *c ? c : "cc";
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command; returns its exit status and output (stdout and stderr).
int run(const std::string& cmd, std::string* output) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  return pclose(p);
}

// What, besides the source, decides the object code: the compiler (resolved path and version),
// the flags, and the CPU, since -march=native differs between machines sharing a cache folder.
const std::string& toolchain_key() {
  static const std::string key = [] {
    std::string out;
    run(cat("command -v ", compiler(), " && ", compiler(), " --version"), &out);
    std::ifstream cpu("/proc/cpuinfo");
    std::string line, model, cpu_flags;
    while (std::getline(cpu, line)) {
      if (model.empty() && line.rfind("model name", 0) == 0) model = line;
      if (cpu_flags.empty() && line.rfind("flags", 0) == 0) cpu_flags = line;
    }
    return cat(out, "\n", flags(), libs(), "\n", omp_runtime().empty() ? "" : kOmpLauncher, "\n", model, "\n", cpu_flags);
  }();
  return key;
}

constexpr char kMagic[8] = {'T', 'H', 'U', 'N', 'D', 'E', 'R', '1'};
constexpr size_t kFooter = 8 + 8 + 32;

bool read_all(int fd, std::string* out) {
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  return n == 0;
}

// Whether a cache file is a complete entry: the object followed by its footer.
bool entry_valid(const std::string& bytes) {
  if (bytes.size() < kFooter) return false;
  size_t n = bytes.size() - kFooter;
  if (std::memcmp(bytes.data() + n, kMagic, 8) != 0) return false;
  uint64_t len = 0;
  std::memcpy(&len, bytes.data() + n + 8, 8);
  if (len != n) return false;
  return bytes.compare(n + 16, 32, hash_hex(bytes.substr(0, n))) == 0;
}

void make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0755);
}

std::mutex g_mutex;  // guards the in-process cache and the stats
std::unordered_map<std::string, std::shared_ptr<const Kernel>> g_kernels;
CacheStats g_stats;

// Verifies a cache entry, then loads it. Entries are only ever replaced by renames of complete
// entries of the same key, so the file dlopen reads is one that verifies. (dlopen of
// /proc/self/fd/N would pin the verified bytes, but glibc matches loaded objects by name, and fd
// numbers are reused.)
std::shared_ptr<const Kernel> open_verified(const KernelSource& src, const std::string& path, bool* corrupt) {
  *corrupt = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  std::string bytes;
  bool ok = read_all(fd, &bytes) && entry_valid(bytes);
  ::close(fd);
  if (!ok) {
    *corrupt = true;
    return nullptr;
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    *corrupt = true;
    return nullptr;
  }
  auto fn = reinterpret_cast<KernelFn>(dlsym(handle, "thunder_kernel"));
  if (!fn) {
    dlclose(handle);
    *corrupt = true;
    return nullptr;
  }
  auto parallel = reinterpret_cast<ParallelFn>(dlsym(handle, "thunder_kernel_parallel"));
  auto finish = reinterpret_cast<FinishFn>(dlsym(handle, "thunder_kernel_finish"));
  if ((src.scratch_bytes > 0) != (finish != nullptr)) {
    dlclose(handle);
    *corrupt = true;
    return nullptr;
  }
  return std::make_shared<const Kernel>(src, fn, handle, parallel, finish);
}

// Compiles into a temporary file, appends the footer, renames into place.
void compile_to(const std::string& source, const std::string& path) {
  static std::atomic<int> counter{0};
  std::string tmp = cat(path, ".tmp.", ::getpid(), ".", counter++);
  std::string c_file = tmp + ".c", so_file = tmp + ".so";
  {
    std::ofstream f(c_file, std::ios::binary);
    f << source;
    if (!omp_runtime().empty()) f << kOmpLauncher;
    THUNDER_CHECK(f.good(), Runtime, "cpu fusion: cannot write ", c_file);
  }
  std::string out;
  int status;
  if (omp_runtime().empty()) {
    status = run(cat(compiler(), " ", flags(), " -o ", shell_quote(so_file), " ", shell_quote(c_file), libs()), &out);
  } else {
    // compile and link apart: linking with -fopenmp would add a dependency on the system's libgomp
    std::string o_file = tmp + ".o";
    status = run(cat(compiler(), " ", flags(), " -c -o ", shell_quote(o_file), " ", shell_quote(c_file)), &out);
    if (status == 0) status = run(cat(compiler(), " -shared -o ", shell_quote(so_file), " ", shell_quote(o_file), libs()), &out);
    std::remove(o_file.c_str());
  }
  if (status != 0) {
    std::remove(so_file.c_str());
    std::string kept = path.substr(0, path.size() - 3) + ".failed.c";
    std::rename(c_file.c_str(), kept.c_str());
    throw InternalError(cat("cpu fusion: the C compiler failed on a generated kernel (source kept at ", kept,
                            "):\n", out));
  }
  std::remove(c_file.c_str());
  std::string bytes;
  {
    int fd = ::open(so_file.c_str(), O_RDONLY | O_CLOEXEC);
    THUNDER_CHECK(fd >= 0 && read_all(fd, &bytes), Runtime, "cpu fusion: cannot read ", so_file);
    ::close(fd);
  }
  uint64_t len = bytes.size();
  std::string footer(kMagic, 8);
  footer.append(reinterpret_cast<const char*>(&len), 8);
  footer += hash_hex(bytes);
  {
    std::ofstream f(so_file, std::ios::binary | std::ios::app);
    f << footer;
    f.flush();
    THUNDER_CHECK(f.good(), Runtime, "cpu fusion: cannot write ", so_file);
  }
  THUNDER_CHECK(std::rename(so_file.c_str(), path.c_str()) == 0, Runtime, "cpu fusion: cannot rename ", so_file,
                " to ", path, ": ", std::strerror(errno));
}

// ---- the thread pool -------------------------------------------------------------------------

class Pool {
 public:
  static Pool& get() {
    static Pool* pool = new Pool();  // never destroyed: workers may outlive static destruction
    return *pool;
  }
  int threads() const { return threads_; }
  void set_threads(int n) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    threads_ = n < 1 ? 1 : n;
    while (static_cast<int>(workers_.size()) < threads_ - 1) {
      int id = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, id] { work(id); });
      workers_.back().detach();
    }
  }
  // Runs fn over [0, range): the calling thread and the workers take chunks of it in turn until
  // none are left. Several chunks per thread rather than one part each, so a thread that the OS
  // delays (the machine is shared) leaves its share to the others instead of holding up the launch.
  void run(KernelFn fn, void* const* data, const int64_t* strides, int64_t range) {
    if (::getpid() != pid_) {
      // a forked child has none of its parent's workers
      pid_ = ::getpid();
      workers_.clear();
      int n = threads_;
      threads_ = 1;
      set_threads(n);
    }
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    int parts = static_cast<int>(std::min<int64_t>(threads_, range));
    int64_t chunk = (range + parts * kChunksPerThread - 1) / (parts * kChunksPerThread);
    if (chunk > 64) chunk = (chunk + 63) / 64 * 64;  // whole cache lines of f32 elements
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = fn, data_ = data, strides_ = strides, range_ = range, parts_ = parts, chunk_ = chunk;
      next_.store(0, std::memory_order_relaxed);
      pending_ = parts - 1;
      ++generation_;
    }
    cv_.notify_all();
    run_chunks(fn, data, strides, range, chunk);
    spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  }

 private:
  // as many threads as CPUs the process may run on (its affinity mask, as OpenMP counts them)
  Pool() : pid_(::getpid()) {
    cpu_set_t set;
    int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    set_threads(n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  }
  void work(int id) {
    uint64_t seen = 0;
    for (;;) {
      // launches often come back to back (the regions of one trace): wait a moment awake first
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (id >= parts_) continue;
      KernelFn fn = fn_;
      int64_t range = range_, chunk = chunk_;
      auto data = data_;
      auto strides = strides_;
      lock.unlock();
      run_chunks(fn, data, strides, range, chunk);
      lock.lock();
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.notify_one();
    }
  }

  // Busy-waits up to kSpin for `ready`, so a launch that follows closely, or a part that ends
  // soon, costs no sleep and wake-up (tens of microseconds on a busy machine).
  template <typename F>
  static void spin_until(F ready) {
    auto until = std::chrono::steady_clock::now() + kSpin;
    for (int i = 0; !ready(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) return;
    }
  }
  static constexpr std::chrono::microseconds kSpin{50};

  static constexpr int kChunksPerThread = 8;
  void run_chunks(KernelFn fn, void* const* data, const int64_t* strides, int64_t range, int64_t chunk) {
    for (;;) {
      int64_t begin = next_.fetch_add(1, std::memory_order_relaxed) * chunk;
      if (begin >= range) return;
      fn(data, strides, begin, std::min(range, begin + chunk));
    }
  }

  pid_t pid_;
  std::mutex run_mutex_;  // one launch at a time
  std::mutex mutex_;
  std::condition_variable cv_, done_;
  std::vector<std::thread> workers_;
  int threads_ = 1;
  std::atomic<uint64_t> generation_{0};  // written under mutex_, read while spinning too
  KernelFn fn_ = nullptr;
  void* const* data_ = nullptr;
  const int64_t* strides_ = nullptr;
  int64_t range_ = 0;
  int parts_ = 1;
  int64_t chunk_ = 1;
  std::atomic<int64_t> next_{0};  // the next chunk to take
  std::atomic<int> pending_{0};  // workers still running the current launch
};

}  // namespace

void Kernel::launch(void* const* data, const int64_t* strides) const {
  if (finish_) {
    // the partial sums live in a buffer of the calling thread, passed after the outputs; the
    // finishing step runs even over an empty range (its sums are then zeros)
    thread_local std::vector<double> scratch(1);
    size_t words = static_cast<size_t>((src_.scratch_bytes + 7) / 8);
    if (scratch.size() < words) scratch.resize(words);
    size_t n = src_.inputs.size() + src_.outputs.size();
    std::vector<void*> with(data, data + n);
    with.push_back(scratch.data());
    run(with.data(), strides);
    finish_(with.data());
    return;
  }
  run(data, strides);
}

void Kernel::run(void* const* data, const int64_t* strides) const {
  int64_t range = src_.range;
  if (range <= 0) return;
  Pool& pool = Pool::get();
  if (src_.work < kParallelThreshold || pool.threads() == 1 || range == 1) {
    fn_(data, strides, 0, range);
    return;
  }
  if (parallel_ && !g_forked.load(std::memory_order_relaxed)) parallel_(data, strides, range, pool.threads());
  else pool.run(fn_, data, strides, range);
}

std::string cache_dir() {
  if (const char* d = std::getenv("THUNDER_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return cat(x, "/thunder");
  const char* home = std::getenv("HOME");
  return cat(home && *home ? home : "/tmp", "/.cache/thunder");
}

std::string cache_path(const std::string& source) {
  return cat(cache_dir(), "/cpu/", hash_hex(cat(source, "\n", toolchain_key())), ".so");
}

std::shared_ptr<const Kernel> load_kernel(const KernelSource& src) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (auto it = g_kernels.find(src.source); it != g_kernels.end()) {
      ++g_stats.memory_hits;
      return it->second;
    }
  }
  std::string path = cache_path(src.source);
  make_dirs(path.substr(0, path.rfind('/')));
  bool corrupt = false;
  std::shared_ptr<const Kernel> k = open_verified(src, path, &corrupt);
  bool compiled = false, was_corrupt = corrupt;
  if (!k) {
    if (corrupt) std::remove(path.c_str());
    compile_to(src.source, path);
    compiled = true;
    k = open_verified(src, path, &corrupt);
    const char* why = k ? nullptr : dlerror();  // read once: a second call returns null
    THUNDER_ASSERT(k, "cpu fusion: a freshly compiled kernel failed to load: ", path, ": ", why ? why : "");
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  if (was_corrupt) ++g_stats.corrupt;
  ++(compiled ? g_stats.compiles : g_stats.disk_hits);
  auto [it, inserted] = g_kernels.emplace(src.source, k);
  return it->second;
}

std::shared_ptr<const Kernel> compile_region(const BoundSymbol& region) { return load_kernel(generate(region)); }

CacheStats cache_stats() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_stats;
}

void clear_memory_cache() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_kernels.clear();
}

void set_num_threads(int n) { Pool::get().set_threads(n); }
int num_threads() { return Pool::get().threads(); }

}  // namespace thunder::codegen::cpu
