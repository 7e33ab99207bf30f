// qint8 — AVX-512 min/max reduction. vminps(x, acc) returns acc when x is NaN, so NaN inputs are
// ignored as in the reference. (The sign of a zero extreme may differ from the reference; the
// dynamic qparams do not depend on it.)
#include <immintrin.h>

#include "../../../runtime/dynquant_kernels.h"

namespace qint8 {
namespace {

// Full-mask forms of vminps / vmaxps (the plain intrinsics trip GCC 12's -Wuninitialized here).
static inline __m512 vmin(__m512 a, __m512 b) { return _mm512_mask_min_ps(b, 0xFFFF, a, b); }
static inline __m512 vmax(__m512 a, __m512 b) { return _mm512_mask_max_ps(b, 0xFFFF, a, b); }

void minMax(const float* x, size_t n, float* mn, float* mx) {
  __m512 lo0 = _mm512_set1_ps(*mn), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  __m512 hi0 = _mm512_set1_ps(*mx), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    const __m512 c = _mm512_loadu_ps(x + i + 32), d = _mm512_loadu_ps(x + i + 48);
    lo0 = vmin(a, lo0), hi0 = vmax(a, hi0);
    lo1 = vmin(b, lo1), hi1 = vmax(b, hi1);
    lo2 = vmin(c, lo2), hi2 = vmax(c, hi2);
    lo3 = vmin(d, lo3), hi3 = vmax(d, hi3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 a = _mm512_maskz_loadu_ps(m, x + i);
    lo0 = _mm512_mask_min_ps(lo0, m, a, lo0);
    hi0 = _mm512_mask_max_ps(hi0, m, a, hi0);
  }
  lo0 = vmin(vmin(lo0, lo1), vmin(lo2, lo3));
  hi0 = vmax(vmax(hi0, hi1), vmax(hi2, hi3));
  alignas(64) float l[16], h[16];
  _mm512_store_ps(l, lo0);
  _mm512_store_ps(h, hi0);
  float lo = l[0], hi = h[0];
  for (int k = 1; k < 16; ++k) {
    lo = l[k] < lo ? l[k] : lo;
    hi = h[k] > hi ? h[k] : hi;
  }
  *mn = lo;
  *mx = hi;
}

const DynQuantKernelTable kAvx512 = {Isa::kAvx512Vnni, minMax};

}  // namespace

const DynQuantKernelTable* dynQuantKernelsAvx512() { return &kAvx512; }

}  // namespace qint8
