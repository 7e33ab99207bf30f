// qint8 — float32 pooling, AVX2: channels in blocks of 8 (masked tail), the reference's order of
// operations per lane (bit-exact).
#include <immintrin.h>

#include <cmath>

#include "../../../runtime/pool_f32_kernels.h"
#include "act_avx2.h"

namespace qint8 {
namespace {

// poolMax on vectors: MAXPS(x, m) = x > m ? x : m, then a NaN x replaces the result.
static inline __m256 vmax(__m256 m, __m256 x) {
  return _mm256_blendv_ps(_mm256_max_ps(x, m), x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

static inline __m256 load(const float* p, int valid, __m256i mask) {
  return valid >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}
static inline void store(float* p, __m256 v, int valid, __m256i mask) {
  if (valid >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, mask, v);
}

void run(const PoolF32Args& a) {
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy)
    for (int ox = 0; ox < a.ow; ++ox) {
      const int y0 = oy * a.sh - a.padT, x0 = ox * a.sw - a.padL;
      const __m256 count = _mm256_set1_ps(static_cast<float>(poolCount(y0, a.kh, a.dh, a.h, a.padB, a.countIncludePad) *
                                                             poolCount(x0, a.kw, a.dw, a.w, a.padR, a.countIncludePad)));
      float* out = a.y + (static_cast<size_t>(oy) * a.ow + ox) * a.c;
      for (int c0 = 0; c0 < a.c; c0 += 8) {
        const int valid = a.c - c0;
        const __m256i m = laneMask256(valid);
        __m256 acc = a.max ? ninf : _mm256_setzero_ps();
        for (int ky = 0; ky < a.kh; ++ky) {
          const int iy = y0 + ky * a.dh;
          if (iy < 0 || iy >= a.h) continue;
          const float* row = a.x + static_cast<size_t>(iy) * a.w * a.c + c0;
          for (int kx = 0; kx < a.kw; ++kx) {
            const int ix = x0 + kx * a.dw;
            if (ix < 0 || ix >= a.w) continue;
            const __m256 v = load(row + static_cast<size_t>(ix) * a.c, valid, m);
            acc = a.max ? vmax(acc, v) : _mm256_add_ps(acc, v);
          }
        }
        if (!a.max) acc = _mm256_div_ps(acc, count);
        store(out + c0, acc, valid, m);
      }
    }
}

void global(const float* x, size_t hw, int c, int c0, int c1, bool max, float* y) {
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  const __m256 d = _mm256_set1_ps(static_cast<float>(hw));
  int cb = c0;
  for (; cb + 32 <= c1; cb += 32) {
    __m256 a0 = max ? ninf : _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const float* p = x + cb;
    for (size_t i = 0; i < hw; ++i, p += c) {
      const __m256 v0 = _mm256_loadu_ps(p), v1 = _mm256_loadu_ps(p + 8), v2 = _mm256_loadu_ps(p + 16), v3 = _mm256_loadu_ps(p + 24);
      if (max) {
        a0 = vmax(a0, v0);
        a1 = vmax(a1, v1);
        a2 = vmax(a2, v2);
        a3 = vmax(a3, v3);
      } else {
        a0 = _mm256_add_ps(a0, v0);
        a1 = _mm256_add_ps(a1, v1);
        a2 = _mm256_add_ps(a2, v2);
        a3 = _mm256_add_ps(a3, v3);
      }
    }
    if (!max) {
      a0 = _mm256_div_ps(a0, d);
      a1 = _mm256_div_ps(a1, d);
      a2 = _mm256_div_ps(a2, d);
      a3 = _mm256_div_ps(a3, d);
    }
    _mm256_storeu_ps(y + cb, a0);
    _mm256_storeu_ps(y + cb + 8, a1);
    _mm256_storeu_ps(y + cb + 16, a2);
    _mm256_storeu_ps(y + cb + 24, a3);
  }
  for (; cb < c1; cb += 8) {
    const int valid = c1 - cb;
    const __m256i m = laneMask256(valid);
    __m256 acc = max ? ninf : _mm256_setzero_ps();
    const float* p = x + cb;
    for (size_t i = 0; i < hw; ++i, p += c) {
      const __m256 v = load(p, valid, m);
      acc = max ? vmax(acc, v) : _mm256_add_ps(acc, v);
    }
    if (!max) acc = _mm256_div_ps(acc, d);
    store(y + cb, acc, valid, m);
  }
}

const PoolF32KernelTable kTable = {Isa::kAvx2, run, global};

}  // namespace

const PoolF32KernelTable* poolF32KernelsAvx2() { return &kTable; }

}  // namespace qint8
