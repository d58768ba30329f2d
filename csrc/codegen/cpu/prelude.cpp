// The C helpers generated kernels include where they use them: half-type conversions (the IEEE
// algorithms c10 uses), NaN-propagating maximum/minimum, torch's integer pow, and the philox
// draws (uniform_philox, normal_philox).
#include <cmath>
#include <cstdio>

#include "codegen/cpu/internal.h"
#include "ir/error.h"

namespace thunder::codegen::cpu {

std::string exact(double v, const char* t) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%a", v);
  return cat("((", t, ")", buf, ")");
}

namespace {

// Horner's rule in the reference's order: p = c0; p = p * z + c1; ...
std::string horner(const char* t, const char* p, const std::vector<double>& coeffs) {
  std::string s = cat("  ", t, " ", p, " = ", exact(coeffs[0], t), ";\n");
  for (size_t i = 1; i < coeffs.size(); ++i) s += cat("  ", p, " = ", p, " * z + ", exact(coeffs[i], t), ";\n");
  return s;
}

// The Box-Muller pieces of normal_philox for `t` ("float" or "double"), step for step as
// python/thunder/runtime/philox.py computes them with torch (IEEE +, -, *, /, sqrt only, so both
// give the same bits): a logarithm from the mantissa and exponent (the atanh series), and sine
// and cosine of 2 pi u from quarter turns and Taylor polynomials on [-pi/4, pi/4].
std::string philox_math(bool dbl) {
  const char* t = dbl ? "double" : "float";
  const char* sfx = dbl ? "d" : "f";
  std::vector<double> log_c, sin_c, cos_c;
  for (int k = 11; k >= 1; --k) log_c.push_back(2.0 / (2 * k + 1));
  auto factorial = [](int n) {
    double f = 1;
    for (int i = 2; i <= n; ++i) f *= i;
    return f;
  };
  for (int k = 7; k >= 1; --k) sin_c.push_back((k % 2 ? -1.0 : 1.0) / factorial(2 * k + 1));
  for (int k = 8; k >= 1; --k) cos_c.push_back((k % 2 ? -1.0 : 1.0) / factorial(2 * k));
  const double ln2 = 0x1.62e42fefa39efp-1, two_pi = 0x1.921fb54442d18p+2, sqrt_half = 0x1.6a09e667f3bcdp-1;
  std::string s;
  // frexp through the bits (exact for the normal numbers in (0, 1] it sees)
  if (dbl) {
    s += "static inline double philox_log_d(double x) {\n"
         "  uint64_t b; memcpy(&b, &x, 8);\n"
         "  const uint64_t mb = (b & 0x000FFFFFFFFFFFFFull) | 0x3FE0000000000000ull;\n"
         "  double m; memcpy(&m, &mb, 8);\n"
         "  int e = (int)((b >> 52) & 0x7FF) - 1022;\n";
  } else {
    s += "static inline float philox_log_f(float x) {\n"
         "  uint32_t b; memcpy(&b, &x, 4);\n"
         "  const uint32_t mb = (b & 0x007FFFFFu) | 0x3F000000u;\n"
         "  float m; memcpy(&m, &mb, 4);\n"
         "  int e = (int)((b >> 23) & 0xFF) - 126;\n";
  }
  // selects rather than a branch, so loops calling it vectorize
  s += cat("  const int low = m < ", exact(sqrt_half, t), ";\n");
  s += cat("  m = low ? m * ", exact(2, t), " : m;\n");
  s += "  e = e - low;\n";
  s += cat("  const ", t, " s = (m - ", exact(1, t), ") / (m + ", exact(1, t), "), z = s * s;\n");
  s += horner(t, "p", log_c);
  s += cat("  return (", t, ")e * ", exact(ln2, t), " + s * (", exact(2, t), " + z * p);\n}\n");
  s += cat("static inline void philox_sincos_", sfx, "(", t, " u, ", t, "* sin_out, ", t, "* cos_out) {\n");
  s += cat("  const ", t, " q = nearbyint", dbl ? "" : "f", "(u * ", exact(4, t), ");\n");
  s += cat("  const ", t, " x = (u - q * ", exact(0.25, t), ") * ", exact(two_pi, t), ", z = x * x;\n");
  s += horner(t, "ps", sin_c);
  s += horner(t, "pc", cos_c);
  s += cat("  const ", t, " s = x + x * z * ps, c = ", exact(1, t), " + z * pc;\n");
  s += "  const int k = (int)q & 3;\n"
       "  *sin_out = k == 0 ? s : k == 1 ? c : k == 2 ? -s : -c;\n"
       "  *cos_out = k == 0 ? c : k == 1 ? -s : k == 2 ? -c : s;\n}\n";
  return s;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& helper_sources() {
  static const std::vector<std::pair<std::string, std::string>> h = {
      {"bits", "static inline uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }\n"
               "static inline float float_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }\n"},
      {"f16_to_f32",
       "static inline float f16_to_f32(uint16_t h) {\n"
       "  const uint32_t w = (uint32_t)h << 16, sign = w & 0x80000000u, two_w = w + w;\n"
       "  const float normalized = float_of((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;\n"
       "  const float denormalized = float_of((two_w >> 17) | (126u << 23)) - 0.5f;\n"
       "  return float_of(sign | (two_w < (1u << 27) ? bits_of(denormalized) : bits_of(normalized)));\n"
       "}\n"},
      {"f32_to_f16",
       "static inline uint16_t f32_to_f16(float f) {\n"
       "  float base = (fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;\n"
       "  const uint32_t w = bits_of(f), shl1_w = w + w, sign = w & 0x80000000u;\n"
       "  uint32_t bias = shl1_w & 0xFF000000u;\n"
       "  if (bias < 0x71000000u) bias = 0x71000000u;\n"
       "  base = float_of((bias >> 1) + 0x07800000u) + base;\n"
       "  const uint32_t b = bits_of(base), nonsign = ((b >> 13) & 0x00007C00u) + (b & 0x00000FFFu);\n"
       "  return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));\n"
       "}\n"},
      {"round_f16", "static inline float round_f16(float f) { return f16_to_f32(f32_to_f16(f)); }\n"},
      {"bf16_to_f32", "static inline float bf16_to_f32(uint16_t h) { return float_of((uint32_t)h << 16); }\n"},
      {"f32_to_bf16",
       "static inline uint16_t f32_to_bf16(float f) {\n"
       "  uint32_t u = bits_of(f);\n"
       "  if (f != f) return 0x7FC0;\n"
       "  return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);\n"
       "}\n"},
      {"round_bf16", "static inline float round_bf16(float f) { return bf16_to_f32(f32_to_bf16(f)); }\n"},
      // expf for arguments that can be far below zero (a masked score of -inf): glibc's vector
      // expf leaves its vector path for every vector holding an argument below about -87, and runs
      // several times slower. Arguments below -104, where expf is 0, reach it as 0 (the select on
      // the bits is one GCC cannot fold into a branch) and their result is replaced.
      {"exp_f",
       "static inline float exp_f(float x) {\n"
       "  const float c = float_of(bits_of(x) & -(uint32_t)(x >= -104.0f));\n"
       "  const float e = expf(c);\n"
       "  return x != x ? x : x < -104.0f ? 0.0f : e;\n"
       "}\n"},
      {"maximum_float_float", "static inline float maximum_float_float(float a, float b) { return (a != a || a > b) ? a : b; }\n"},
      {"maximum_float_double", "static inline double maximum_float_double(double a, double b) { return (a != a || a > b) ? a : b; }\n"},
      {"minimum_float_float", "static inline float minimum_float_float(float a, float b) { return (a != a || a < b) ? a : b; }\n"},
      {"minimum_float_double", "static inline double minimum_float_double(double a, double b) { return (a != a || a < b) ? a : b; }\n"},
      {"maximum_int", "static inline int64_t maximum_int(int64_t a, int64_t b) { return a > b ? a : b; }\n"},
      {"minimum_int", "static inline int64_t minimum_int(int64_t a, int64_t b) { return a < b ? a : b; }\n"},
      {"powi",
       "static inline int64_t powi(int64_t a, int64_t b) {\n"
       "  if (b < 0) return a == 1 ? 1 : a == -1 ? ((-b) % 2 ? -1 : 1) : 0;\n"
       "  int64_t r = 1;\n"
       "  while (b) {\n"
       "    if (b & 1) r *= a;\n"
       "    b >>= 1;\n"
       "    a *= a;\n"
       "  }\n"
       "  return r;\n"
       "}\n"},
      // Philox4x32-10 (Salmon et al., SC 2011): the 64-bit counter in the first two words, the
      // seed as the key; the last round's key bump is harmless
      {"philox",
       "static inline void philox4x32(uint64_t key, uint64_t ctr, uint32_t w[4]) {\n"
       "  uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);\n"
       "  uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;\n"
       "  for (int r = 0; r < 10; ++r) {\n"
       "    const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;\n"
       "    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;\n"
       "    c1 = (uint32_t)p1;\n"
       "    c3 = (uint32_t)p0;\n"
       "    c0 = n0;\n"
       "    c2 = n2;\n"
       "    k0 += 0x9E3779B9u;\n"
       "    k1 += 0xBB67AE85u;\n"
       "  }\n"
       "  w[0] = c0, w[1] = c1, w[2] = c2, w[3] = c3;\n"
       "}\n"
       // one word, picked by selects rather than an indexed load (the inlined array stays in
       // registers), so loops calling it vectorize
       "static inline uint32_t philox_word(uint64_t key, uint64_t ctr, int64_t lane) {\n"
       "  uint32_t w[4];\n"
       "  philox4x32(key, ctr, w);\n"
       "  return lane == 0 ? w[0] : lane == 1 ? w[1] : lane == 2 ? w[2] : w[3];\n"
       "}\n"},
      // element i of a draw: 4 per counter, one word each (k * 2^-bits, exact in the dtype), or 2
      // per counter for float64 (53 bits from two words)
      {"philox_uniform",
       "static inline float philox_uniform_f(int64_t seed, int64_t offset, int64_t i, int bits) {\n"
       "  const uint32_t w = philox_word((uint64_t)seed, (uint64_t)offset + (uint64_t)(i >> 2), i & 3);\n"
       "  return (float)(int32_t)(w >> (32 - bits)) * (1.0f / (float)(1u << bits));\n"
       "}\n"
       "static inline double philox_uniform_d(int64_t seed, int64_t offset, int64_t i) {\n"
       "  uint32_t w[4];\n"
       "  philox4x32((uint64_t)seed, (uint64_t)offset + (uint64_t)(i >> 1), w);\n"
       "  const int j = (int)(i & 1) * 2;\n"
       "  return (double)(((uint64_t)w[j] << 21) | (w[j + 1] >> 11)) * 0x1p-53;\n"
       "}\n"},
      // float: words (0, 1) give elements 4c (cosine) and 4c + 1 (sine), words (2, 3) the next
      // two; double: words (0, 1) and (2, 3) are one pair of 53-bit uniforms, elements 2c, 2c + 1
      {"philox_normal",
       philox_math(false) + philox_math(true) +
           "static inline float philox_normal_f(int64_t seed, int64_t offset, int64_t i) {\n"
           "  uint32_t w[4];\n"
           "  philox4x32((uint64_t)seed, (uint64_t)offset + (uint64_t)(i >> 2), w);\n"
           "  const int second = (int)((i >> 1) & 1);\n"
           "  const uint32_t a = second ? w[2] : w[0], b = second ? w[3] : w[1];\n"
           "  const float u1 = (float)(int32_t)((a >> 8) + 1) * 0x1p-24f, u2 = (float)(int32_t)(b >> 8) * 0x1p-24f;\n"
           "  const float radius = sqrtf(philox_log_f(u1) * -2.0f);\n"
           "  float s, c;\n"
           "  philox_sincos_f(u2, &s, &c);\n"
           "  return radius * ((i & 1) ? s : c);\n"
           "}\n"
           "static inline double philox_normal_d(int64_t seed, int64_t offset, int64_t i) {\n"
           "  uint32_t w[4];\n"
           "  philox4x32((uint64_t)seed, (uint64_t)offset + (uint64_t)(i >> 1), w);\n"
           "  const double u1 = (double)((((uint64_t)w[0] << 21) | (w[1] >> 11)) + 1) * 0x1p-53;\n"
           "  const double u2 = (double)(((uint64_t)w[2] << 21) | (w[3] >> 11)) * 0x1p-53;\n"
           "  const double radius = sqrt(philox_log_d(u1) * -2.0);\n"
           "  double s, c;\n"
           "  philox_sincos_d(u2, &s, &c);\n"
           "  return radius * ((i & 1) ? s : c);\n"
           "}\n"},
  };
  return h;
}

}  // namespace thunder::codegen::cpu
