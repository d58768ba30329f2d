// The C helpers generated kernels include where they use them: half-type conversions (the IEEE
// algorithms c10 uses), NaN-propagating maximum/minimum, and torch's integer pow.
#include "codegen/cpu/internal.h"

namespace thunder::codegen::cpu {

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
  };
  return h;
}

}  // namespace thunder::codegen::cpu
