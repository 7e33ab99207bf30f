// qint8 — depthwise convolution, AVX-512 VNNI, channel blocks (used for kernels 5 or more taps wide;
// dwconv_avx512.cc dispatches here: a transformed pixel serves every tap group of the row).
//
// vpdpbusd sums 4 adjacent bytes, but a depthwise conv sums over kernel taps per channel. So
// each input row is transformed once into T, where every channel holds 4 bytes: the pixels at
// x, x + d, x + 2d, x + 3d of that row (d the dilation; zero point outside the image). For output
// column ox and tap group j (taps 4j..4j+3 of the kernel row), one vpdpbusd of T[ox*s - pad +
// 4*j*d] with the packed weights (taps beyond the kernel width are zero) adds 4 taps for 16
// channels. Rows of T are kept in a ring (one per kernel row) and reused by the next output
// rows.
//
// Channels go in blocks of 64. Within a block, the byte interleave works inside 128-bit lanes,
// so accumulator q (q = 0..3) holds channels 16L + 4q + j in dword 4L + j (L = lane). The
// weights and the per-channel bias/scale use the same order, and the saturating packs
// (packssdw, packuswb / packsswb) put the bytes back in natural order for free.
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/dwconv_kernels.h"

namespace qint8 {
namespace {

constexpr int kBlock = 64;

static inline int blocks(int c) { return (c + kBlock - 1) / kBlock; }
static inline int groups4(int kw) { return (kw + 3) / 4; }

static inline void dpbusd(__m512i& acc, __m512i a, __m512i b) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
}

// Channel of byte position (lane L, dword j, in accumulator q) within a block.
static inline int chanOf(int q, int dwordIndex) { return 16 * (dwordIndex / 4) + 4 * q + dwordIndex % 4; }

size_t packedBytes(int kh, int kw, int c) { return static_cast<size_t>(blocks(c)) * kh * groups4(kw) * 4 * 64; }

void pack(const int8_t* w, int kh, int kw, int c, void* dst) {
  int8_t* d = static_cast<int8_t*>(dst);
  const int J = groups4(kw);
  for (int b = 0; b < blocks(c); ++b)
    for (int ky = 0; ky < kh; ++ky)
      for (int j = 0; j < J; ++j)
        for (int q = 0; q < 4; ++q)
          for (int di = 0; di < 16; ++di)
            for (int t = 0; t < 4; ++t) {
              const int ch = b * kBlock + chanOf(q, di);
              const int kx = 4 * j + t;
              *d++ = (ch < c && kx < kw) ? w[(static_cast<size_t>(ch) * kh + ky) * kw + kx] : 0;
            }
}

// Width of a transformed row: bases ox*s - padL + 4*j*d for every output column and tap group.
static inline int tWidth(const DwConvArgs& a) { return (a.ow - 1) * a.sw + 4 * (groups4(a.kw) - 1) * a.dw + 1; }

size_t scratchBytes(const DwConvArgs& a) {
  // KH ring rows + one zero-point row, 256 bytes per entry (64 channels x 4 taps).
  return static_cast<size_t>(a.kh + 1) * tWidth(a) * 256;
}

static inline __mmask64 chanMask(int valid) {
  return valid >= 64 ? ~static_cast<__mmask64>(0) : valid <= 0 ? 0 : ((static_cast<__mmask64>(1) << valid) - 1);
}

// Transforms input row iy of channel block b into T (tw entries of 256 bytes).
static void transformRow(const DwConvArgs& a, int b, int iy, uint8_t* T, int tw) {
  const __m512i zx = _mm512_set1_epi8(static_cast<char>(a.zx));
  const __mmask64 m = chanMask(a.c - b * kBlock);
  const uint8_t* row = a.x + static_cast<size_t>(iy) * a.w * a.c + b * kBlock;
  for (int e = 0; e < tw; ++e) {
    const int x0 = e - a.padL;
    __m512i v[4];
    for (int t = 0; t < 4; ++t) {
      const int ix = x0 + t * a.dw;
      v[t] = (ix >= 0 && ix < a.w) ? _mm512_maskz_loadu_epi8(m, row + static_cast<size_t>(ix) * a.c) : zx;
    }
    const __m512i lo01 = _mm512_unpacklo_epi8(v[0], v[1]), hi01 = _mm512_unpackhi_epi8(v[0], v[1]);
    const __m512i lo23 = _mm512_unpacklo_epi8(v[2], v[3]), hi23 = _mm512_unpackhi_epi8(v[2], v[3]);
    uint8_t* d = T + static_cast<size_t>(e) * 256;
    _mm512_store_si512(d, _mm512_unpacklo_epi16(lo01, lo23));
    _mm512_store_si512(d + 64, _mm512_unpackhi_epi16(lo01, lo23));
    _mm512_store_si512(d + 128, _mm512_unpacklo_epi16(hi01, hi23));
    _mm512_store_si512(d + 192, _mm512_unpackhi_epi16(hi01, hi23));
  }
}

// A per-channel array (natural order) of block b in accumulator order q.
static inline void permuted(const void* src, int c, int b, int q, void* dst4x16) {
  int32_t tmp[16];
  for (int di = 0; di < 16; ++di) {
    const int ch = b * kBlock + chanOf(q, di);
    int32_t v = 0;
    if (ch < c) std::memcpy(&v, static_cast<const int32_t*>(src) + ch, 4);
    tmp[di] = v;
  }
  std::memcpy(dst4x16, tmp, sizeof tmp);
}

// Accumulators of four output pixels (p = 0..3 at T entries base + p * sw), 64 channels each,
// into acc[p][q] (16 zmm). Each (ky, j) step loads the 4 weight vectors once for 16 vpdpbusd;
// one pixel at a time the loop is bound by loads (2 per vpdpbusd). Out of line so the caller's
// output-stage constants do not compete for registers with the 16 accumulators.
__attribute__((noinline)) static void accumulate4(const uint8_t* const* rows, int kh, int J, int dw, int base, size_t pixStep,
                                                  const int8_t* wk, const int32_t (*bias)[16], __m512i (*acc)[4]) {
#define DWB_DECL(p) \
  __m512i c##p##0 = _mm512_load_si512(bias[0]), c##p##1 = _mm512_load_si512(bias[1]); \
  __m512i c##p##2 = _mm512_load_si512(bias[2]), c##p##3 = _mm512_load_si512(bias[3]);
  DWB_DECL(0) DWB_DECL(1) DWB_DECL(2) DWB_DECL(3)
#undef DWB_DECL
  for (int ky = 0; ky < kh; ++ky) {
    const uint8_t* T = rows[ky];
    for (int j = 0; j < J; ++j, wk += 256) {
      const uint8_t* t = T + static_cast<size_t>(base + 4 * j * dw) * 256;
      const __m512i w0 = _mm512_load_si512(wk), w1 = _mm512_load_si512(wk + 64);
      const __m512i w2 = _mm512_load_si512(wk + 128), w3 = _mm512_load_si512(wk + 192);
#define DWB_PIX(p)                                    \
  {                                                   \
    const uint8_t* tp = t + (p) * pixStep;            \
    dpbusd(c##p##0, _mm512_load_si512(tp), w0);       \
    dpbusd(c##p##1, _mm512_load_si512(tp + 64), w1);  \
    dpbusd(c##p##2, _mm512_load_si512(tp + 128), w2); \
    dpbusd(c##p##3, _mm512_load_si512(tp + 192), w3); \
  }
      DWB_PIX(0) DWB_PIX(1) DWB_PIX(2) DWB_PIX(3)
#undef DWB_PIX
    }
  }
#define DWB_OUT(p) acc[p][0] = c##p##0; acc[p][1] = c##p##1; acc[p][2] = c##p##2; acc[p][3] = c##p##3;
  DWB_OUT(0) DWB_OUT(1) DWB_OUT(2) DWB_OUT(3)
#undef DWB_OUT
}

template <GemmOut OUT>
static void runImpl(const DwConvArgs& a) {
  const int J = groups4(a.kw);
  const int tw = tWidth(a);
  uint8_t* scratch = static_cast<uint8_t*>(a.scratch);
  uint8_t* zeroRow = scratch + static_cast<size_t>(a.kh) * tw * 256;
  const size_t ob = (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) ? 1 : 4;
  const GemmEpilogue& ep = a.ep;
  const __m512 flo = _mm512_set1_ps(static_cast<float>(ep.lo - ep.zeroPoint));
  const __m512 fhi = _mm512_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
  const __m512i zp = _mm512_set1_epi32(ep.zeroPoint);
  const int8_t* wAll = static_cast<const int8_t*>(a.weights);

  for (int b = 0; b < blocks(a.c); ++b) {
    // The all-zero-point row stands for input rows above and below the image.
    {
      const __m512i zx = _mm512_set1_epi8(static_cast<char>(a.zx));
      for (int e = 0; e < tw * 4; ++e) _mm512_store_si512(zeroRow + static_cast<size_t>(e) * 64, zx);
    }
    alignas(64) int32_t bias[4][16];
    alignas(64) float scale[4][16];
    alignas(64) float biasF[4][16];
    for (int q = 0; q < 4; ++q) {
      if (ep.bias32) permuted(ep.bias32, a.c, b, q, bias[q]);
      else std::memset(bias[q], 0, sizeof bias[q]);
      permuted(ep.scale, a.c, b, q, scale[q]);
      if (ep.biasF) permuted(ep.biasF, a.c, b, q, biasF[q]);
      else std::memset(biasF[q], 0, sizeof biasF[q]);
    }
    const int8_t* wb = wAll + static_cast<size_t>(b) * a.kh * J * 256;
    const int valid = a.c - b * kBlock;
    const __mmask64 m8 = chanMask(valid);

    // Ring of transformed rows: row iy lives in slot (iy / dh) mod kh, so the kh rows one output
    // row reads (iy0 + ky * dh) never share a slot; ringRow[slot] remembers which row is there.
    int ringRow[64];
    for (int i = 0; i < a.kh && i < 64; ++i) ringRow[i] = -1;
    const uint8_t* rows[64];

    for (int oy = a.oyBegin; oy < a.oyEnd; ++oy) {
      for (int ky = 0; ky < a.kh; ++ky) {
        const int iy = oy * a.sh - a.padT + ky * a.dh;
        if (iy < 0 || iy >= a.h) {
          rows[ky] = zeroRow;
          continue;
        }
        const int slot = (iy / a.dh) % a.kh;
        uint8_t* T = scratch + static_cast<size_t>(slot) * tw * 256;
        if (ringRow[slot] != iy) {
          transformRow(a, b, iy, T, tw);
          ringRow[slot] = iy;
        }
        rows[ky] = T;
      }
      // The output stage of one pixel's 64 channels (accumulators in block order).
      auto emit = [&](__m512i acc0, __m512i acc1, __m512i acc2, __m512i acc3, int ox) {
        uint8_t* out = a.y + ((static_cast<size_t>(oy) * a.ow + ox) * a.c + b * kBlock) * ob;
        if (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) {
          __m512i q[4];
          const __m512i accs[4] = {acc0, acc1, acc2, acc3};
          for (int i = 0; i < 4; ++i) {
            __m512 f = _mm512_mul_ps(_mm512_cvt_roundepi32_ps(accs[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
                                     _mm512_load_ps(scale[i]));
            f = _mm512_min_ps(_mm512_max_ps(f, flo), fhi);
            q[i] = _mm512_add_epi32(_mm512_cvt_roundps_epi32(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
          }
          // Values are inside [lo, hi], so the saturating packs only narrow, and they restore
          // the natural channel order.
          const __m512i p01 = _mm512_packs_epi32(q[0], q[1]), p23 = _mm512_packs_epi32(q[2], q[3]);
          const __m512i bytes = OUT == GemmOut::kU8 ? _mm512_packus_epi16(p01, p23) : _mm512_packs_epi16(p01, p23);
          _mm512_mask_storeu_epi8(out, m8, bytes);
        } else {
          const __m512i accs[4] = {acc0, acc1, acc2, acc3};
          alignas(64) int32_t vals[4][16];
          for (int i = 0; i < 4; ++i) {
            if (OUT == GemmOut::kF32) {
              const __m512 f = _mm512_add_ps(
                  _mm512_mul_ps(_mm512_cvt_roundepi32_ps(accs[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
                                _mm512_load_ps(scale[i])),
                  _mm512_load_ps(biasF[i]));
              _mm512_store_ps(reinterpret_cast<float*>(vals[i]), f);
            } else {
              _mm512_store_si512(vals[i], accs[i]);
            }
          }
          int32_t* o = reinterpret_cast<int32_t*>(out);
          for (int q = 0; q < 4; ++q)
            for (int di = 0; di < 16; ++di) {
              const int ch = chanOf(q, di);
              if (ch < valid) o[ch] = vals[q][di];
            }
        }
      };
      int ox = 0;
      // Four output pixels at a time: each (ky, j) step loads the 4 weight vectors once for 16
      // vpdpbusd (one pixel at a time the loop is bound by loads, 2 per vpdpbusd).
      const size_t pixStep = static_cast<size_t>(a.sw) * 256;
      for (; ox + 4 <= a.ow; ox += 4) {
        alignas(64) __m512i acc[4][4];
        accumulate4(rows, a.kh, J, a.dw, ox * a.sw, pixStep, wb, bias, acc);
        for (int p = 0; p < 4; ++p) emit(acc[p][0], acc[p][1], acc[p][2], acc[p][3], ox + p);
      }
      for (; ox < a.ow; ++ox) {
        __m512i acc0 = _mm512_load_si512(bias[0]), acc1 = _mm512_load_si512(bias[1]);
        __m512i acc2 = _mm512_load_si512(bias[2]), acc3 = _mm512_load_si512(bias[3]);
        const int base = ox * a.sw;  // T index of tap group 0 (T starts at x = -padL)
        const int8_t* wk = wb;
        for (int ky = 0; ky < a.kh; ++ky) {
          const uint8_t* T = rows[ky];
          for (int j = 0; j < J; ++j, wk += 256) {
            const uint8_t* t = T + static_cast<size_t>(base + 4 * j * a.dw) * 256;
            dpbusd(acc0, _mm512_load_si512(t), _mm512_load_si512(wk));
            dpbusd(acc1, _mm512_load_si512(t + 64), _mm512_load_si512(wk + 64));
            dpbusd(acc2, _mm512_load_si512(t + 128), _mm512_load_si512(wk + 128));
            dpbusd(acc3, _mm512_load_si512(t + 192), _mm512_load_si512(wk + 192));
          }
        }
        emit(acc0, acc1, acc2, acc3, ox);
      }
    }
  }
}

void run(const DwConvArgs& a) {
  switch (a.ep.kind) {
    case GemmOut::kU8: runImpl<GemmOut::kU8>(a); break;
    case GemmOut::kS8: runImpl<GemmOut::kS8>(a); break;
    case GemmOut::kF32: runImpl<GemmOut::kF32>(a); break;
    case GemmOut::kS32: runImpl<GemmOut::kS32>(a); break;
  }
}

const DwKernelTable kTable = {Isa::kAvx512Vnni, packedBytes, pack, scratchBytes, run};

}  // namespace

const DwKernelTable* dwKernelsAvx512Blocked() { return &kTable; }

}  // namespace qint8
