// qint8 — common definitions shared by kernels, runtime and binding.
// Kernel translation units compiled with ISA flags include this header, so it must only
// contain PODs, constants and functions with internal linkage (static inline): an inline
// function with external linkage instantiated under -mavx512f could be picked by the linker
// for every caller and crash a CPU without AVX-512.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(_MSC_VER)
#define QINT8_RESTRICT __restrict
#define QINT8_ALWAYS_INLINE __forceinline
#else
#define QINT8_RESTRICT __restrict__
#define QINT8_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

namespace qint8 {

// Instruction-set tiers, in dispatch preference order within one architecture.
enum class Isa : int {
  kScalar = 0,
  kAvx2 = 1,
  kAvx512Vnni = 2,
  kNeon = 3,
  kNeonDot = 4,
  kI8mm = 5,
};
constexpr int kIsaCount = 6;

const char* isaName(Isa isa);
// Parses "scalar" | "avx2" | "avx512vnni" | "neon" | "neondot" | "i8mm"; returns false if unknown.
bool parseIsa(const char* name, Isa* out);

// Alignment of every packed buffer and arena block (one cache line, one zmm).
constexpr size_t kAlign = 64;

}  // namespace qint8
