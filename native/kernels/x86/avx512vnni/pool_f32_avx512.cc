// qint8 — float32 pooling, AVX-512: channels in blocks of 16 (masked tail), the reference's
// order of operations per lane (bit-exact).
#include <immintrin.h>

#include <cmath>

#include "../../../runtime/pool_f32_kernels.h"

namespace qint8 {
namespace {

static inline __mmask16 chanMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF) : valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1);
}

// poolMax on vectors: MAXPS(x, m) = x > m ? x : m, then a NaN x replaces the result.
static inline __m512 vmax(__m512 m, __m512 x) {
  return _mm512_mask_mov_ps(_mm512_max_ps(x, m), _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

// Max pooling with the taps of each output pixel listed once (offsets of the window's pixels
// inside the input, in (ky, kx) order) and 64 channels (four independent chains) per pass: the
// per-tap loop of run() below makes one dependent chain at a time and recomputes the bounds per
// channel block (ResNet-18's 3x3 s2 max pool on 112x112x64, profiler CPU time at 1 thread:
// 0.58-0.64 -> 0.33-0.38 ms). Same vmax sequence per lane, so the same bits.
constexpr int kMaxPoolTaps = 64;

void runMax(const PoolF32Args& a) {
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  ptrdiff_t off[kMaxPoolTaps];
  const int c = a.c;
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy)
    for (int ox = 0; ox < a.ow; ++ox) {
      const int y0 = oy * a.sh - a.padT, x0 = ox * a.sw - a.padL;
      int nt = 0;
      for (int ky = 0; ky < a.kh; ++ky) {
        const int iy = y0 + ky * a.dh;
        if (iy < 0 || iy >= a.h) continue;
        for (int kx = 0; kx < a.kw; ++kx) {
          const int ix = x0 + kx * a.dw;
          if (ix < 0 || ix >= a.w) continue;
          off[nt++] = (static_cast<ptrdiff_t>(iy) * a.w + ix) * c;
        }
      }
      float* out = a.y + (static_cast<size_t>(oy) * a.ow + ox) * c;
      int c0 = 0;
      for (; c0 + 64 <= c; c0 += 64) {
        __m512 m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
        const float* base = a.x + c0;
        for (int t = 0; t < nt; ++t) {
          const float* p = base + off[t];
          m0 = vmax(m0, _mm512_loadu_ps(p));
          m1 = vmax(m1, _mm512_loadu_ps(p + 16));
          m2 = vmax(m2, _mm512_loadu_ps(p + 32));
          m3 = vmax(m3, _mm512_loadu_ps(p + 48));
        }
        _mm512_storeu_ps(out + c0, m0);
        _mm512_storeu_ps(out + c0 + 16, m1);
        _mm512_storeu_ps(out + c0 + 32, m2);
        _mm512_storeu_ps(out + c0 + 48, m3);
      }
      for (; c0 < c; c0 += 16) {
        const __mmask16 m = chanMask(c - c0);
        __m512 acc = ninf;
        for (int t = 0; t < nt; ++t) acc = vmax(acc, _mm512_maskz_loadu_ps(m, a.x + c0 + off[t]));
        _mm512_mask_storeu_ps(out + c0, m, acc);
      }
    }
}

void run(const PoolF32Args& a) {
  if (a.max && a.kh * a.kw <= kMaxPoolTaps) {
    runMax(a);
    return;
  }
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy)
    for (int ox = 0; ox < a.ow; ++ox) {
      const int y0 = oy * a.sh - a.padT, x0 = ox * a.sw - a.padL;
      const __m512 count = _mm512_set1_ps(static_cast<float>(poolCount(y0, a.kh, a.dh, a.h, a.padB, a.countIncludePad) *
                                                             poolCount(x0, a.kw, a.dw, a.w, a.padR, a.countIncludePad)));
      float* out = a.y + (static_cast<size_t>(oy) * a.ow + ox) * a.c;
      for (int c0 = 0; c0 < a.c; c0 += 16) {
        const __mmask16 m = chanMask(a.c - c0);
        __m512 acc = a.max ? ninf : _mm512_setzero_ps();
        for (int ky = 0; ky < a.kh; ++ky) {
          const int iy = y0 + ky * a.dh;
          if (iy < 0 || iy >= a.h) continue;
          const float* row = a.x + static_cast<size_t>(iy) * a.w * a.c + c0;
          for (int kx = 0; kx < a.kw; ++kx) {
            const int ix = x0 + kx * a.dw;
            if (ix < 0 || ix >= a.w) continue;
            const __m512 v = _mm512_maskz_loadu_ps(m, row + static_cast<size_t>(ix) * a.c);
            acc = a.max ? vmax(acc, v) : _mm512_add_ps(acc, v);
          }
        }
        if (!a.max) acc = _mm512_div_ps(acc, count);
        _mm512_mask_storeu_ps(out + c0, m, acc);
      }
    }
}

void global(const float* x, size_t hw, int c, int c0, int c1, bool max, float* y) {
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  // Four channel blocks at a time (independent chains), then single blocks.
  int cb = c0;
  for (; cb + 64 <= c1; cb += 64) {
    __m512 a0 = max ? ninf : _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const float* p = x + cb;
    for (size_t i = 0; i < hw; ++i, p += c) {
      const __m512 v0 = _mm512_loadu_ps(p), v1 = _mm512_loadu_ps(p + 16), v2 = _mm512_loadu_ps(p + 32), v3 = _mm512_loadu_ps(p + 48);
      if (max) {
        a0 = vmax(a0, v0);
        a1 = vmax(a1, v1);
        a2 = vmax(a2, v2);
        a3 = vmax(a3, v3);
      } else {
        a0 = _mm512_add_ps(a0, v0);
        a1 = _mm512_add_ps(a1, v1);
        a2 = _mm512_add_ps(a2, v2);
        a3 = _mm512_add_ps(a3, v3);
      }
    }
    if (!max) {
      const __m512 d = _mm512_set1_ps(static_cast<float>(hw));
      a0 = _mm512_div_ps(a0, d);
      a1 = _mm512_div_ps(a1, d);
      a2 = _mm512_div_ps(a2, d);
      a3 = _mm512_div_ps(a3, d);
    }
    _mm512_storeu_ps(y + cb, a0);
    _mm512_storeu_ps(y + cb + 16, a1);
    _mm512_storeu_ps(y + cb + 32, a2);
    _mm512_storeu_ps(y + cb + 48, a3);
  }
  for (; cb < c1; cb += 16) {
    const __mmask16 m = chanMask(c1 - cb);
    __m512 acc = max ? ninf : _mm512_setzero_ps();
    const float* p = x + cb;
    for (size_t i = 0; i < hw; ++i, p += c) {
      const __m512 v = _mm512_maskz_loadu_ps(m, p);
      acc = max ? vmax(acc, v) : _mm512_add_ps(acc, v);
    }
    if (!max) acc = _mm512_div_ps(acc, _mm512_set1_ps(static_cast<float>(hw)));
    _mm512_mask_storeu_ps(y + cb, m, acc);
  }
}

const PoolF32KernelTable kTable = {Isa::kAvx512Vnni, run, global};

}  // namespace

const PoolF32KernelTable* poolF32KernelsAvx512() { return &kTable; }

}  // namespace qint8
