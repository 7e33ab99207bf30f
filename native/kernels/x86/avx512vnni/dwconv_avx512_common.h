// qint8 — what the AVX-512 flat-window depthwise kernel (dwconv_avx512.cc) and its vertical 3x3
// variant (dwconv_avx512_vert.cc) share: the window layout (channel phases, the byte a dword of
// an accumulator holds), masks and the accumulate. The vertical kernel's packed weights follow
// the flat kernel's, so both must agree on these. Included only by files of this ISA folder:
// static inline code only.
#pragma once
#include <immintrin.h>

#include "qint8/common.h"

namespace qint8 {
namespace {

static inline int gcdInt(int a, int b) {
  while (b) {
    const int t = a % b;
    a = b;
    b = t;
  }
  return a;
}
// Windows of 64 output bytes come in c / gcd(c, 64) channel phases.
static inline int phases(int c) { return c / gcdInt(c, 64); }
// Window byte held by dword di (0..15) of accumulator q.
static inline int byteOf(int q, int di) { return 16 * (di / 4) + 4 * q + di % 4; }

static inline __mmask64 byteMask(int valid) {
  return valid >= 64 ? ~static_cast<__mmask64>(0) : valid <= 0 ? 0 : ((static_cast<__mmask64>(1) << valid) - 1);
}

// acc += vpdpbusd(a, b), as one instruction (the intrinsic's tied operand makes GCC copy).
static QINT8_ALWAYS_INLINE void dpbusd(__m512i& acc, __m512i a, __m512i b) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
}

}  // namespace
}  // namespace qint8
