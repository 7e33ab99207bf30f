// qint8 — float32 depthwise convolution, AVX2 + FMA (ymm), NHWC. The structure of the AVX-512
// kernel (dwconv_f32_avx512.cc) with blocks of 8 channels; the tail block uses masked loads and
// stores. Bit-exact with the reference.
#include <immintrin.h>

#include "../../../runtime/dwconv_f32_kernels.h"
#include "act_avx2.h"

namespace qint8 {
namespace {

constexpr int kVL = 8;
constexpr int kMaxKh = 32;

static inline int blocks(int c) { return (c + kVL - 1) / kVL; }

size_t packedFloats(int kh, int kw, int c) { return static_cast<size_t>(blocks(c)) * kh * kw * kVL; }

void pack(const float* w, int kh, int kw, int c, float* dst) {
  const int kp = kh * kw;
  for (int cb = 0; cb < blocks(c); ++cb)
    for (int t = 0; t < kp; ++t)
      for (int l = 0; l < kVL; ++l) {
        const int ch = cb * kVL + l;
        dst[(static_cast<size_t>(cb) * kp + t) * kVL + l] = ch < c ? w[static_cast<size_t>(ch) * kp + t] : 0.0f;
      }
}

struct Ctx {
  const float* const* rows;
  size_t c;
  int w, kh, kw, sw, dw;
  int cOff;
  const float* wp;
  __m256i mvec;  // lanes of the tail block
  bool tail;
  __m256 bias;
  bool hasBias;
  ActKind act;
};

template <bool TAIL>
static QINT8_ALWAYS_INLINE __m256 load(const Ctx& x, const float* p) {
  if constexpr (TAIL) return _mm256_maskload_ps(p, x.mvec);
  else return _mm256_loadu_ps(p);
}

template <bool TAIL>
static QINT8_ALWAYS_INLINE void finish(const Ctx& x, __m256 v, float* out, const ActConsts256& k) {
  if (x.hasBias) v = _mm256_add_ps(v, x.bias);
  v = act256(x.act, v, k);
  if constexpr (TAIL) _mm256_maskstore_ps(out, x.mvec, v);
  else _mm256_storeu_ps(out, v);
}

template <bool TAIL>
static QINT8_ALWAYS_INLINE void pixel(const Ctx& x, int ix0, float* out, const ActConsts256& k) {
  __m256 acc = _mm256_setzero_ps();
  const __m256 zero = _mm256_setzero_ps();
  const float* wk = x.wp;
  for (int ky = 0; ky < x.kh; ++ky) {
    const float* r = x.rows[ky] + x.cOff;
    for (int kx = 0; kx < x.kw; ++kx, wk += kVL) {
      const int ix = ix0 + kx * x.dw;
      const __m256 v = (ix >= 0 && ix < x.w) ? load<TAIL>(x, r + static_cast<size_t>(ix) * x.c) : zero;
      acc = _mm256_fmadd_ps(v, _mm256_load_ps(wk), acc);
    }
  }
  finish<TAIL>(x, acc, out, k);
}

#define QINT8_ACC8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

template <int KW, int SW, bool TAIL>
static QINT8_ALWAYS_INLINE void group8(const Ctx& x, int ix0, float* out, const ActConsts256& k) {
  const int kw = KW ? KW : x.kw;
  const size_t step = static_cast<size_t>(SW ? SW : x.sw) * x.c;
  const size_t tapStep = static_cast<size_t>(KW ? 1 : x.dw) * x.c;
#define QINT8_DECL(j) __m256 a##j = _mm256_setzero_ps();
  QINT8_ACC8(QINT8_DECL)
#undef QINT8_DECL
  const float* wk = x.wp;
  for (int ky = 0; ky < x.kh; ++ky) {
    const float* p = x.rows[ky] + static_cast<size_t>(ix0) * x.c + x.cOff;
    for (int kx = 0; kx < kw; ++kx, wk += kVL, p += tapStep) {
      const __m256 wv = _mm256_load_ps(wk);
#define QINT8_FMA(j) a##j = _mm256_fmadd_ps(load<TAIL>(x, p + (j) * step), wv, a##j);
      QINT8_ACC8(QINT8_FMA)
#undef QINT8_FMA
    }
  }
#define QINT8_FIN(j) finish<TAIL>(x, a##j, out + (j) * x.c, k);
  QINT8_ACC8(QINT8_FIN)
#undef QINT8_FIN
}
#undef QINT8_ACC8

// One output position range [ox0, ox1) in steps of STEP pixels (1: any position; 8: interior),
// all channel blocks per step (pixel by pixel through the input, as in the AVX-512 kernel).
template <int KW, int SW, int STEP>
static void span(Ctx& x, const DwF32Args& a, int ox0, int ox1, float* yrow, const ActConsts256& k) {
  const int kp = a.kh * a.kw;
  const int nb = blocks(a.c);
  for (int ox = ox0; ox + STEP <= ox1; ox += STEP)
    for (int cb = 0; cb < nb; ++cb) {
      x.cOff = cb * kVL;
      const int valid = a.c - x.cOff;
      x.tail = valid < kVL;
      x.mvec = laneMask256(valid);
      x.wp = a.weights + static_cast<size_t>(cb) * kp * kVL;
      x.bias = a.bias ? _mm256_maskload_ps(a.bias + x.cOff, x.mvec) : _mm256_setzero_ps();
      float* out = yrow + static_cast<size_t>(ox) * a.c + x.cOff;
      const int ix0 = ox * a.sw - a.padL;
      if constexpr (STEP == 1) {
        if (x.tail) pixel<true>(x, ix0, out, k);
        else pixel<false>(x, ix0, out, k);
      } else {
        if (x.tail) group8<KW, SW, true>(x, ix0, out, k);
        else group8<KW, SW, false>(x, ix0, out, k);
      }
    }
}

template <int KW, int SW>
static void runT(const DwF32Args& a) {
  const ActConsts256 k(a.act);
  const int oxL = a.ow < (a.padL + a.sw - 1) / a.sw ? a.ow : (a.padL + a.sw - 1) / a.sw;
  const int lim = a.w - 1 - (a.kw - 1) * a.dw + a.padL;
  int oxR = lim < 0 ? 0 : lim / a.sw + 1;
  if (oxR > a.ow) oxR = a.ow;
  if (oxR < oxL) oxR = oxL;
  const float* rows[kMaxKh];
  Ctx x;
  x.rows = rows;
  x.c = static_cast<size_t>(a.c);
  x.w = a.w;
  x.kh = a.kh;
  x.kw = a.kw;
  x.sw = a.sw;
  x.dw = a.dw;
  x.hasBias = a.bias != nullptr;
  x.act = a.act.kind;
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy) {
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = oy * a.sh - a.padT + ky * a.dh;
      rows[ky] = (iy >= 0 && iy < a.h) ? a.x + static_cast<size_t>(iy) * a.w * a.c : a.zeroRow;
    }
    float* yrow = a.y + static_cast<size_t>(oy) * a.ow * a.c;
    const int g1 = oxL + (oxR - oxL) / 8 * 8;
    span<KW, SW, 1>(x, a, 0, oxL, yrow, k);
    span<KW, SW, 8>(x, a, oxL, g1, yrow, k);
    span<KW, SW, 1>(x, a, g1, a.ow, yrow, k);
  }
}

void run(const DwF32Args& a) {
  if (a.dw == 1 && a.kw == 3 && a.sw == 1) return runT<3, 1>(a);
  if (a.dw == 1 && a.kw == 3 && a.sw == 2) return runT<3, 2>(a);
  if (a.dw == 1 && a.kw == 5 && a.sw == 1) return runT<5, 1>(a);
  if (a.dw == 1 && a.kw == 5 && a.sw == 2) return runT<5, 2>(a);
  runT<0, 0>(a);
}

const DwF32KernelTable kTable = {Isa::kAvx2, kMaxKh, packedFloats, pack, run};

}  // namespace

const DwF32KernelTable* dwF32KernelsAvx2() { return &kTable; }

}  // namespace qint8
