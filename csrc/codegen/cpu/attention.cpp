// Attention kernels for short sequences on the CPU: softmax(q k^T * scale) v, causal or not, and
// its backward, one head per iteration of the parallel range. torch's flash kernel tiles for long
// sequences; on a GPT's 64 to 256 positions its per-block work dominates (it ran at a tenth of the
// machine's matmul rate on 64 positions of 32 dims). Here a head's keys and values are copied
// transposed into a scratch buffer, so every product loops over positions with unit stride and
// vectorizes; a causal row stops at its own position. Shapes, strides' meaning, the scale and the
// causal flag are constants of the source; q, k, v and the gradient may have any strides.
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
    s += "#ifdef THUNDER_VECMATH\n#pragma omp declare simd notinbranch\nfloat expf(float);\n#endif\n";
    for (const auto& [name, text] : helper_sources())
      if (name == "bits" || name == "exp_f") s += text;
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

// Rows of queries handled together: each key or value vector loaded serves R rows.
constexpr int64_t R = 8;

// Tiles of the products: TR rows by W lanes (one 8-float vector) in registers, each vector loaded
// serving TR rows (8 by 8 measured faster here than 4 by 16: less padding on causal rows).
constexpr int64_t TR = 8, W = 8;

// Positions and head dims padded to whole tiles: loops run whole tiles, the padding of the
// buffers holds zeros and padded scores are masked out.
int64_t padded(int64_t S) { return (S + W - 1) / W * W; }

// Copies head (b, h) of input `k` into `dst` transposed, dst[d * SP + j] = in[b, h, j, d], or by
// rows, dst[j * EP + d]; zeros in the padding. Rows are read through one pointer each, with unit
// stride when the head dim has it (the usual layout), so the copies vectorize.
std::string load_head(size_t k, const char* dst, int64_t S, int64_t E, bool transposed) {
  int64_t SP = padded(S), EP = padded(E);
  std::string s = cat("    {\n      const int64_t sd = s", k, "_3;\n");
  s += cat("      for (int64_t j = 0; j < ", S, "; ++j) {\n        const ", "__typeof__(*in", k, ")* restrict src = in", k,
           " + b * s", k, "_0 + h * s", k, "_1 + j * s", k, "_2;\n");
  if (transposed) {
    s += cat("        if (sd == 1)\n          for (int64_t d = 0; d < ", E, "; ++d) ", dst, "[d * ", SP, " + j] = src[d];\n");
    s += cat("        else\n          for (int64_t d = 0; d < ", E, "; ++d) ", dst, "[d * ", SP, " + j] = src[d * sd];\n");
  } else {
    s += cat("        if (sd == 1)\n          memcpy(", dst, " + j * ", EP, ", src, sizeof(*src) * ", E, ");\n");
    s += cat("        else\n          for (int64_t d = 0; d < ", E, "; ++d) ", dst, "[j * ", EP, " + d] = src[d * sd];\n");
    if (EP > E) s += cat("        for (int64_t d = ", E, "; d < ", EP, "; ++d) ", dst, "[j * ", EP, " + d] = 0;\n");
  }
  s += "      }\n";
  if (SP > S) {
    if (transposed)
      s += cat("      for (int64_t d = 0; d < ", E, "; ++d)\n        for (int64_t j = ", S, "; j < ", SP, "; ++j) ", dst, "[d * ", SP,
               " + j] = 0;\n");
    else
      s += cat("      memset(", dst, " + ", S * EP, ", 0, sizeof(*", dst, ") * ", (SP - S) * EP, ");\n");
  }
  return s + "    }\n";
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

// The block's length in whole vectors: positions up to the last row's (causal) or all of them.
std::string block_length(const AttentionSpec& a) {
  int64_t SP = padded(a.S);
  if (!a.causal) return cat("      const int64_t n8 = ", SP, ";\n");
  // torch's causal mask is tril(ones(L, S)): query i sees keys 0..i
  return cat("      const int64_t last = i0 + ", R, " < ", a.S, " ? i0 + ", R, " : ", a.S, ";\n",
             "      const int64_t n8 = (last + ", W - 1, ") / ", W, " * ", W, " < ", SP, " ? (last + ", W - 1, ") / ", W, " * ", W,
             " : ", SP, ";\n");
}

// TR accumulators of W lanes, a0..a<TR-1>, zeroed.
std::string accumulators(const Names& n) {
  std::string s;
  for (int64_t r = 0; r < TR; ++r) s += cat("          ", n.t, " a", r, "[", W, "] = {0};\n");
  return s;
}

// dst[r * SP + j] = scale * rows_r . cols_j for the block's R rows (rows[r * EP + d]) against the
// transposed buffer cols[d * SP + j], j < n8, a tile of TR rows by W positions at a time in
// registers; then -inf where row r may not look (past S, or past its own position when causal).
std::string products(const Names& n, const AttentionSpec& a, const char* dst, const char* rows, const char* cols,
                     const std::string& scale, bool mask) {
  int64_t SP = padded(a.S), E = a.E, EP = padded(E);
  std::string s = cat("      for (int64_t r0 = 0; r0 < ", R, "; r0 += ", TR, ")\n");
  s += cat("        for (int64_t j0 = 0; j0 < n8; j0 += ", W, ") {\n");
  s += accumulators(n);
  s += cat("          for (int64_t d = 0; d < ", E, "; ++d) {\n            const ", n.t, "* restrict c = ", cols, " + d * ", SP,
           " + j0;\n");
  for (int64_t r = 0; r < TR; ++r) s += cat("            const ", n.t, " x", r, " = ", rows, "[(r0 + ", r, ") * ", EP, " + d];\n");
  s += cat("            #pragma omp simd\n            for (int64_t l = 0; l < ", W, "; ++l) {\n");
  for (int64_t r = 0; r < TR; ++r) s += cat("              a", r, "[l] = ", n.fma, "(x", r, ", c[l], a", r, "[l]);\n");
  s += "            }\n          }\n";
  for (int64_t r = 0; r < TR; ++r)
    s += cat("          for (int64_t l = 0; l < ", W, "; ++l) ", dst, "[(r0 + ", r, ") * ", SP, " + j0 + l] = a", r, "[l]",
             scale.empty() ? "" : cat(" * ", scale), ";\n");
  s += "        }\n";
  if (mask) {
    std::string valid = a.causal ? cat("i0 + r + 1 < ", a.S, " ? i0 + r + 1 : ", a.S) : cat(a.S);
    s += cat("      for (int64_t r = 0; r < ", R, "; ++r)\n        for (int64_t j = ", valid, "; j < n8; ++j) ", dst, "[r * ",
             SP, " + j] = -INFINITY;\n");
  }
  return s;
}

// acc[r * EP + d] = sum over j < n8 of w[r * SP + j] * rows[j * EP + d], a tile of TR rows by W
// dims at a time in registers: each row vector loaded serves TR rows.
std::string weighted_rows(const Names& n, const AttentionSpec& a, const char* acc, const char* w, const char* rows) {
  int64_t SP = padded(a.S), EP = padded(a.E);
  std::string s = cat("      for (int64_t r0 = 0; r0 < ", R, "; r0 += ", TR, ")\n");
  s += cat("        for (int64_t d0 = 0; d0 < ", EP, "; d0 += ", W, ") {\n");
  s += accumulators(n);
  s += cat("          for (int64_t j = 0; j < n8; ++j) {\n            const ", n.t, "* restrict x = ", rows, " + j * ", EP,
           " + d0;\n");
  for (int64_t r = 0; r < TR; ++r) s += cat("            const ", n.t, " w", r, " = ", w, "[(r0 + ", r, ") * ", SP, " + j];\n");
  s += cat("            #pragma omp simd\n            for (int64_t l = 0; l < ", W, "; ++l) {\n");
  for (int64_t r = 0; r < TR; ++r) s += cat("              a", r, "[l] = ", n.fma, "(w", r, ", x[l], a", r, "[l]);\n");
  s += "            }\n          }\n";
  for (int64_t r = 0; r < TR; ++r)
    s += cat("          for (int64_t l = 0; l < ", W, "; ++l) ", acc, "[(r0 + ", r, ") * ", EP, " + d0 + l] = a", r, "[l];\n");
  s += "        }\n";
  return s;
}

// acc[j * EP + d] += sum over the block's rows r of w[r * SP + j] * rows[r * EP + d], j < n8. Even
// and odd rows sum in two chains, so a vector's multiply-adds are not all waiting on each other.
std::string outer_products(const Names& n, const AttentionSpec& a, const char* acc, const char* w, const char* rows) {
  int64_t SP = padded(a.S), EP = padded(a.E);
  std::string s = cat("      for (int64_t j = 0; j < n8; ++j) {\n        ", n.t, "* restrict aj = ", acc, " + j * ", EP, ";\n");
  for (int64_t r = 0; r < R; ++r) s += cat("        const ", n.t, " w", r, " = ", w, "[", r * SP, " + j];\n");
  s += cat("        #pragma omp simd\n        for (int64_t d = 0; d < ", EP, "; ++d) {\n          ", n.t, " x = aj[d], y = w1 * ",
           rows, "[", EP, " + d];\n");
  for (int64_t r = 0; r < R; ++r)
    if (r != 1) s += cat("          ", r % 2 ? "y" : "x", " = ", n.fma, "(w", r, ", ", rows, "[", r * EP, " + d], ", r % 2 ? "y" : "x", ");\n");
  s += "          aj[d] = x + y;\n        }\n      }\n";
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
  // scratch: k transposed, v by rows, the block's scores, queries and outputs
  int64_t kt = 0, vr = SP * E, sc = vr + SP * EP, qr = sc + R * SP, orow = qr + R * EP, total = orow + R * EP;
  src += cat("  ", n.t, "* scratch = (", n.t, "*)malloc(sizeof(", n.t, ") * ", total, ");\n  if (!scratch) abort();\n");
  src += cat("  ", n.t, "* restrict kt = scratch + ", kt, ";\n  ", n.t, "* restrict vr = scratch + ", vr, ";\n  ", n.t,
             "* restrict s = scratch + ", sc, ";\n  ", n.t, "* restrict q = scratch + ", qr, ";\n  ", n.t,
             "* restrict o = scratch + ", orow, ";\n");
  src += "  for (int64_t head = begin; head < end; ++head) {\n";
  src += cat("    const int64_t b = head / ", H, ", h = head % ", H, ";\n");
  src += load_head(1, "kt", S, E, true);
  src += load_head(2, "vr", S, E, false);
  src += cat("    for (int64_t i0 = 0; i0 < ", L, "; i0 += ", R, ") {\n");
  src += block_length(a);
  src += load_rows(0, "q", L, E);
  src += products(n, a, "s", "q", "kt", scale, true);
  // softmax of each row; its log-sum-exp
  src += cat("      ", n.t, " inv[", R, "];\n");
  src += cat("      for (int64_t r = 0; r < ", R, "; ++r) {\n        ", n.t, "* restrict sr = s + r * ", SP, ";\n");
  src += cat("        ", n.t, " m = -INFINITY;\n        #pragma omp simd reduction(max:m)\n        for (int64_t j = 0; j < n8; ++j) m = sr[j] > m ? sr[j] : m;\n");
  src += cat("        ", n.t, " total = 0;\n        #pragma omp simd reduction(+:total)\n");
  src += cat("        for (int64_t j = 0; j < n8; ++j) {\n          sr[j] = ", n.exp, "(sr[j] - m);\n          total += sr[j];\n        }\n");
  src += "        inv[r] = 1 / total;\n";
  src += cat("        if (i0 + r < ", L, ") lse[(b * ", H, " + h) * ", L, " + i0 + r] = m + ", n.log, "(total);\n      }\n");
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
  // scratch: k and v transposed, k by rows, dk and dv accumulators (by rows), the block's
  // probabilities and score gradients, queries, output gradients, outputs and query gradients
  int64_t kt = 0, vt = SP * E, kr = 2 * SP * E, dk = kr + SP * EP, dv = dk + SP * EP, p = dv + SP * EP, ds = p + R * SP,
          qr = ds + R * SP, gr = qr + R * EP, orow = gr + R * EP, dq = orow + R * EP, total = dq + R * EP;
  src += cat("  ", n.t, "* scratch = (", n.t, "*)malloc(sizeof(", n.t, ") * ", total, ");\n  if (!scratch) abort();\n");
  for (auto [name, off] : std::vector<std::pair<const char*, int64_t>>{
           {"kt", kt}, {"vt", vt}, {"kr", kr}, {"dk", dk}, {"dv", dv}, {"p", p}, {"ds", ds}, {"q", qr}, {"g", gr}, {"o", orow}, {"dq", dq}})
    src += cat("  ", n.t, "* restrict ", name, " = scratch + ", off, ";\n");
  src += "  for (int64_t head = begin; head < end; ++head) {\n";
  src += cat("    const int64_t b = head / ", H, ", h = head % ", H, ";\n");
  src += load_head(2, "kt", S, E, true);
  src += load_head(3, "vt", S, E, true);
  src += load_head(2, "kr", S, E, false);
  src += cat("    memset(dk, 0, sizeof(", n.t, ") * ", 2 * SP * EP, ");\n");  // dk and dv
  src += cat("    for (int64_t i0 = 0; i0 < ", L, "; i0 += ", R, ") {\n");
  src += block_length(a);
  src += load_rows(1, "q", L, E);
  src += load_rows(0, "g", L, E);
  src += load_rows(4, "o", L, E);
  // rows past L (the last block's clamped copies) take no part: their gradient is zero
  src += cat("      for (int64_t r = 0; r < ", R, "; ++r)\n        if (i0 + r >= ", L, ")\n          for (int64_t d = 0; d < ", E,
             "; ++d) g[r * ", EP, " + d] = 0;\n");
  src += products(n, a, "p", "q", "kt", scale, true);
  // p = exp(s - lse); D_r = g_r . o_r
  src += cat("      ", n.t, " di[", R, "];\n");
  src += cat("      for (int64_t r = 0; r < ", R, "; ++r) {\n        const int64_t i = i0 + r < ", L, " ? i0 + r : ", L - 1, ";\n");
  src += cat("        const ", n.t, " li = in5[b * s5_0 + h * s5_1 + i * s5_2];\n");
  src += cat("        ", n.t, "* restrict pr = p + r * ", SP, ";\n");
  src += cat("        #pragma omp simd\n        for (int64_t j = 0; j < n8; ++j) pr[j] = ", n.exp, "(pr[j] - li);\n");
  src += cat("        ", n.t, " acc = 0;\n        #pragma omp simd reduction(+:acc)\n        for (int64_t d = 0; d < ", E,
             "; ++d) acc += g[r * ", EP, " + d] * o[r * ", EP, " + d];\n        di[r] = acc;\n      }\n");
  // dp = g v^T, then ds = p (dp - D) scale
  src += products(n, a, "ds", "g", "vt", "", false);
  src += cat("      for (int64_t r = 0; r < ", R, "; ++r)\n        #pragma omp simd\n        for (int64_t j = 0; j < n8; ++j) ds[r * ",
             SP, " + j] = p[r * ", SP, " + j] * (ds[r * ", SP, " + j] - di[r]) * ", scale, ";\n");
  // dq = ds k; dk += ds^T q; dv += p^T g
  src += weighted_rows(n, a, "dq", "ds", "kr");
  src += outer_products(n, a, "dk", "ds", "q");
  src += outer_products(n, a, "dv", "p", "g");
  src += cat("      for (int64_t r = 0; r < ", R, " && i0 + r < ", L, "; ++r)\n        memcpy(dq_out + (b * ", L, " + i0 + r) * ", RS,
             " + h * ", E, ", dq + r * ", EP, ", sizeof(", n.t, ") * ", E, ");\n");
  src += "    }\n";
  src += cat("    for (int64_t j = 0; j < ", S, "; ++j) {\n");
  src += cat("      memcpy(dk_out + (b * ", S, " + j) * ", RS, " + h * ", E, ", dk + j * ", EP, ", sizeof(", n.t, ") * ", E, ");\n");
  src += cat("      memcpy(dv_out + (b * ", S, " + j) * ", RS, " + h * ", E, ", dv + j * ", EP, ", sizeof(", n.t, ") * ", E, ");\n");
  src += "    }\n  }\n  free(scratch);\n}\n";
  k.source = std::move(src);
  return k;
}

}  // namespace thunder::codegen::cpu
