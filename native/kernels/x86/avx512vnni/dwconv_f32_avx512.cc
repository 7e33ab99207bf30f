// qint8 — float32 depthwise convolution, AVX-512 (zmm FMA), NHWC.
//
// Channels in blocks of 16 (one zmm, masked at the tail); all blocks of a pixel (or of a group of
// 8 pixels) are done before the next pixels, so the input is read contiguously. Along an output
// row, the pixels whose whole window lies inside the input run 8 at a time (8 accumulators, one
// weight vector loaded per tap and used 8 times); 3x3 and 5x5 windows at stride 1 and 2 without
// dilation have their own unrolled instances. Pixels near the left/right edges run one at a time,
// loading zeros for taps in the padding; input rows in the padding read a zero row. Every
// accumulator is one FMA chain over the taps in (ky, kx) order from +0: bit-exact with the
// reference.
#include <immintrin.h>

#include "../../../runtime/dwconv_f32_kernels.h"
#include "act_avx512.h"

namespace qint8 {
namespace {

constexpr int kVL = 16;
constexpr int kMaxKh = 32;

static inline int blocks(int c) { return (c + kVL - 1) / kVL; }
static inline __mmask16 chanMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF) : valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1);
}

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
  const float* const* rows;  // kh input rows (zero row in the padding)
  size_t c;                  // channels (pixel stride)
  int w, kh, kw, sw, dw;
  int cOff;
  const float* wp;  // packed weights of the channel block
  __mmask16 m;
  __m512 bias;
  bool hasBias;
  ActKind act;
};

static QINT8_ALWAYS_INLINE void finish(const Ctx& x, __m512 v, float* out, const ActConsts512& k) {
  if (x.hasBias) v = _mm512_add_ps(v, x.bias);
  v = act512(x.act, v, k);
  _mm512_mask_storeu_ps(out, x.m, v);
}

// One output pixel, any position: taps outside the row load zeros.
static QINT8_ALWAYS_INLINE void pixel(const Ctx& x, int ix0, float* out, const ActConsts512& k) {
  __m512 acc = _mm512_setzero_ps();
  const __m512 zero = _mm512_setzero_ps();
  const float* wk = x.wp;
  for (int ky = 0; ky < x.kh; ++ky) {
    const float* r = x.rows[ky] + x.cOff;
    for (int kx = 0; kx < x.kw; ++kx, wk += kVL) {
      const int ix = ix0 + kx * x.dw;
      const __m512 v = (ix >= 0 && ix < x.w) ? _mm512_maskz_loadu_ps(x.m, r + static_cast<size_t>(ix) * x.c) : zero;
      acc = _mm512_fmadd_ps(v, _mm512_load_ps(wk), acc);
    }
  }
  finish(x, acc, out, k);
}

#define QINT8_ACC8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

// 8 consecutive output pixels whose windows lie inside the row. KW/SW = 0: runtime values
// (and any dilation); otherwise no dilation.
template <int KW, int SW>
static QINT8_ALWAYS_INLINE void group8(const Ctx& x, int ix0, float* out, const ActConsts512& k) {
  const int kw = KW ? KW : x.kw;
  const size_t step = static_cast<size_t>(SW ? SW : x.sw) * x.c;  // between the 8 pixels
  const size_t tapStep = static_cast<size_t>(KW ? 1 : x.dw) * x.c;
#define QINT8_DECL(j) __m512 a##j = _mm512_setzero_ps();
  QINT8_ACC8(QINT8_DECL)
#undef QINT8_DECL
  const float* wk = x.wp;
  for (int ky = 0; ky < x.kh; ++ky) {
    const float* p = x.rows[ky] + static_cast<size_t>(ix0) * x.c + x.cOff;
    for (int kx = 0; kx < kw; ++kx, wk += kVL, p += tapStep) {
      const __m512 wv = _mm512_load_ps(wk);
#define QINT8_FMA(j) a##j = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(x.m, p + (j) * step), wv, a##j);
      QINT8_ACC8(QINT8_FMA)
#undef QINT8_FMA
    }
  }
#define QINT8_FIN(j) finish(x, a##j, out + (j) * x.c, k);
  QINT8_ACC8(QINT8_FIN)
#undef QINT8_FIN
}
#undef QINT8_ACC8

template <int KW, int SW>
static void runT(const DwF32Args& a) {
  const int kp = a.kh * a.kw;
  const ActConsts512 k(a.act);
  // Output columns whose whole window is inside the row: [oxL, oxR).
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
  const int nb = blocks(a.c);
  // All channel blocks of a pixel (or of 8 pixels) before the next: the input is read pixel by
  // pixel, contiguously (block-major order reads 64 bytes per pixel at the channel stride, which
  // defeats the prefetchers once c is large: 2x slower at c = 256).
  auto block = [&](int cb) {
    x.cOff = cb * kVL;
    x.m = chanMask(a.c - x.cOff);
    x.wp = a.weights + static_cast<size_t>(cb) * kp * kVL;
    x.bias = a.bias ? _mm512_maskz_loadu_ps(x.m, a.bias + x.cOff) : _mm512_setzero_ps();
  };
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy) {
    for (int ky = 0; ky < a.kh; ++ky) {
      const int iy = oy * a.sh - a.padT + ky * a.dh;
      rows[ky] = (iy >= 0 && iy < a.h) ? a.x + static_cast<size_t>(iy) * a.w * a.c : a.zeroRow;
    }
    float* yrow = a.y + static_cast<size_t>(oy) * a.ow * a.c;
    int ox = 0;
    for (; ox < oxL; ++ox)
      for (int cb = 0; cb < nb; ++cb) {
        block(cb);
        pixel(x, ox * a.sw - a.padL, yrow + static_cast<size_t>(ox) * a.c + x.cOff, k);
      }
    for (; ox + 8 <= oxR; ox += 8)
      for (int cb = 0; cb < nb; ++cb) {
        block(cb);
        group8<KW, SW>(x, ox * a.sw - a.padL, yrow + static_cast<size_t>(ox) * a.c + x.cOff, k);
      }
    for (; ox < a.ow; ++ox)
      for (int cb = 0; cb < nb; ++cb) {
        block(cb);
        pixel(x, ox * a.sw - a.padL, yrow + static_cast<size_t>(ox) * a.c + x.cOff, k);
      }
  }
}

void run(const DwF32Args& a) {
  if (a.dw == 1 && a.kw == 3 && a.sw == 1) return runT<3, 1>(a);
  if (a.dw == 1 && a.kw == 3 && a.sw == 2) return runT<3, 2>(a);
  if (a.dw == 1 && a.kw == 5 && a.sw == 1) return runT<5, 1>(a);
  if (a.dw == 1 && a.kw == 5 && a.sw == 2) return runT<5, 2>(a);
  runT<0, 0>(a);
}

const DwF32KernelTable kTable = {Isa::kAvx512Vnni, kMaxKh, packedFloats, pack, run};

}  // namespace

const DwF32KernelTable* dwF32KernelsAvx512() { return &kTable; }

}  // namespace qint8
