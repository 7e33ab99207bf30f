// qint8 — float32 direct convolution for few input channels, AVX-512 (zmm FMA), NHWC.
//
// The im2col path gathers a first layer's kernel rows (9 or 21 floats) per output pixel with a
// copy each and then runs the SGEMM with a short K (27, 147): the copies and the short K cost
// more than the FMAs. Here each output pixel's taps are read in place: a tile of P output pixels
// x NB blocks of 16 output channels keeps P * NB accumulators; per tap, NB weight vectors are
// loaded once and each pixel's input value is broadcast from memory (offset table of the taps in
// (ky, kx, ci) order). Pixels whose window crosses the padding are gathered first (zeros in the
// padding) into a small buffer and run through the same tile with consecutive offsets, so every
// accumulator is one FMA chain from +0 over the taps in (ky, kx, ci) order: bit-exact with the
// reference and with the SGEMM paths.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "../../../runtime/convdirect_f32_kernels.h"

namespace qint8 {
namespace {

constexpr int kVL = 16;
constexpr int kMaxP = 8;

static inline __mmask16 chanMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF) : valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1);
}

// P pixels (px[p] + off[t] is tap t of pixel p) x NB channel blocks; stores the first `count`
// pixels' sums at y + p * ldy, the last block masked by `lastMask`.
template <int P, int NB>
static void tile(const float* const* px, const ptrdiff_t* off, int K, const float* w, size_t wBlock, int count, float* y, size_t ldy,
                 __mmask16 lastMask) {
  __m512 acc[P][NB];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[p][j] = _mm512_setzero_ps();
  const float* pp[P];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) pp[p] = px[p];
  for (int t = 0; t < K; ++t) {
    const ptrdiff_t o = off[t];
    __m512 wv[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_load_ps(w + j * wBlock + static_cast<size_t>(t) * kVL);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      const __m512 b = _mm512_set1_ps(pp[p][o]);
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[p][j] = _mm512_fmadd_ps(b, wv[j], acc[p][j]);
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
    if (p >= count) break;
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      float* dst = y + static_cast<size_t>(p) * ldy + static_cast<size_t>(j) * kVL;
      if (j == NB - 1)
        _mm512_mask_storeu_ps(dst, lastMask, acc[p][j]);
      else
        _mm512_storeu_ps(dst, acc[p][j]);
    }
  }
}

using TileFn = void (*)(const float* const*, const ptrdiff_t*, int, const float*, size_t, int, float*, size_t, __mmask16);

// Pixels per tile for NB blocks: enough independent chains to cover the FMA latency, few enough
// accumulators to stay in registers (6 x 4 = 24 accumulators + 4 weights + 1 broadcast). 6 x 4
// rather than 4 x 4: fewer weight loads per FMA (ResNet-18's 7x7 s2 stem, see run()).
static inline int pixelsFor(int nb) { return nb <= 2 ? 8 : 6; }
// A short tile (count < P pixels) for 4 blocks computes only its pixels: a 112-pixel row in tiles
// of 6 has three partial tiles (the border regions and the interior's end).
static TileFn shortTile4(int count) {
  switch (count) {
    case 1: return tile<1, 4>;
    case 2: return tile<2, 4>;
    case 3: return tile<3, 4>;
    case 4: return tile<4, 4>;
    default: return tile<5, 4>;
  }
}
static TileFn tileFor(int nb) {
  switch (nb) {
    case 1: return tile<8, 1>;
    case 2: return tile<8, 2>;
    case 3: return tile<6, 3>;
    default: return tile<6, 4>;
  }
}

// Measured on ResNet-18's stem (224x224x3 -> 64, 7x7 s2, pad 3; 1 thread, CPU time, one
// process, interleaved rounds, medians, load ~3): 4 x 4 tiles with a copy per tap for the border
// pixels 2.75-3.08 ms; border kernel rows copied as runs 2.51-2.81 ms; with 6 x 4 tiles
// 2.41-2.72 ms; with short tiles too 2.34-2.37 ms.
void run(const ConvDirectF32Args& a) {
  const int K = a.kh * a.kw * a.cin;
  ptrdiff_t off[kConvDirectMaxTaps];  // 64-bit: ky * dh * w * cin can pass 2^31 on huge images
  ptrdiff_t seq[kConvDirectMaxTaps];
  {
    int t = 0;
    for (int ky = 0; ky < a.kh; ++ky)
      for (int kx = 0; kx < a.kw; ++kx)
        for (int ci = 0; ci < a.cin; ++ci, ++t) {
          off[t] = (static_cast<ptrdiff_t>(ky) * a.dh * a.w + static_cast<ptrdiff_t>(kx) * a.dw) * a.cin + ci;
          seq[t] = t;
        }
  }
  alignas(64) float gather[kMaxP * kConvDirectMaxTaps];
  const int blocksTotal = (a.cout + kVL - 1) / kVL;
  const size_t wBlock = static_cast<size_t>(K) * kVL;
  const size_t ldy = static_cast<size_t>(a.cout);
  // Output columns whose window lies inside the input's width: [oxA, oxB).
  const int ekw = (a.kw - 1) * a.dw + 1, ekh = (a.kh - 1) * a.dh + 1;
  int oxA = (a.padL + a.sw - 1) / a.sw;
  int oxB = a.w - ekw + a.padL >= 0 ? (a.w - ekw + a.padL) / a.sw + 1 : 0;
  oxA = std::min(oxA, a.ow);
  oxB = std::min(std::max(oxB, oxA), a.ow);
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy) {
    const int iy0 = oy * a.sh - a.padT;
    const bool rowInside = iy0 >= 0 && iy0 + ekh <= a.h;
    const int xa = rowInside ? oxA : 0, xb = rowInside ? oxB : 0;
    float* yrow = a.y + static_cast<size_t>(oy) * a.ow * ldy;
    for (int b0 = 0; b0 < blocksTotal; b0 += 4) {
      const int nb = std::min(4, blocksTotal - b0);
      const int P = pixelsFor(nb);
      const TileFn fn = tileFor(nb);
      const float* wb = a.weights + static_cast<size_t>(b0) * wBlock;
      const __mmask16 lastMask = chanMask(a.cout - (b0 + nb - 1) * kVL);
      const float* px[kMaxP];
      int ox = 0;
      while (ox < a.ow) {
        const bool inside = ox >= xa && ox < xb;
        const int regionEnd = inside ? xb : ox < xa ? xa : a.ow;
        const int count = std::min(P, regionEnd - ox);
        if (inside) {
          const float* base = a.x + (static_cast<size_t>(iy0) * a.w + (static_cast<size_t>(ox) * a.sw - a.padL)) * a.cin;
          for (int p = 0; p < P; ++p) px[p] = base + static_cast<size_t>(p < count ? p : 0) * a.sw * a.cin;
          const TileFn f = nb == 4 && count < P ? shortTile4(count) : fn;
          f(px, off, K, wb, wBlock, count, yrow + static_cast<size_t>(ox) * ldy + static_cast<size_t>(b0) * kVL, ldy, lastMask);
        } else {
          for (int p = 0; p < P; ++p) {
            float* g = gather + static_cast<size_t>(p) * kConvDirectMaxTaps;
            px[p] = g;
            if (p >= count) {
              px[p] = gather;
              continue;
            }
            const int ix0 = (ox + p) * a.sw - a.padL;
            int t = 0;
            if (a.dw == 1) {
              // A kernel row's taps inside the input are one run: one copy, zeros around it (a
              // copy per tap cost more than the tile's FMAs on the stem's 3-float taps).
              const int kxLo = std::min(a.kw, std::max(0, -ix0)), kxHi = std::max(kxLo, std::min(a.kw, a.w - ix0));
              for (int ky = 0; ky < a.kh; ++ky, t += a.kw * a.cin) {
                const int iy = iy0 + ky * a.dh;
                float* gr = g + t;
                if (iy < 0 || iy >= a.h || kxHi == kxLo) {
                  std::memset(gr, 0, sizeof(float) * a.kw * a.cin);
                  continue;
                }
                if (kxLo > 0) std::memset(gr, 0, sizeof(float) * kxLo * a.cin);
                std::memcpy(gr + kxLo * a.cin, a.x + (static_cast<size_t>(iy) * a.w + (ix0 + kxLo)) * a.cin,
                            sizeof(float) * (kxHi - kxLo) * a.cin);
                if (kxHi < a.kw) std::memset(gr + kxHi * a.cin, 0, sizeof(float) * (a.kw - kxHi) * a.cin);
              }
              continue;
            }
            for (int ky = 0; ky < a.kh; ++ky) {
              const int iy = iy0 + ky * a.dh;
              for (int kx = 0; kx < a.kw; ++kx) {
                const int ix = ix0 + kx * a.dw;
                if (iy >= 0 && iy < a.h && ix >= 0 && ix < a.w) {
                  std::memcpy(g + t, a.x + (static_cast<size_t>(iy) * a.w + ix) * a.cin, sizeof(float) * a.cin);
                } else {
                  for (int ci = 0; ci < a.cin; ++ci) g[t + ci] = 0.0f;
                }
                t += a.cin;
              }
            }
          }
          const TileFn f = nb == 4 && count < P ? shortTile4(count) : fn;
          f(px, seq, K, wb, wBlock, count, yrow + static_cast<size_t>(ox) * ldy + static_cast<size_t>(b0) * kVL, ldy, lastMask);
        }
        ox += count;
      }
    }
  }
}

const ConvDirectF32KernelTable kTable = {Isa::kAvx512Vnni, run};

}  // namespace

const ConvDirectF32KernelTable* convDirectF32KernelsAvx512() { return &kTable; }

}  // namespace qint8
