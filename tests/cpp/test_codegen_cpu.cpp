// The fused CPU code generator: kernel source (golden text), launching kernels on raw buffers, and
// the disk cache (entries reused, corrupt entries rebuilt).
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "codegen/cpu/compiler.h"
#include "helpers.h"
#include "transforms/passes.h"

using namespace thunder;
using namespace thunder::testing;
namespace cpu = thunder::codegen::cpu;

namespace {

// (x * 2 + y) with y broadcast over rows, then exp: f32[2, 3] and f32[3].
BoundSymbol elementwise_region() {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{2, 3}, DType::Float32, Device{}, false});
  Value y = b.add_input("y", TensorMeta{{3}, DType::Float32, Device{}, false});
  Value t = ops::call("prims.mul", {x, f(2.0)});
  Value u = ops::call("prims.add", {t, ops::call("prims.expand", {y, ops::int_list({2, 3})})});
  b.set_output(ops::call("prims.exp", {u}));
  return cpu::region_from_trace(b.finish());
}

// softmax over the last dim of f32[4, 5], as the softmax decomposition records it.
BoundSymbol softmax_region() {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{4, 5}, DType::Float32, Device{}, false});
  b.set_output(ops::call("softmax", {x, i(-1)}));
  Trace t = transforms::decompose_to_prims(b.finish());
  return cpu::region_from_trace(t);
}

// A fresh cache folder for the test's lifetime.
struct TempCache {
  std::string dir;
  TempCache() {
    char tmpl[] = "/tmp/thunder_cpp_cache_XXXXXX";
    dir = mkdtemp(tmpl);
    setenv("THUNDER_CACHE_DIR", dir.c_str(), 1);
    cpu::clear_memory_cache();
  }
  ~TempCache() {
    std::string cmd = "rm -rf '" + dir + "'";
    (void)std::system(cmd.c_str());
    unsetenv("THUNDER_CACHE_DIR");
  }
};

}  // namespace

TEST(CpuCodegen, GoldenElementwise) {
  EXPECT_EQ(cpu::generate(elementwise_region()).source, R"(// thunder CPU kernel: a region of 4 prims
// in0: cpu f32[2, 3]
// in1: cpu f32[3]
// out0: cpu f32[2, 3]
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef THUNDER_VECMATH
// vector variants from glibc's libmvec, so loops calling these vectorize
#pragma omp declare simd notinbranch
float expf(float);
#endif

static inline uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float float_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline float exp_f(float x) {
  const float c = float_of(bits_of(x) & -(uint32_t)(x >= -104.0f));
  const float e = expf(c);
  return x != x ? x : x < -104.0f ? 0.0f : e;
}

static void run_contiguous(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {
  const float* restrict in0 = (const float*)data[0];
  const float* restrict in1 = (const float*)data[1];
  float* restrict out0 = (float*)data[2];
  (void)strides;
  for (int64_t i = begin; i < end;) {
    const int64_t row = i / 3;
    const int64_t first = i - row * 3;
    const int64_t d0 = row;
    const int64_t stop = 3 < first + (end - i) ? 3 : first + (end - i);
    for (int64_t strip = first; strip < stop; strip += 512) {
      const int64_t strip_end = stop - strip < 512 ? stop : strip + 512;
      float strip_buf0[512];
      #pragma GCC ivdep
      for (int64_t d1 = strip; d1 < strip_end; ++d1) {
        const float v0 = in1[d1];
        const float v1 = in0[(row * 3 + d1)];
        const float v2 = (v1 * 2.0f);
        const float v3 = (v2 + v0);
        strip_buf0[d1 - strip] = v3;
      }
      #pragma GCC ivdep
      for (int64_t d1 = strip; d1 < strip_end; ++d1) strip_buf0[d1 - strip] = exp_f(strip_buf0[d1 - strip]);
      #pragma GCC ivdep
      for (int64_t d1 = strip; d1 < strip_end; ++d1) {
        const float v4 = strip_buf0[d1 - strip];
        out0[(row * 3 + d1)] = v4;
      }
    }
    i += stop - first;
  }
}

static void run_strided(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {
  const float* restrict in0 = (const float*)data[0];
  const float* restrict in1 = (const float*)data[1];
  float* restrict out0 = (float*)data[2];
  const int64_t s0_0 = strides[0];
  const int64_t s0_1 = strides[1];
  const int64_t s1_0 = strides[2];
  for (int64_t i = begin; i < end;) {
    const int64_t row = i / 3;
    const int64_t first = i - row * 3;
    const int64_t d0 = row;
    const int64_t stop = 3 < first + (end - i) ? 3 : first + (end - i);
    for (int64_t strip = first; strip < stop; strip += 512) {
      const int64_t strip_end = stop - strip < 512 ? stop : strip + 512;
      float strip_buf0[512];
      #pragma GCC ivdep
      for (int64_t d1 = strip; d1 < strip_end; ++d1) {
        const float v0 = in1[d1 * s1_0];
        const float v1 = in0[(d0 * s0_0 + d1 * s0_1)];
        const float v2 = (v1 * 2.0f);
        const float v3 = (v2 + v0);
        strip_buf0[d1 - strip] = v3;
      }
      #pragma GCC ivdep
      for (int64_t d1 = strip; d1 < strip_end; ++d1) strip_buf0[d1 - strip] = exp_f(strip_buf0[d1 - strip]);
      #pragma GCC ivdep
      for (int64_t d1 = strip; d1 < strip_end; ++d1) {
        const float v4 = strip_buf0[d1 - strip];
        out0[(row * 3 + d1)] = v4;
      }
    }
    i += stop - first;
  }
}

void thunder_kernel(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {
  if (strides[0] == 3 &&
      strides[1] == 1 &&
      strides[2] == 1)
    run_contiguous(data, strides, begin, end);
  else
    run_strided(data, strides, begin, end);
}
)");
}

TEST(CpuCodegen, GoldenSoftmax) {
  EXPECT_EQ(cpu::generate(softmax_region()).source, R"(// thunder CPU kernel: a region of 9 prims
// in0: cpu f32[4, 5]
// out0: cpu f32[4, 5]
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef THUNDER_VECMATH
// vector variants from glibc's libmvec, so loops calling these vectorize
#pragma omp declare simd notinbranch
float expf(float);
#endif

static inline uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float float_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline float exp_f(float x) {
  const float c = float_of(bits_of(x) & -(uint32_t)(x >= -104.0f));
  const float e = expf(c);
  return x != x ? x : x < -104.0f ? 0.0f : e;
}

static void run_contiguous(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {
  const float* restrict in0 = (const float*)data[0];
  float* restrict out0 = (float*)data[1];
  (void)strides;
  float row0[5];
  for (int64_t o = begin; o < end; ++o) {
    const int64_t d0 = o;
    float acc0 = -INFINITY;
    int acc0_nan = 0;
    #pragma omp simd reduction(max:acc0) reduction(|:acc0_nan)
    for (int64_t d1 = 0; d1 < 5; ++d1) {
      const float v1 = in0[(d0 * 5 + d1)];
      acc0 = v1 > acc0 ? v1 : acc0; acc0_nan |= v1 != v1;
    }
    if (acc0_nan) acc0 = NAN;
    float acc2 = 0.0f;
    #pragma omp simd reduction(+:acc2)
    for (int64_t d1 = 0; d1 < 5; ++d1) {
      const float v3 = in0[(d0 * 5 + d1)];
      const float v4 = (v3 - acc0);
      const float v5 = exp_f(v4);
      row0[d1] = v5;
      acc2 += v5;
    }
    #pragma GCC ivdep
    for (int64_t d1 = 0; d1 < 5; ++d1) {
      const float v6 = row0[d1];
      const float v7 = (v6 / acc2);
      out0[(d0 * 5 + d1)] = v7;
    }
  }
}

static void run_strided(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {
  const float* restrict in0 = (const float*)data[0];
  float* restrict out0 = (float*)data[1];
  const int64_t s0_0 = strides[0];
  const int64_t s0_1 = strides[1];
  float row0[5];
  for (int64_t o = begin; o < end; ++o) {
    const int64_t d0 = o;
    float acc0 = -INFINITY;
    int acc0_nan = 0;
    #pragma omp simd reduction(max:acc0) reduction(|:acc0_nan)
    for (int64_t d1 = 0; d1 < 5; ++d1) {
      const float v1 = in0[(d0 * s0_0 + d1 * s0_1)];
      acc0 = v1 > acc0 ? v1 : acc0; acc0_nan |= v1 != v1;
    }
    if (acc0_nan) acc0 = NAN;
    float acc2 = 0.0f;
    #pragma omp simd reduction(+:acc2)
    for (int64_t d1 = 0; d1 < 5; ++d1) {
      const float v3 = in0[(d0 * s0_0 + d1 * s0_1)];
      const float v4 = (v3 - acc0);
      const float v5 = exp_f(v4);
      row0[d1] = v5;
      acc2 += v5;
    }
    #pragma GCC ivdep
    for (int64_t d1 = 0; d1 < 5; ++d1) {
      const float v6 = row0[d1];
      const float v7 = (v6 / acc2);
      out0[(d0 * 5 + d1)] = v7;
    }
  }
}

void thunder_kernel(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {
  if (strides[0] == 5 &&
      strides[1] == 1)
    run_contiguous(data, strides, begin, end);
  else
    run_strided(data, strides, begin, end);
}
)");
}

TEST(CpuCodegen, RangeAndWork) {
  cpu::KernelSource ew = cpu::generate(elementwise_region());
  EXPECT_EQ(ew.range, 6);
  EXPECT_EQ(ew.inputs.size(), 2u);
  EXPECT_EQ(ew.outputs.size(), 1u);
  cpu::KernelSource sm = cpu::generate(softmax_region());
  EXPECT_EQ(sm.range, 4);  // one row per reduction result
  EXPECT_EQ(sm.work, 20);
}

TEST(CpuCodegen, UnsupportedRegions) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{4, 5, 6}, DType::Float32, Device{}, false});
  Value r0 = ops::call("prims.sum", {x, ops::int_list({2})});
  Value r1 = ops::call("prims.sum", {x, ops::int_list({1, 2})});
  b.set_output(Value::sequence({r0, r1}));
  BoundSymbol region = cpu::region_from_trace(b.finish());
  auto reason = cpu::region_unsupported(region);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "reductions over different shapes or dims");
  user_error([&] { cpu::generate(region); }, ErrorKind::NotImplemented);
}

TEST(CpuCodegen, CanFuse) {
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{4}, DType::Int64, Device{}, false});
  Value y = b.add_input("y", TensorMeta{{4}, DType::Float32, Device{}, false});
  ops::call("prims.div", {x, x});     // integer division by zero raises in torch: declined
  ops::call("prims.div", {y, y});
  ops::call("prims.exp", {y});
  ops::call("prims.matmul", {ops::call("prims.reshape", {y, ops::int_list({1, 4})}),
                             ops::call("prims.reshape", {y, ops::int_list({4, 1})})});
  // a reduction over leading dims only (column sums) compiles but is left to ATen
  Value m = ops::call("prims.reshape", {y, ops::int_list({2, 2, 1})});
  ops::call("prims.sum", {m, ops::int_list({0})});
  ops::call("prims.sum", {m, ops::int_list({1})});
  b.set_output(x);
  Trace t = b.finish();
  std::vector<bool> got;
  std::vector<bool> claimed;
  for (const auto& bs : t.bound_symbols) got.push_back(cpu::can_fuse(bs)), claimed.push_back(cpu::worth_fusing(bs));
  EXPECT_EQ(got, (std::vector<bool>{false, true, true, true, true, false, true, true, true}));
  EXPECT_EQ(claimed, (std::vector<bool>{false, true, true, true, true, false, true, false, true}));
}

TEST(CpuKernel, RunsOnBuffers) {
  TempCache cache;
  auto k = cpu::compile_region(softmax_region());
  std::vector<float> x(20), out(20);
  for (int j = 0; j < 20; ++j) x[j] = static_cast<float>(j % 7) - 2.5f;
  void* data[] = {x.data(), out.data()};
  int64_t strides[] = {5, 1};
  k->launch(data, strides);
  for (int r = 0; r < 4; ++r) {
    double m = -INFINITY, s = 0;
    for (int c = 0; c < 5; ++c) m = std::max<double>(m, x[r * 5 + c]);
    for (int c = 0; c < 5; ++c) s += std::exp(x[r * 5 + c] - m);
    for (int c = 0; c < 5; ++c) EXPECT_NEAR(out[r * 5 + c], std::exp(x[r * 5 + c] - m) / s, 1e-6);
  }
  // the same buffer read transposed (strides 1, 4 of a column-major f32[4, 5]) takes the strided path
  std::vector<float> xt(20);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 5; ++c) xt[c * 4 + r] = x[r * 5 + c];
  std::vector<float> out2(20);
  void* data2[] = {xt.data(), out2.data()};
  int64_t strides2[] = {1, 4};
  k->launch(data2, strides2);
  EXPECT_EQ(out, out2);
}

// exp(x) * 2 of f32[40, 20], and its sum over rows (a bias's gradient): the kernel's range is
// blocks of rows, each adding its rows into a partial row of the scratch, and its finishing step
// adds the blocks up.
TEST(CpuKernel, ColumnSumsRunOnBuffers) {
  TempCache cache;
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value x = b.add_input("x", TensorMeta{{40, 20}, DType::Float32, Device{}, false});
  Value y = ops::call("prims.mul", {ops::call("prims.exp", {x}), f(2.0)});
  Value col = ops::call("prims.sum", {y, ops::int_list({0})});
  b.set_output(Value::sequence({y, col}));
  BoundSymbol region = cpu::region_from_trace(b.finish());
  EXPECT_TRUE(cpu::worth_fusing(region.subsymbols.back()));
  cpu::KernelSource src = cpu::generate(region);
  EXPECT_EQ(src.range, 40);  // 40 rows: blocks of one row
  EXPECT_EQ(src.scratch_bytes, 40 * 20 * 4);
  auto k = cpu::compile_region(region);
  std::vector<float> xs(800), ys(800), sums(20, -1.0f);
  for (int j = 0; j < 800; ++j) xs[j] = static_cast<float>(j % 13) * 0.1f - 0.6f;
  void* data[] = {xs.data(), ys.data(), sums.data()};
  int64_t strides[] = {20, 1};
  k->launch(data, strides);
  for (int c = 0; c < 20; ++c) {
    double want = 0;
    for (int r = 0; r < 40; ++r) want += 2.0 * std::exp(static_cast<double>(xs[r * 20 + c]));
    EXPECT_NEAR(sums[c], want, 1e-4 * std::abs(want));
  }
  EXPECT_NEAR(ys[21], 2.0 * std::exp(static_cast<double>(xs[21])), 1e-5);
}

TEST(CpuKernelCache, ReusesAndRebuilds) {
  TempCache cache;
  BoundSymbol region = elementwise_region();
  cpu::CacheStats s0 = cpu::cache_stats();
  auto k = cpu::compile_region(region);
  std::string path = cpu::cache_path(k->source().source);
  EXPECT_EQ(path.rfind(cache.dir + "/cpu/", 0), 0u) << path;
  EXPECT_EQ(cpu::compile_region(region).get(), k.get());  // in-process cache
  cpu::CacheStats s1 = cpu::cache_stats();
  EXPECT_EQ(s1.compiles - s0.compiles, 1);
  EXPECT_EQ(s1.memory_hits - s0.memory_hits, 1);

  cpu::clear_memory_cache();
  cpu::compile_region(region);
  cpu::CacheStats s2 = cpu::cache_stats();
  EXPECT_EQ(s2.disk_hits - s1.disk_hits, 1);
  EXPECT_EQ(s2.compiles, s1.compiles);

  // a truncated entry (written as a new file: the loaded one stays mapped) is rebuilt, not loaded
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  ASSERT_GT(bytes.size(), 100u);
  {
    std::ofstream f(path + ".new", std::ios::binary);
    f << bytes.substr(0, bytes.size() / 2);
  }
  ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
  cpu::clear_memory_cache();
  auto k2 = cpu::compile_region(region);
  cpu::CacheStats s3 = cpu::cache_stats();
  EXPECT_EQ(s3.corrupt - s2.corrupt, 1);
  EXPECT_EQ(s3.compiles - s2.compiles, 1);
  std::vector<float> x = {1, 2, 3, 4, 5, 6}, y = {0.5f, -1, 0}, out(6);
  void* data[] = {x.data(), y.data(), out.data()};
  int64_t strides[] = {3, 1, 1};
  k2->launch(data, strides);
  for (int j = 0; j < 6; ++j) EXPECT_FLOAT_EQ(out[j], std::exp(x[j] * 2 + y[j % 3]));
}

// Philox draws in a kernel: with seed 0 and offset 0 the first four float32 uniforms are the top
// 24 bits of Random123's known answer for counter 0 and key 0; the next four come from counter 1.
TEST(CpuKernel, PhiloxUniformMatchesTheKnownAnswer) {
  TempCache cache;
  TraceBuilder b;
  TraceBuilder::Scope s(b);
  Value seed = b.add_input("seed", TensorMeta{{}, DType::Int64, Device{}, false});
  Value u = ops::call("prims.uniform_philox", {ops::int_list({8}), seed, i(0)},
                      {{"dtype", Value::constant(DType::Float32)}, {"device", Value::constant(Device{})}});
  b.set_output(ops::call("prims.mul", {u, f(1.0)}));
  BoundSymbol region = cpu::region_from_trace(b.finish());
  EXPECT_TRUE(cpu::can_fuse(region.subsymbols.at(0)));
  auto k = cpu::compile_region(region);
  EXPECT_NE(k->source().source.find("philox_uniform_f(v0, (int64_t)0LL, d0, 24)"), std::string::npos) << k->source().source;
  int64_t seed_value = 0;
  std::vector<float> out(8);
  void* data[] = {&seed_value, out.data()};
  int64_t strides[] = {0};
  k->launch(data, strides);
  const uint32_t kat[4] = {0x6627E8D5u, 0xE169C58Du, 0xBC57AC4Cu, 0x9B00DBD8u};
  for (int j = 0; j < 4; ++j) EXPECT_EQ(out[j], static_cast<float>(kat[j] >> 8) * 0x1p-24f) << j;
  EXPECT_NE(out[4], out[0]);
  // another seed, other numbers
  seed_value = 1;
  std::vector<float> out2(8);
  void* data2[] = {&seed_value, out2.data()};
  k->launch(data2, strides);
  EXPECT_NE(out2, out);
}
