// Attention kernels for short sequences on the CPU: softmax(q k^T * scale) v, causal or not, and
// its backward, one head per iteration of the parallel range. torch's flash kernel tiles for long
// sequences; on a GPT's 64 to 256 positions its per-block work dominates (it ran at a tenth of the
// machine's matmul rate on 64 positions of 32 dims). Here a head's keys and values are copied by
// rows and queries go in blocks of 8, transposed so that the block's 8 rows fill a vector's lanes:
// the scores q k^T of a block are then 8 keys by 8 rows a tile (a broadcast key element times a
// vector of rows), their softmax runs down the lanes with no reduction across them, and the
// products with values (or keys, for dq) broadcast a score over a vector of head dims. A causal
// block stops at its last row's position. Shapes, strides' meaning, the scale and the causal flag
// are constants of the source; q, k, v and the gradient may have any strides.
//
// The float32 backward keeps a head whole (up to 512 positions): the blocks compute and keep their
// probabilities p and score gradients ds, then dv = p^T g, dk = ds^T q and dq = ds k run as
// products over the whole head, each output tile's accumulators in registers for its whole sum
// and stored straight into the output. The products' speed is the multiply-add's latency and the
// loads per multiply-add: a tile of 8 accumulators (one per chain the two FMA units need to stay
// busy at 4 cycles' latency) ran at ~58% of the FMA rate, the 12-accumulator tiles of the
// whole-head products at ~66%. Summing dk and dv block by block kept only 8 rows in each sum.
#include "codegen/cpu/attention.h"

#include <cmath>

#include "codegen/cpu/internal.h"
#include "ir/error.h"

namespace thunder::codegen::cpu {

namespace {

struct Names {
  const char* t;    // compute and storage type
  const char* fma;  // fused multiply-add: one rounding, as the vector units do
  const char* exp;
  const char* log;
};

Names names_for(DType dt) {
  THUNDER_CHECK(dt == DType::Float32 || dt == DType::Float64, NotImplemented, "cpu attention: float32 and float64 only, got ",
                dtype_name(dt));
  if (dt == DType::Float64) return {"double", "fma", "exp", "log"};
  return {"float", "fmaf", "exp_f", "logf"};
}

std::string prelude(const AttentionSpec& a) {
  std::string s = "#include <math.h>\n#include <stdbool.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n\n";
  if (a.dtype == DType::Float32) {
    // glibc's vector expf and logf: the softmax's exponentials and the block's 8 log-sum-exps
    s += "#ifdef THUNDER_VECMATH\n#pragma omp declare simd notinbranch\nfloat expf(float);\n#pragma omp declare simd notinbranch\nfloat logf(float);\n#endif\n";
    for (const auto& [name, text] : helper_sources())
      if (name == "bits" || name == "exp_f") s += text;
    s += "#ifdef __AVX2__\n#include <immintrin.h>\n"
         "// dst[c * 8 + r] = src[r * ld + c] for r, c < 8, in registers\n"
         "static inline void thunder_transpose8(const float* restrict src, int64_t ld, float* restrict dst) {\n"
         "  const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld), r2 = _mm256_loadu_ps(src + 2 * ld),\n"
         "               r3 = _mm256_loadu_ps(src + 3 * ld), r4 = _mm256_loadu_ps(src + 4 * ld), r5 = _mm256_loadu_ps(src + 5 * ld),\n"
         "               r6 = _mm256_loadu_ps(src + 6 * ld), r7 = _mm256_loadu_ps(src + 7 * ld);\n"
         "  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),\n"
         "               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),\n"
         "               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);\n"
         "  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44),\n"
         "               u3 = _mm256_shuffle_ps(t1, t3, 0xEE), u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),\n"
         "               u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);\n"
         "  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));\n"
         "  _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(u1, u5, 0x20));\n"
         "  _mm256_storeu_ps(dst + 16, _mm256_permute2f128_ps(u2, u6, 0x20));\n"
         "  _mm256_storeu_ps(dst + 24, _mm256_permute2f128_ps(u3, u7, 0x20));\n"
         "  _mm256_storeu_ps(dst + 32, _mm256_permute2f128_ps(u0, u4, 0x31));\n"
         "  _mm256_storeu_ps(dst + 40, _mm256_permute2f128_ps(u1, u5, 0x31));\n"
         "  _mm256_storeu_ps(dst + 48, _mm256_permute2f128_ps(u2, u6, 0x31));\n"
         "  _mm256_storeu_ps(dst + 56, _mm256_permute2f128_ps(u3, u7, 0x31));\n"
         "}\n#endif\n";
  }
  return s + "\n";
}

// A kernel's source up to its body: the header, the helpers, the entry point and its inputs'
// pointers in0..in<n_in - 1>.
std::string kernel_start(const AttentionSpec& a, const Names& n, const char* what, size_t n_in) {
  std::string src = cat("// thunder CPU attention ", what, ": [", a.B, ", ", a.H, ", ", a.L, ", ", a.E, "] queries, ", a.S,
                        " keys", a.causal ? ", causal" : "", "\n");
  src += prelude(a);
  src += "void thunder_kernel(void* const* data, const int64_t* strides, int64_t begin, int64_t end) {\n";
  for (size_t q = 0; q < n_in; ++q) src += cat("  const ", n.t, "* restrict in", q, " = (const ", n.t, "*)data[", q, "];\n");
  return src;
}

double scale_of(const AttentionSpec& a) {
  return a.scale ? *a.scale : 1.0 / std::sqrt(static_cast<double>(a.E));
}

// The strides of input `k` (4 dims, or 3 for a log-sum-exp) read into locals s<k>_<d>.
std::string stride_locals(size_t k, size_t offset, size_t dims) {
  std::string s;
  for (size_t d = 0; d < dims; ++d) s += cat("  const int64_t s", k, "_", d, " = strides[", offset + d, "];\n");
  return s;
}

// Rows of queries handled together, one per lane of the blocks' score tiles.
constexpr int64_t R = 8;

// Lanes of the vectors the tiles are written in (one AVX2 register of floats).
constexpr int64_t W = 8;

// Positions and head dims padded to whole tiles: loops run whole tiles, the padding of the
// buffers holds zeros and padded scores are masked out.
int64_t padded(int64_t S) { return (S + W - 1) / W * W; }

// Whether the source carries AVX2 intrinsics (under #ifdef __AVX2__, the plain loops kept as the
// other branch). With plain loops GCC's register allocation of the 8 by 8 tiles is luck: a tile
// needs 8 accumulators, the vector and the broadcasts, one more than the 16 registers, and when
// the spill lands on an accumulator the tile runs at half speed (measured: the forward took 0.65 ms
// instead of 0.33 from one such spill).
bool intrinsics(const AttentionSpec& a) { return a.dtype == DType::Float32; }

// Copies head (b, h) of input `k` into `dst` by rows, dst[j * EP + d] = in[b, h, j, d], zeros in
// the padding; a row is one memcpy when the head dim has unit stride (the usual layout).
std::string load_head(size_t k, const char* dst, int64_t S, int64_t E) {
  int64_t SP = padded(S), EP = padded(E);
  std::string s = cat("    {\n      const int64_t sd = s", k, "_3;\n");
  s += cat("      for (int64_t j = 0; j < ", S, "; ++j) {\n        const ", "__typeof__(*in", k, ")* restrict src = in", k,
           " + b * s", k, "_0 + h * s", k, "_1 + j * s", k, "_2;\n");
  s += cat("        if (sd == 1)\n          memcpy(", dst, " + j * ", EP, ", src, sizeof(*src) * ", E, ");\n");
  s += cat("        else\n          for (int64_t d = 0; d < ", E, "; ++d) ", dst, "[j * ", EP, " + d] = src[d * sd];\n");
  if (EP > E) s += cat("        for (int64_t d = ", E, "; d < ", EP, "; ++d) ", dst, "[j * ", EP, " + d] = 0;\n");
  s += "      }\n";
  if (SP > S) s += cat("      memset(", dst, " + ", S * EP, ", 0, sizeof(*", dst, ") * ", (SP - S) * EP, ");\n");
  return s + "    }\n";
}

// Prefetches of the next head's rows of each input (index, rows), so they arrive while this head
// computes: a training step's backward reads q, k, v and the output saved long before, from
// memory, and waiting for them cost a third of the kernel's time. Each row's cache lines, by the
// head dim's stride. The next head's output rows (name, first row's offset, rows, row stride;
// `nb`, `nh` name the next head) are prefetched for writing.
struct OutRows {
  const char* name;
  std::string first;
  int64_t rows, stride;
};
std::string prefetch_next_head(int64_t H, int64_t E, const std::vector<std::pair<size_t, int64_t>>& ins,
                               const std::vector<OutRows>& outs) {
  std::string s = cat("    if (head + 1 < end) {\n      const int64_t nb = (head + 1) / ", H, ", nh = (head + 1) % ", H, ";\n");
  for (auto [k, rows] : ins) {
    s += cat("      for (int64_t j = 0; j < ", rows, "; ++j) {\n        const char* row = (const char*)(in", k, " + nb * s", k,
             "_0 + nh * s", k, "_1 + j * s", k, "_2);\n");
    s += cat("        for (int64_t d = 0; d < ", E, "; d += 16) __builtin_prefetch(row + d * s", k, "_3 * sizeof(*in", k, "));\n");
    s += cat("        __builtin_prefetch(row + ", E - 1, " * s", k, "_3 * sizeof(*in", k, "));\n      }\n");
  }
  for (const auto& o : outs) {
    s += cat("      for (int64_t j = 0; j < ", o.rows, "; ++j) {\n        const char* row = (const char*)(", o.name, " + ", o.first,
             " + j * ", o.stride, ");\n");
    s += cat("        for (int64_t d = 0; d < ", E, "; d += 16) __builtin_prefetch(row + d * sizeof(*", o.name, "), 1);\n      }\n");
  }
  return s + "    }\n";
}

// One scratch allocation per kernel call (zeroed or not), and a pointer into it per buffer (name,
// elements), laid out in the order given.
std::string scratch_buffers(const Names& n, bool zeroed, const std::vector<std::pair<const char*, int64_t>>& buffers) {
  int64_t total = 0;
  for (const auto& b : buffers) total += b.second;
  std::string s = zeroed ? cat("  ", n.t, "* scratch = (", n.t, "*)calloc(", total, ", sizeof(", n.t, "));\n")
                         : cat("  ", n.t, "* scratch = (", n.t, "*)malloc(sizeof(", n.t, ") * ", total, ");\n");
  s += "  if (!scratch) abort();\n";
  int64_t offset = 0;
  for (const auto& [name, size] : buffers) {
    s += cat("  ", n.t, "* restrict ", name, " = scratch + ", offset, ";\n");
    offset += size;
  }
  return s;
}

// Rows i0..i0+R-1 of input `k` (row index clamped to L - 1) into dst[r * EP + d], zero padding.
std::string load_rows(size_t k, const char* dst, int64_t L, int64_t E) {
  int64_t EP = padded(E);
  std::string s = cat("      for (int64_t r = 0; r < ", R, "; ++r) {\n        const int64_t i = i0 + r < ", L, " ? i0 + r : ", L - 1,
                      ";\n        const __typeof__(*in", k, ")* restrict src = in", k, " + b * s", k, "_0 + h * s", k,
                      "_1 + i * s", k, "_2;\n");
  s += cat("        if (s", k, "_3 == 1)\n          memcpy(", dst, " + r * ", EP, ", src, sizeof(*src) * ", E, ");\n");
  s += cat("        else\n          for (int64_t d = 0; d < ", E, "; ++d) ", dst, "[r * ", EP, " + d] = src[d * s", k, "_3];\n");
  if (EP > E) s += cat("        for (int64_t d = ", E, "; d < ", EP, "; ++d) ", dst, "[r * ", EP, " + d] = 0;\n");
  return s + "      }\n";
}

// The block's rows[r * EP + d] transposed into dst[d * R + r], the rows in a vector's lanes: 8 by
// 8 blocks transposed in registers.
std::string transpose_rows(const AttentionSpec& a, const char* dst, const char* rows) {
  int64_t EP = padded(a.E);
  std::string plain = cat("      for (int64_t d = 0; d < ", EP, "; ++d)\n        for (int64_t r = 0; r < ", R, "; ++r) ", dst,
                          "[d * ", R, " + r] = ", rows, "[r * ", EP, " + d];\n");
  if (!intrinsics(a)) return plain;
  return cat("#ifdef __AVX2__\n      for (int64_t d0 = 0; d0 < ", EP, "; d0 += 8) thunder_transpose8(", rows, " + d0, ", EP, ", ", dst,
             " + d0 * ", R, ");\n#else\n", plain, "#endif\n");
}

// The block's length in whole vectors: positions up to the last row's (causal) or all of them.
std::string block_length(const AttentionSpec& a) {
  int64_t SP = padded(a.S);
  if (!a.causal) return cat("      const int64_t n8 = ", SP, ";\n");
  // torch's causal mask is tril(ones(L, S)): query i sees keys 0..i
  return cat("      const int64_t last = i0 + ", R, " < ", a.S, " ? i0 + ", R, " : ", a.S, ";\n",
             "      const int64_t n8 = (last + ", W - 1, ") / ", W, " * ", W, " < ", SP, " ? (last + ", W - 1, ") / ", W, " * ", W,
             " : ", SP, ";\n");
}

// dst[j * R + r] = scale * rows_r . cols_j for the block's rows, given transposed (rows_t[d * R +
// r]), against cols[j * EP + d], j < n8: a tile of 8 positions by the R rows in registers, each
// vector of rows loaded serving 8 positions; then -inf where row r may not look (past S, or past
// its own position when causal). The scores come out with the rows in lanes, so the softmax's
// maxima and sums are vertical, with no reduction across lanes.
std::string products(const Names& n, const AttentionSpec& a, const char* dst, const char* rows_t, const char* cols,
                     const std::string& scale, bool mask) {
  int64_t E = a.E, EP = padded(E);
  std::string s = cat("      for (int64_t j0 = 0; j0 < n8; j0 += 8) {\n        const ", n.t, "* restrict c = ", cols, " + j0 * ", EP, ";\n");
  std::string plain;
  for (int64_t c = 0; c < 8; ++c) plain += cat("        ", n.t, " a", c, "[", R, "] = {0};\n");
  plain += cat("        for (int64_t d = 0; d < ", E, "; ++d) {\n          const ", n.t, "* restrict x = ", rows_t, " + d * ", R, ";\n");
  for (int64_t c = 0; c < 8; ++c) plain += cat("          const ", n.t, " y", c, " = c[", c * EP, " + d];\n");
  plain += cat("          #pragma omp simd\n          for (int64_t l = 0; l < ", R, "; ++l) {\n");
  for (int64_t c = 0; c < 8; ++c) plain += cat("            a", c, "[l] = ", n.fma, "(y", c, ", x[l], a", c, "[l]);\n");
  plain += "          }\n        }\n";
  for (int64_t c = 0; c < 8; ++c)
    plain += cat("        for (int64_t l = 0; l < ", R, "; ++l) ", dst, "[(j0 + ", c, ") * ", R, " + l] = a", c, "[l]",
                 scale.empty() ? "" : cat(" * ", scale), ";\n");
  if (intrinsics(a)) {
    s += "#ifdef __AVX2__\n        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;\n";
    s += cat("        for (int64_t d = 0; d < ", E, "; ++d) {\n          const __m256 x = _mm256_loadu_ps(", rows_t, " + d * ", R, ");\n");
    for (int64_t c = 0; c < 8; ++c) s += cat("          a", c, " = _mm256_fmadd_ps(_mm256_broadcast_ss(c + ", c * EP, " + d), x, a", c, ");\n");
    s += "        }\n";
    if (!scale.empty()) s += cat("        const __m256 ks = _mm256_set1_ps(", scale, ");\n");
    for (int64_t c = 0; c < 8; ++c)
      s += cat("        _mm256_storeu_ps(", dst, " + (j0 + ", c, ") * ", R, ", ", scale.empty() ? cat("a", c) : cat("_mm256_mul_ps(a", c, ", ks)"),
               ");\n");
    s += "#else\n" + plain + "#endif\n";
  } else {
    s += plain;
  }
  s += "      }\n";
  if (mask) {
    std::string first = a.causal ? cat("i0 + 1 < ", a.S, " ? i0 + 1 : ", a.S) : cat(a.S);
    std::string hidden = a.causal ? cat("j > i0 + l || j >= ", a.S) : "1";
    s += cat("      for (int64_t j = ", first, "; j < n8; ++j)\n        #pragma omp simd\n        for (int64_t l = 0; l < ", R,
             "; ++l) ", dst, "[j * ", R, " + l] = ", hidden, " ? -INFINITY : ", dst, "[j * ", R, " + l];\n");
  }
  return s;
}

// acc[r * EP + d] = sum over j < n8 of w[j * R + r] * rows[j * EP + d]: a tile of the R rows by
// one vector of dims in registers, each row vector loaded serving the R rows.
std::string weighted_rows(const Names& n, const AttentionSpec& a, const char* acc, const char* w, const char* rows) {
  int64_t EP = padded(a.E);
  std::string s = cat("      for (int64_t d0 = 0; d0 < ", EP, "; d0 += ", W, ") {\n");
  std::string plain;
  for (int64_t r = 0; r < R; ++r) plain += cat("        ", n.t, " a", r, "[", W, "] = {0};\n");
  plain += cat("        for (int64_t j = 0; j < n8; ++j) {\n          const ", n.t, "* restrict x = ", rows, " + j * ", EP, " + d0;\n");
  for (int64_t r = 0; r < R; ++r) plain += cat("          const ", n.t, " w", r, " = ", w, "[j * ", R, " + ", r, "];\n");
  plain += cat("          #pragma omp simd\n          for (int64_t l = 0; l < ", W, "; ++l) {\n");
  for (int64_t r = 0; r < R; ++r) plain += cat("            a", r, "[l] = ", n.fma, "(w", r, ", x[l], a", r, "[l]);\n");
  plain += "          }\n        }\n";
  for (int64_t r = 0; r < R; ++r)
    plain += cat("        for (int64_t l = 0; l < ", W, "; ++l) ", acc, "[", r * EP, " + d0 + l] = a", r, "[l];\n");
  if (intrinsics(a)) {
    s += "#ifdef __AVX2__\n        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;\n";
    s += cat("        for (int64_t j = 0; j < n8; ++j) {\n          const __m256 x = _mm256_loadu_ps(", rows, " + j * ", EP, " + d0);\n");
    for (int64_t r = 0; r < R; ++r)
      s += cat("          a", r, " = _mm256_fmadd_ps(_mm256_broadcast_ss(", w, " + j * ", R, " + ", r, "), x, a", r, ");\n");
    s += "        }\n";
    for (int64_t r = 0; r < R; ++r) s += cat("        _mm256_storeu_ps(", acc, " + ", r * EP, " + d0, a", r, ");\n");
    s += "#else\n" + plain + "#endif\n";
  } else {
    s += plain;
  }
  return s + "      }\n";
}

// acc[j * EP + d] += sum over the block's rows r of w[j * R + r] * rows[r * EP + d], j < n8. The
// AVX2 tile is 2 positions by 4 vectors of dims (8 accumulators, 4 loads and 2 broadcasts a row),
// the last strip of dims 2 by what is left; the plain loops sum even and odd rows in two chains,
// so a vector's multiply-adds are not all waiting on each other.
std::string outer_products(const Names& n, const AttentionSpec& a, const char* acc, const char* w, const char* rows) {
  int64_t EP = padded(a.E);
  std::string plain = cat("      for (int64_t j = 0; j < n8; ++j) {\n        ", n.t, "* restrict aj = ", acc, " + j * ", EP, ";\n");
  for (int64_t r = 0; r < R; ++r) plain += cat("        const ", n.t, " w", r, " = ", w, "[j * ", R, " + ", r, "];\n");
  plain += cat("        #pragma omp simd\n        for (int64_t d = 0; d < ", EP, "; ++d) {\n          ", n.t,
               " x = aj[d], y = w1 * ", rows, "[", EP, " + d];\n");
  for (int64_t r = 0; r < R; ++r)
    if (r != 1)
      plain += cat("          ", r % 2 ? "y" : "x", " = ", n.fma, "(w", r, ", ", rows, "[", r * EP, " + d], ", r % 2 ? "y" : "x", ");\n");
  plain += "          aj[d] = x + y;\n        }\n      }\n";
  if (!intrinsics(a)) return plain;
  // one tile: positions j0..j0+jt-1 by `vectors` vectors of dims from d0, the rows' loop inside
  auto tile = [&](int64_t d0, int jt, int vectors) {
    std::string t = cat("      for (int64_t j0 = 0; j0 < n8; j0 += ", jt, ") {\n");
    for (int j = 0; j < jt; ++j)
      for (int v = 0; v < vectors; ++v)
        t += cat("        __m256 a", j, v, " = _mm256_loadu_ps(", acc, " + (j0 + ", j, ") * ", EP, " + ", d0 + 8 * v, ");\n");
    t += cat("        for (int64_t r = 0; r < ", R, "; ++r) {\n");
    for (int v = 0; v < vectors; ++v) t += cat("          const __m256 x", v, " = _mm256_loadu_ps(", rows, " + r * ", EP, " + ", d0 + 8 * v, ");\n");
    for (int j = 0; j < jt; ++j) {
      t += cat("          const __m256 w", j, " = _mm256_broadcast_ss(", w, " + (j0 + ", j, ") * ", R, " + r);\n");
      for (int v = 0; v < vectors; ++v) t += cat("          a", j, v, " = _mm256_fmadd_ps(w", j, ", x", v, ", a", j, v, ");\n");
    }
    t += "        }\n";
    for (int j = 0; j < jt; ++j)
      for (int v = 0; v < vectors; ++v)
        t += cat("        _mm256_storeu_ps(", acc, " + (j0 + ", j, ") * ", EP, " + ", d0 + 8 * v, ", a", j, v, ");\n");
    return t + "      }\n";
  };
  // dims in strips of 4 vectors, the strip's loop outside the positions' (measured faster than
  // the other order, where GCC kept a pointer per broadcast, and than 4 positions by 2 vectors)
  std::string s = "#ifdef __AVX2__\n";
  int64_t d0 = 0;
  for (; d0 + 32 <= EP; d0 += 32) s += tile(d0, 2, 4);
  if (d0 < EP) s += tile(d0, 2, static_cast<int>((EP - d0) / 8));
  return s + "#else\n" + plain + "#endif\n";
}

// Whether the backward takes a head whole (below) rather than block by block: float32, whose
// whole-head products are AVX2 tiles (float64's plain loops measured 10% slower whole; float32's
// plain loops, the fallback without AVX2, follow the layout at a 3% loss), up to 512 positions. Its scratch holds the
// probabilities and score gradients of every row (2 L S values: 2 MB at 512 by 512, past the
// core's L2, yet measured faster than the blocks at 64, 128, 256 and 512 positions, on one thread
// or two). Longer sequences (which thunder sends to torch's flash kernel) keep the blocks, whose
// scratch does not grow with L.
bool whole_head(const AttentionSpec& a) { return intrinsics(a) && a.L <= 512 && a.S <= 512; }

// out_j = sum over the head's rows i of w[(i / R) * SP * R + j * R + i % R] (row i's weight at
// position j, in the blocks' own layout) times rows[i * EP + d], for positions j < S, written to
// out + j * RS (RS apart): dv = p^T g or dk = ds^T q over the whole head, the reduction over all
// the rows running with the accumulators in registers. Causal: rows before position j's block see
// none of its keys, so the sum starts there. The AVX2 tile is 6 positions by 2 vectors of dims:
// 12 accumulators, 2 loads and 6 broadcasts a row (measured: the per-block outer products' 2 by 4
// tiles, 8 accumulators, ran at 58% of the FMA rate, 8 chains being just enough to cover the
// latency; these at 66%). A tile may span two blocks of positions: the earlier block's
// probabilities past its last position read as zeros (never written, the scratch is zeroed). When
// a position's row is a whole number of vectors the tile stores into the output; otherwise into
// acc by rows, copied out after.
std::string head_outer_products(const Names& n, const AttentionSpec& a, const char* acc, const char* w, const char* rows, const char* out,
                                int64_t RS) {
  const int64_t LB = padded(a.L) / R, S = a.S, SP = padded(S), E = a.E, EP = padded(E);
  const std::string first = a.causal ? cat("j0 / ", R) : std::string("0");
  const std::string copy_out = cat("    for (int64_t j = 0; j < ", S, "; ++j) memcpy(", out, " + j * ", RS, ", ", acc, " + j * ", EP,
                                   ", sizeof(", n.t, ") * ", E, ");\n");
  std::string plain = cat("    for (int64_t j0 = 0; j0 < ", SP, "; j0 += 2)\n      for (int64_t d0 = 0; d0 < ", EP, "; d0 += ", W, ") {\n");
  plain += cat("        ", n.t, " a0[", W, "] = {0}, a1[", W, "] = {0};\n");
  plain += cat("        for (int64_t ib = ", first, "; ib < ", LB, "; ++ib)\n          for (int64_t r = 0; r < ", R, "; ++r) {\n");
  plain += cat("            const ", n.t, " w0 = ", w, "[ib * ", SP * R, " + j0 * ", R, " + r], w1 = ", w, "[ib * ", SP * R, " + (j0 + 1) * ",
               R, " + r];\n");
  plain += cat("            const ", n.t, "* restrict x = ", rows, " + (ib * ", R, " + r) * ", EP, " + d0;\n");
  plain += cat("            #pragma omp simd\n            for (int64_t l = 0; l < ", W, "; ++l) {\n              a0[l] = ", n.fma,
               "(w0, x[l], a0[l]);\n              a1[l] = ", n.fma, "(w1, x[l], a1[l]);\n            }\n          }\n");
  plain += cat("        for (int64_t l = 0; l < ", W, "; ++l) {\n          ", acc, "[j0 * ", EP, " + d0 + l] = a0[l];\n          ", acc,
               "[(j0 + 1) * ", EP, " + d0 + l] = a1[l];\n        }\n      }\n");
  plain += copy_out;
  if (!intrinsics(a)) return plain;
  const bool direct = E == EP;
  // one tile: positions j0..j0+jt-1 from `from` below `to` by `vectors` vectors of dims from d0
  auto tile = [&](int64_t from, int64_t to, int64_t d0, int jt, int vectors) {
    std::string t = cat("    for (int64_t j0 = ", from, "; j0 < ", to, "; j0 += ", jt, ") {\n");
    for (int j = 0; j < jt; ++j)
      for (int v = 0; v < vectors; ++v) t += cat("      __m256 a", j, "_", v, " = _mm256_setzero_ps();\n");
    t += cat("      for (int64_t ib = ", first, "; ib < ", LB, "; ++ib) {\n");
    t += cat("        const float* restrict wb = ", w, " + ib * ", SP * R, " + j0 * ", R, ";\n");
    t += cat("        const float* restrict xb = ", rows, " + ib * ", R * EP, " + ", d0, ";\n");
    t += cat("        for (int64_t r = 0; r < ", R, "; ++r) {\n");
    for (int v = 0; v < vectors; ++v) t += cat("          const __m256 x", v, " = _mm256_loadu_ps(xb + r * ", EP, " + ", 8 * v, ");\n");
    for (int j = 0; j < jt; ++j) {
      t += cat("          const __m256 w", j, " = _mm256_broadcast_ss(wb + ", j * R, " + r);\n");
      for (int v = 0; v < vectors; ++v) t += cat("          a", j, "_", v, " = _mm256_fmadd_ps(w", j, ", x", v, ", a", j, "_", v, ");\n");
    }
    t += "        }\n      }\n";
    for (int j = 0; j < jt; ++j) {
      // positions past S (padding) are dropped
      const std::string guard = SP > S ? cat("      if (j0 + ", j, " < ", S, ") {\n") : "";
      t += guard;
      for (int v = 0; v < vectors; ++v)
        t += direct ? cat("        _mm256_storeu_ps(", out, " + (j0 + ", j, ") * ", RS, " + ", d0 + 8 * v, ", a", j, "_", v, ");\n")
                    : cat("        _mm256_storeu_ps(", acc, " + (j0 + ", j, ") * ", EP, " + ", d0 + 8 * v, ", a", j, "_", v, ");\n");
      if (!guard.empty()) t += "      }\n";
    }
    return t + "    }\n";
  };
  std::string s = "#ifdef __AVX2__\n";
  const int64_t main_end = SP / 6 * 6;
  for (int64_t d0 = 0; d0 < EP; d0 += 16) {
    const int vectors = d0 + 16 <= EP ? 2 : 1;
    if (main_end > 0) s += tile(0, main_end, d0, 6, vectors);
    if (main_end < SP) s += tile(main_end, SP, d0, static_cast<int>(SP - main_end), vectors);
  }
  if (!direct) s += copy_out;
  return s + "#else\n" + plain + "#endif\n";
}

// out_i = sum over positions j of w[(i / R) * SP * R + j * R + i % R] times k[j * EP + d], for
// rows i < L, written to out + i * RS: dq = ds k over the whole head, AVX2 only and for head dims
// of whole vectors (the caller keeps the per-block weighted_rows otherwise). The tile is 6 rows by
// 2 vectors of dims, 12 accumulators (the per-block tile of 8 rows by one vector has 8, and loads
// 9 values for 8 multiply-adds), each row's weights read through its own pointer since a tile's
// rows may span two blocks. Causal: the sum stops at the tile's last row's position (later
// weights are zero).
std::string head_weighted_rows(const AttentionSpec& a, const char* w, const char* k, const char* out, int64_t RS) {
  const int64_t L = a.L, S = a.S, SP = padded(S), EP = padded(a.E);
  auto tile = [&](int64_t from, int64_t to, int rt, int64_t d0, int vectors) {
    std::string t = cat("    for (int64_t i0 = ", from, "; i0 < ", to, "; i0 += ", rt, ") {\n");
    for (int r = 0; r < rt; ++r)
      t += cat("      const float* restrict w", r, " = ", w, " + (i0 + ", r, ") / ", R, " * ", SP * R, " + (i0 + ", r, ") % ", R, ";\n");
    const std::string n = a.causal ? cat("i0 + ", rt, " < ", S, " ? i0 + ", rt, " : ", S) : cat(S);
    t += cat("      const int64_t n = ", n, ";\n");
    for (int r = 0; r < rt; ++r)
      for (int v = 0; v < vectors; ++v) t += cat("      __m256 a", r, "_", v, " = _mm256_setzero_ps();\n");
    t += cat("      for (int64_t j = 0; j < n; ++j) {\n");
    for (int v = 0; v < vectors; ++v) t += cat("        const __m256 x", v, " = _mm256_loadu_ps(", k, " + j * ", EP, " + ", d0 + 8 * v, ");\n");
    for (int r = 0; r < rt; ++r) {
      t += cat("        const __m256 b", r, " = _mm256_broadcast_ss(w", r, " + j * ", R, ");\n");
      for (int v = 0; v < vectors; ++v) t += cat("        a", r, "_", v, " = _mm256_fmadd_ps(b", r, ", x", v, ", a", r, "_", v, ");\n");
    }
    t += "      }\n";
    for (int r = 0; r < rt; ++r)
      for (int v = 0; v < vectors; ++v)
        t += cat("      _mm256_storeu_ps(", out, " + (i0 + ", r, ") * ", RS, " + ", d0 + 8 * v, ", a", r, "_", v, ");\n");
    return t + "    }\n";
  };
  std::string s;
  const int64_t main_end = L / 6 * 6;
  for (int64_t d0 = 0; d0 < EP; d0 += 16) {
    const int vectors = d0 + 16 <= EP ? 2 : 1;
    if (main_end > 0) s += tile(0, main_end, 6, d0, vectors);
    if (main_end < L) s += tile(main_end, L, static_cast<int>(L - main_end), d0, vectors);
  }
  return s;
}

}  // namespace

KernelSource attention_forward(const AttentionSpec& a) {
  Names n = names_for(a.dtype);
  const int64_t B = a.B, H = a.H, L = a.L, S = a.S, E = a.E, SP = padded(S), EP = padded(E);
  std::string scale = exact(scale_of(a), n.t);
  KernelSource k;
  Device cpu{};
  k.inputs = {TensorMeta{{B, H, L, E}, a.dtype, cpu, false}, TensorMeta{{B, H, S, E}, a.dtype, cpu, false},
              TensorMeta{{B, H, S, E}, a.dtype, cpu, false}};
  // the output in [B, L, H, E] order: its [B, H, L, E] view is what attention returns, and heads
  // joined back into [B, L, H * E] are then a view too
  k.outputs = {TensorMeta{{B, L, H, E}, a.dtype, cpu, false}, TensorMeta{{B, H, L}, a.dtype, cpu, false}};
  k.range = B * H;
  k.work = B * H * L * S * E;
  std::string src = kernel_start(a, n, "forward", k.inputs.size());
  src += cat("  ", n.t, "* restrict out = (", n.t, "*)data[3];\n");
  src += cat("  ", n.t, "* restrict lse = (", n.t, "*)data[4];\n");
  for (size_t q = 0; q < 3; ++q) src += stride_locals(q, 4 * q, 4);
  // scratch: k and v by rows, the block's scores (rows in lanes), queries by rows and transposed,
  // outputs
  src += scratch_buffers(n, false, {{"kr", SP * EP}, {"vr", SP * EP}, {"s", SP * R}, {"q", R * EP}, {"qt", EP * R}, {"o", R * EP}});
  src += "  for (int64_t head = begin; head < end; ++head) {\n";
  src += cat("    const int64_t b = head / ", H, ", h = head % ", H, ";\n");
  src += prefetch_next_head(H, E, {{0, L}, {1, S}, {2, S}}, {{"out", cat("(nb * ", L * H, " + nh) * ", E), L, H * E}});
  src += load_head(1, "kr", S, E);
  src += load_head(2, "vr", S, E);
  src += cat("    for (int64_t i0 = 0; i0 < ", L, "; i0 += ", R, ") {\n");
  src += block_length(a);
  src += load_rows(0, "q", L, E);
  src += transpose_rows(a, "qt", "q");
  src += products(n, a, "s", "qt", "kr", scale, true);
  // softmax of the block's rows, lane r for row r; the log-sum-exps
  src += cat("      ", n.t, " m[", R, "], total[", R, "], inv[", R, "], ls[", R, "];\n");
  src += cat("      #pragma omp simd\n      for (int64_t l = 0; l < ", R, "; ++l) {\n        m[l] = s[l];\n        total[l] = 0;\n      }\n");
  src += cat("      for (int64_t j = 1; j < n8; ++j)\n        #pragma omp simd\n        for (int64_t l = 0; l < ", R,
             "; ++l) m[l] = s[j * ", R, " + l] > m[l] ? s[j * ", R, " + l] : m[l];\n");
  src += cat("      for (int64_t j = 0; j < n8; ++j)\n        #pragma omp simd\n        for (int64_t l = 0; l < ", R, "; ++l) {\n");
  src += cat("          const ", n.t, " e = ", n.exp, "(s[j * ", R, " + l] - m[l]);\n          s[j * ", R,
             " + l] = e;\n          total[l] += e;\n        }\n");
  src += cat("      #pragma omp simd\n      for (int64_t l = 0; l < ", R, "; ++l) {\n        inv[l] = 1 / total[l];\n        ls[l] = m[l] + ",
             n.log, "(total[l]);\n      }\n");
  src += cat("      for (int64_t r = 0; r < ", R, " && i0 + r < ", L, "; ++r) lse[(b * ", H, " + h) * ", L, " + i0 + r] = ls[r];\n");
  src += weighted_rows(n, a, "o", "s", "vr");
  src += cat("      for (int64_t r = 0; r < ", R, " && i0 + r < ", L, "; ++r) {\n");
  src += cat("        ", n.t, "* restrict dst = out + ((b * ", L, " + i0 + r) * ", H, " + h) * ", E, ";\n");
  src += cat("        #pragma omp simd\n        for (int64_t d = 0; d < ", E, "; ++d) dst[d] = o[r * ", EP, " + d] * inv[r];\n      }\n");
  src += "    }\n  }\n  free(scratch);\n}\n";
  k.source = std::move(src);
  return k;
}

KernelSource attention_backward(const AttentionSpec& a) {
  Names n = names_for(a.dtype);
  const int64_t B = a.B, H = a.H, L = a.L, S = a.S, E = a.E, SP = padded(S), EP = padded(E);
  std::string scale = exact(scale_of(a), n.t);
  KernelSource k;
  Device cpu{};
  TensorMeta qm{{B, H, L, E}, a.dtype, cpu, false}, km{{B, H, S, E}, a.dtype, cpu, false};
  // grad, q, k, v, out (the forward's [B, H, L, E] view), log-sum-exp
  k.inputs = {qm, qm, km, km, qm, TensorMeta{{B, H, L}, a.dtype, cpu, false}};
  // dq, dk, dv in [B, L or S, H, E] order, as the forward's output; for self-attention (L == S) all
  // three in one [B, L, 3, H, E] tensor, the layout of a packed qkv projection's gradient, so
  // joining them back is a view (runtime/aten_forms.py: cat)
  const bool packed = L == S;
  const int64_t RS = packed ? 3 * H * E : H * E;  // elements between two positions' rows
  if (packed)
    k.outputs = {TensorMeta{{B, L, 3, H, E}, a.dtype, cpu, false}};
  else
    k.outputs = {TensorMeta{{B, L, H, E}, a.dtype, cpu, false}, TensorMeta{{B, S, H, E}, a.dtype, cpu, false},
                 TensorMeta{{B, S, H, E}, a.dtype, cpu, false}};
  k.range = B * H;
  k.work = B * H * L * S * E;
  std::string src = kernel_start(a, n, "backward", k.inputs.size());
  if (packed) {
    src += cat("  ", n.t, "* restrict dq_out = (", n.t, "*)data[6];\n");
    src += cat("  ", n.t, "* restrict dk_out = dq_out + ", H * E, ";\n");
    src += cat("  ", n.t, "* restrict dv_out = dq_out + ", 2 * H * E, ";\n");
  } else {
    src += cat("  ", n.t, "* restrict dq_out = (", n.t, "*)data[6];\n");
    src += cat("  ", n.t, "* restrict dk_out = (", n.t, "*)data[7];\n");
    src += cat("  ", n.t, "* restrict dv_out = (", n.t, "*)data[8];\n");
  }
  for (size_t q = 0; q < 5; ++q) src += stride_locals(q, 4 * q, 4);
  src += stride_locals(5, 20, 3);
  // A head whole (short sequences): every block's probabilities and score gradients are kept, and
  // the head's queries and output gradients by rows, so dv = p^T g and dk = ds^T q are products
  // reducing over all L rows afterwards. Otherwise blocks add their outer products into dk and dv.
  const bool whole = whole_head(a);
  const int64_t LP = padded(L), PB = whole ? LP * SP : SP * R, QB = whole ? LP * EP : R * EP;
  // scratch: k and v by rows, dk and dv (by rows), the probabilities and score gradients (rows in
  // lanes, by blocks), queries and output gradients by rows, the block's transposed, its outputs
  // and query gradients by rows
  // zeroed: a block's probabilities past its last position are never written, and a whole head's
  // tiles of positions may read them (as zeros)
  src += scratch_buffers(n, true,
                         {{"kr", SP * EP}, {"vr", SP * EP}, {"dk", SP * EP}, {"dv", SP * EP}, {"pw", PB}, {"dsw", PB}, {"qw", QB},
                          {"gw", QB}, {"qt", EP * R}, {"gt", EP * R}, {"o", R * EP}, {"dq", R * EP}});
  src += "  (void)dk;\n  (void)dv;\n  (void)dq;  // unused where the AVX2 tiles store into the outputs\n";
  src += "  for (int64_t head = begin; head < end; ++head) {\n";
  src += cat("    const int64_t b = head / ", H, ", h = head % ", H, ";\n");
  src += prefetch_next_head(H, E, {{0, L}, {1, L}, {2, S}, {3, S}, {4, L}},
                            {{"dq_out", cat("nb * ", L * RS, " + nh * ", E), L, RS},
                             {"dk_out", cat("nb * ", S * RS, " + nh * ", E), S, RS},
                             {"dv_out", cat("nb * ", S * RS, " + nh * ", E), S, RS}});
  src += load_head(2, "kr", S, E);
  src += load_head(3, "vr", S, E);
  if (!whole) src += cat("    memset(dk, 0, sizeof(", n.t, ") * ", 2 * SP * EP, ");\n");  // dk and dv
  src += cat("    for (int64_t i0 = 0; i0 < ", L, "; i0 += ", R, ") {\n");
  // the block's share of the buffers
  if (whole)
    src += cat("      ", n.t, "* const p = pw + i0 * ", SP, ";\n      ", n.t, "* const ds = dsw + i0 * ", SP, ";\n      ", n.t,
               "* const q = qw + i0 * ", EP, ";\n      ", n.t, "* const g = gw + i0 * ", EP, ";\n");
  else
    src += cat("      ", n.t, "* const p = pw;\n      ", n.t, "* const ds = dsw;\n      ", n.t, "* const q = qw;\n      ", n.t,
               "* const g = gw;\n");
  src += block_length(a);
  src += load_rows(1, "q", L, E);
  src += load_rows(0, "g", L, E);
  src += load_rows(4, "o", L, E);
  // rows past L (the last block's clamped copies) take no part: their gradient is zero
  src += cat("      for (int64_t r = 0; r < ", R, "; ++r)\n        if (i0 + r >= ", L, ")\n          for (int64_t d = 0; d < ", E,
             "; ++d) g[r * ", EP, " + d] = 0;\n");
  src += transpose_rows(a, "qt", "q");
  src += transpose_rows(a, "gt", "g");
  src += products(n, a, "p", "qt", "kr", scale, true);
  // p = exp(s - lse), lane r for row r; D_r = g_r . o_r
  src += cat("      ", n.t, " li[", R, "], di[", R, "];\n");
  src += cat("      for (int64_t r = 0; r < ", R, "; ++r) {\n        const int64_t i = i0 + r < ", L, " ? i0 + r : ", L - 1, ";\n");
  src += "        li[r] = in5[b * s5_0 + h * s5_1 + i * s5_2];\n";
  src += cat("        ", n.t, " acc = 0;\n        #pragma omp simd reduction(+:acc)\n        for (int64_t d = 0; d < ", E,
             "; ++d) acc += g[r * ", EP, " + d] * o[r * ", EP, " + d];\n        di[r] = acc;\n      }\n");
  src += cat("      for (int64_t j = 0; j < n8; ++j)\n        #pragma omp simd\n        for (int64_t l = 0; l < ", R, "; ++l) p[j * ", R,
             " + l] = ", n.exp, "(p[j * ", R, " + l] - li[l]);\n");
  // dp = g v^T, then ds = p (dp - D) scale
  src += products(n, a, "ds", "gt", "vr", "", false);
  src += cat("      for (int64_t j = 0; j < n8; ++j)\n        #pragma omp simd\n        for (int64_t l = 0; l < ", R, "; ++l) ds[j * ", R,
             " + l] = p[j * ", R, " + l] * (ds[j * ", R, " + l] - di[l]) * ", scale, ";\n");
  // dq = ds k; dk += ds^T q; dv += p^T g (whole heads: after the blocks)
  // (whole heads of whole vectors, AVX2: dq after the blocks too)
  const bool dq_whole = whole && intrinsics(a) && E == EP;
  if (dq_whole) src += "#ifndef __AVX2__\n";
  src += weighted_rows(n, a, "dq", "ds", "kr");
  src += cat("      for (int64_t r = 0; r < ", R, " && i0 + r < ", L, "; ++r)\n        memcpy(dq_out + (b * ", L, " + i0 + r) * ", RS,
             " + h * ", E, ", dq + r * ", EP, ", sizeof(", n.t, ") * ", E, ");\n");
  if (dq_whole) src += "#endif\n";
  if (!whole) {
    src += outer_products(n, a, "dk", "ds", "q");
    src += outer_products(n, a, "dv", "p", "g");
  }
  src += "    }\n";
  if (dq_whole)
    src += cat("#ifdef __AVX2__\n    {\n      float* const dq_head = dq_out + b * ", L * RS, " + h * ", E, ";\n",
               head_weighted_rows(a, "dsw", "kr", "dq_head", RS), "    }\n#endif\n");
  if (whole) {
    src += cat("    ", n.t, "* const dv_head = dv_out + b * ", S * RS, " + h * ", E, ";\n");
    src += cat("    ", n.t, "* const dk_head = dk_out + b * ", S * RS, " + h * ", E, ";\n");
    src += head_outer_products(n, a, "dv", "pw", "gw", "dv_head", RS);
    src += head_outer_products(n, a, "dk", "dsw", "qw", "dk_head", RS);
  } else {
    src += cat("    for (int64_t j = 0; j < ", S, "; ++j) {\n");
    src += cat("      memcpy(dk_out + (b * ", S, " + j) * ", RS, " + h * ", E, ", dk + j * ", EP, ", sizeof(", n.t, ") * ", E, ");\n");
    src += cat("      memcpy(dv_out + (b * ", S, " + j) * ", RS, " + h * ", E, ", dv + j * ", EP, ", sizeof(", n.t, ") * ", E, ");\n");
    src += "    }\n";
  }
  src += "  }\n  free(scratch);\n}\n";
  k.source = std::move(src);
  return k;
}

}  // namespace thunder::codegen::cpu
