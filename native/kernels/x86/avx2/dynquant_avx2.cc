// qint8 — AVX2 min/max reduction (NaN ignored: vminps(x, acc) returns acc for a NaN x).
#include <immintrin.h>

#include "../../../runtime/dynquant_kernels.h"

namespace qint8 {
namespace {

void minMax(const float* x, size_t n, float* mn, float* mx) {
  __m256 lo0 = _mm256_set1_ps(*mn), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  __m256 hi0 = _mm256_set1_ps(*mx), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
    lo0 = _mm256_min_ps(a, lo0), hi0 = _mm256_max_ps(a, hi0);
    lo1 = _mm256_min_ps(b, lo1), hi1 = _mm256_max_ps(b, hi1);
    lo2 = _mm256_min_ps(c, lo2), hi2 = _mm256_max_ps(c, hi2);
    lo3 = _mm256_min_ps(d, lo3), hi3 = _mm256_max_ps(d, hi3);
  }
  lo0 = _mm256_min_ps(_mm256_min_ps(lo0, lo1), _mm256_min_ps(lo2, lo3));
  hi0 = _mm256_max_ps(_mm256_max_ps(hi0, hi1), _mm256_max_ps(hi2, hi3));
  alignas(32) float l[8], h[8];
  _mm256_store_ps(l, lo0);
  _mm256_store_ps(h, hi0);
  float lo = l[0], hi = h[0];
  for (int k = 1; k < 8; ++k) {
    lo = l[k] < lo ? l[k] : lo;
    hi = h[k] > hi ? h[k] : hi;
  }
  for (; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  *mn = lo;
  *mx = hi;
}

const DynQuantKernelTable kAvx2 = {Isa::kAvx2, minMax};

}  // namespace

const DynQuantKernelTable* dynQuantKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
