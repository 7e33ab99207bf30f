// qint8 — depthwise convolution, AVX2 (exact: int16 operands, vpmaddwd).
//
// Same scheme as the AVX-512 kernel with pairs instead of quads: each input row is transformed
// once into T, where every channel holds two int16 values, the pixels at x and x + d (zero point
// outside the image). vpmaddwd of T[ox*s - pad + 2*j*d] with the packed weight pair (taps 2j,
// 2j+1; zero beyond the kernel width) adds two taps for 8 channels into int32, exactly.
//
// Channels go in blocks of 16. The int16 interleave works inside 128-bit lanes, so accumulator
// q (q = 0, 1) holds channels 4q + j (lane 0) and 8 + 4q + j (lane 1) in dword 4L + j; weights
// and per-channel arrays use the same order, and packssdw puts the channels back in order.
//
// u8/s8 output with dwNoOverflow() (no product can reach 2^30): four (then two) pixels per step
// (each weight vector loaded once for all), rounding before the clamp and clamping the bytes.
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/dwconv_kernels.h"

namespace qint8 {
namespace {

constexpr int kBlock = 16;

static inline int blocks(int c) { return (c + kBlock - 1) / kBlock; }
static inline int pairs(int kw) { return (kw + 1) / 2; }
// Channel of dword di (0..7) of accumulator q within a block.
static inline int chanOf(int q, int di) { return 8 * (di / 4) + 4 * q + di % 4; }

static inline void maddAcc(__m256i& acc, __m256i a, __m256i b) {
  __m256i tmp;
  __asm__("vpmaddwd %2, %3, %1\n\tvpaddd %1, %0, %0" : "+x"(acc), "=&x"(tmp) : "x"(b), "x"(a));
}

size_t packedBytes(int kh, int kw, int c) { return static_cast<size_t>(blocks(c)) * kh * pairs(kw) * 2 * 32; }

void pack(const int8_t* w, int kh, int kw, int c, void* dst) {
  int16_t* d = static_cast<int16_t*>(dst);
  for (int b = 0; b < blocks(c); ++b)
    for (int ky = 0; ky < kh; ++ky)
      for (int j = 0; j < pairs(kw); ++j)
        for (int q = 0; q < 2; ++q)
          for (int di = 0; di < 8; ++di)
            for (int t = 0; t < 2; ++t) {
              const int ch = b * kBlock + chanOf(q, di);
              const int kx = 2 * j + t;
              *d++ = (ch < c && kx < kw) ? w[(static_cast<size_t>(ch) * kh + ky) * kw + kx] : 0;
            }
}

static inline int tWidth(const DwConvArgs& a) { return (a.ow - 1) * a.sw + 2 * (pairs(a.kw) - 1) * a.dw + 1; }

size_t scratchBytes(const DwConvArgs& a) { return static_cast<size_t>(a.kh + 1) * tWidth(a) * 64; }

// 16 channels of one pixel widened to int16, or the zero point.
static inline __m256i load16(const uint8_t* row, int ix, const DwConvArgs& a, int valid, __m256i zx16) {
  if (ix < 0 || ix >= a.w) return zx16;
  const uint8_t* p = row + static_cast<size_t>(ix) * a.c;
  if (valid >= 16) return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  alignas(16) uint8_t tmp[16] = {0};
  std::memcpy(tmp, p, static_cast<size_t>(valid));
  return _mm256_cvtepu8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(tmp)));
}

static void transformRow(const DwConvArgs& a, int b, int iy, uint8_t* T, int tw) {
  const __m256i zx16 = _mm256_set1_epi16(static_cast<int16_t>(a.zx));
  const int valid = a.c - b * kBlock;
  const uint8_t* row = a.x + static_cast<size_t>(iy) * a.w * a.c + b * kBlock;
  for (int e = 0; e < tw; ++e) {
    const int x0 = e - a.padL;
    const __m256i v0 = load16(row, x0, a, valid, zx16), v1 = load16(row, x0 + a.dw, a, valid, zx16);
    _mm256_store_si256(reinterpret_cast<__m256i*>(T + static_cast<size_t>(e) * 64), _mm256_unpacklo_epi16(v0, v1));
    _mm256_store_si256(reinterpret_cast<__m256i*>(T + static_cast<size_t>(e) * 64 + 32), _mm256_unpackhi_epi16(v0, v1));
  }
}

static inline void permuted(const void* src, int c, int b, int q, void* dst8) {
  int32_t tmp[8];
  for (int di = 0; di < 8; ++di) {
    const int ch = b * kBlock + chanOf(q, di);
    int32_t v = 0;
    if (ch < c) std::memcpy(&v, static_cast<const int32_t*>(src) + ch, 4);
    tmp[di] = v;
  }
  std::memcpy(dst8, tmp, sizeof tmp);
}

// The u8/s8 stage of two pixels (accumulators a0, a1 and b0, b1 of one 16-channel block) when
// dwNoOverflow() holds: round, pack both pixels, add the zero point, clamp the bytes; the pixels
// go to out and out + c.
template <GemmOut OUT>
static QINT8_ALWAYS_INLINE void stage2(__m256i a0, __m256i a1, __m256i b0, __m256i b1, const float (*scale)[8], __m256i zp16,
                                       __m256i lo8, __m256i hi8, uint8_t* out, int c) {
  const __m256 s0 = _mm256_load_ps(scale[0]), s1 = _mm256_load_ps(scale[1]);
  const __m256i qa0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(a0), s0));
  const __m256i qa1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(a1), s1));
  const __m256i qb0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(b0), s0));
  const __m256i qb1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(b1), s1));
  const __m256i wa = _mm256_adds_epi16(_mm256_packs_epi32(qa0, qa1), zp16);  // pixel A, channels in order
  const __m256i wb = _mm256_adds_epi16(_mm256_packs_epi32(qb0, qb1), zp16);
  __m256i b8 = OUT == GemmOut::kU8 ? _mm256_packus_epi16(wa, wb) : _mm256_packs_epi16(wa, wb);
  b8 = OUT == GemmOut::kU8 ? _mm256_min_epu8(_mm256_max_epu8(b8, lo8), hi8) : _mm256_min_epi8(_mm256_max_epi8(b8, lo8), hi8);
  b8 = _mm256_permute4x64_epi64(b8, 0xD8);  // A 0..15 | B 0..15
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(b8));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c), _mm256_extracti128_si256(b8, 1));
}

// NOMIN (u8/s8 only): dwNoOverflow() holds, so the u8/s8 stage rounds first and clamps the bytes
// (one max and one min instead of 4 float ops per 16 channels), two pixels at a time.
template <GemmOut OUT, bool NOMIN = false>
static void runImpl(const DwConvArgs& a) {
  const int J = pairs(a.kw);
  const int tw = tWidth(a);
  uint8_t* scratch = static_cast<uint8_t*>(a.scratch);
  uint8_t* zeroRow = scratch + static_cast<size_t>(a.kh) * tw * 64;
  const size_t ob = (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) ? 1 : 4;
  const GemmEpilogue& ep = a.ep;
  const __m256 flo = _mm256_set1_ps(static_cast<float>(ep.lo - ep.zeroPoint));
  const __m256 fhi = _mm256_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
  const __m256i zp = _mm256_set1_epi32(ep.zeroPoint);
  const __m256i zp16 = _mm256_set1_epi16(static_cast<int16_t>(ep.zeroPoint));
  const __m256i lo8 = _mm256_set1_epi8(static_cast<char>(ep.lo)), hi8 = _mm256_set1_epi8(static_cast<char>(ep.hi));
  const int16_t* wAll = static_cast<const int16_t*>(a.weights);

  for (int b = 0; b < blocks(a.c); ++b) {
    {
      const __m256i zx16 = _mm256_set1_epi16(static_cast<int16_t>(a.zx));
      for (int e = 0; e < tw * 2; ++e) _mm256_store_si256(reinterpret_cast<__m256i*>(zeroRow + static_cast<size_t>(e) * 32), zx16);
    }
    alignas(32) int32_t bias[2][8];
    alignas(32) float scale[2][8], biasF[2][8];
    for (int q = 0; q < 2; ++q) {
      if (ep.bias32) permuted(ep.bias32, a.c, b, q, bias[q]);
      else std::memset(bias[q], 0, sizeof bias[q]);
      permuted(ep.scale, a.c, b, q, scale[q]);
      if (ep.biasF) permuted(ep.biasF, a.c, b, q, biasF[q]);
      else std::memset(biasF[q], 0, sizeof biasF[q]);
    }
    const int16_t* wb = wAll + static_cast<size_t>(b) * a.kh * J * 32;
    const int valid = a.c - b * kBlock;
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
        const int slot = (iy / a.dh) % a.kh;  // distinct for the kh rows of one output row
        uint8_t* T = scratch + static_cast<size_t>(slot) * tw * 64;
        if (ringRow[slot] != iy) {
          transformRow(a, b, iy, T, tw);
          ringRow[slot] = iy;
        }
        rows[ky] = T;
      }
      int ox0 = 0;
      if (NOMIN && valid >= 16) {
        // Four, then two pixels per step: each weight vector is loaded once for all of them.
        const size_t step = static_cast<size_t>(a.sw) * 64;
        uint8_t* const rowOut = a.y + static_cast<size_t>(oy) * a.ow * a.c + b * kBlock;
        for (; ox0 + 3 < a.ow; ox0 += 4) {
          __m256i a0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias[0]));
          __m256i a1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias[1]));
          __m256i b0 = a0, b1 = a1, c0 = a0, c1 = a1, d0 = a0, d1 = a1;
          const int16_t* wk = wb;
          for (int ky = 0; ky < a.kh; ++ky) {
            const uint8_t* T = rows[ky];
            for (int j = 0; j < J; ++j, wk += 32) {
              const uint8_t* t = T + static_cast<size_t>(ox0 * a.sw + 2 * j * a.dw) * 64;
              const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wk));
              const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wk + 16));
              maddAcc(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(t)), w0);
              maddAcc(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 32)), w1);
              maddAcc(b0, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + step)), w0);
              maddAcc(b1, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + step + 32)), w1);
              maddAcc(c0, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 2 * step)), w0);
              maddAcc(c1, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 2 * step + 32)), w1);
              maddAcc(d0, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 3 * step)), w0);
              maddAcc(d1, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 3 * step + 32)), w1);
            }
          }
          uint8_t* out = rowOut + static_cast<size_t>(ox0) * a.c;
          stage2<OUT>(a0, a1, b0, b1, scale, zp16, lo8, hi8, out, a.c);
          stage2<OUT>(c0, c1, d0, d1, scale, zp16, lo8, hi8, out + 2 * static_cast<size_t>(a.c), a.c);
        }
        for (; ox0 + 1 < a.ow; ox0 += 2) {
          __m256i a0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias[0]));
          __m256i a1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias[1]));
          __m256i b0 = a0, b1 = a1;
          const int16_t* wk = wb;
          for (int ky = 0; ky < a.kh; ++ky) {
            const uint8_t* T = rows[ky];
            for (int j = 0; j < J; ++j, wk += 32) {
              const uint8_t* t = T + static_cast<size_t>(ox0 * a.sw + 2 * j * a.dw) * 64;
              const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wk));
              const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wk + 16));
              maddAcc(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(t)), w0);
              maddAcc(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 32)), w1);
              maddAcc(b0, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + step)), w0);
              maddAcc(b1, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + step + 32)), w1);
            }
          }
          stage2<OUT>(a0, a1, b0, b1, scale, zp16, lo8, hi8, rowOut + static_cast<size_t>(ox0) * a.c, a.c);
        }
      }
      for (int ox = ox0; ox < a.ow; ++ox) {
        __m256i acc0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias[0]));
        __m256i acc1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias[1]));
        const int16_t* wk = wb;
        for (int ky = 0; ky < a.kh; ++ky) {
          const uint8_t* T = rows[ky];
          for (int j = 0; j < J; ++j, wk += 32) {
            const uint8_t* t = T + static_cast<size_t>(ox * a.sw + 2 * j * a.dw) * 64;
            maddAcc(acc0, _mm256_load_si256(reinterpret_cast<const __m256i*>(t)),
                    _mm256_load_si256(reinterpret_cast<const __m256i*>(wk)));
            maddAcc(acc1, _mm256_load_si256(reinterpret_cast<const __m256i*>(t + 32)),
                    _mm256_load_si256(reinterpret_cast<const __m256i*>(wk + 16)));
          }
        }
        uint8_t* out = a.y + ((static_cast<size_t>(oy) * a.ow + ox) * a.c + b * kBlock) * ob;
        if (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) {
          __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(acc0), _mm256_load_ps(scale[0]));
          __m256 f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(acc1), _mm256_load_ps(scale[1]));
          f0 = _mm256_min_ps(_mm256_max_ps(f0, flo), fhi);
          f1 = _mm256_min_ps(_mm256_max_ps(f1, flo), fhi);
          const __m256i q0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), zp);
          const __m256i q1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), zp);
          const __m256i w16 = _mm256_packs_epi32(q0, q1);  // channels 0..7 | 8..15, in order
          const __m256i b8 = OUT == GemmOut::kU8 ? _mm256_packus_epi16(w16, w16) : _mm256_packs_epi16(w16, w16);
          const __m128i bytes = _mm256_castsi256_si128(_mm256_permute4x64_epi64(b8, 0x08));
          if (valid >= 16) {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
          } else {
            alignas(16) uint8_t tmp[16];
            _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
            std::memcpy(out, tmp, static_cast<size_t>(valid));
          }
        } else {
          alignas(32) int32_t vals[2][8];
          const __m256i accs[2] = {acc0, acc1};
          for (int q = 0; q < 2; ++q) {
            if (OUT == GemmOut::kF32) {
              const __m256 f = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(accs[q]), _mm256_load_ps(scale[q])),
                                             _mm256_load_ps(biasF[q]));
              _mm256_store_ps(reinterpret_cast<float*>(vals[q]), f);
            } else {
              _mm256_store_si256(reinterpret_cast<__m256i*>(vals[q]), accs[q]);
            }
          }
          int32_t* o = reinterpret_cast<int32_t*>(out);
          for (int q = 0; q < 2; ++q)
            for (int di = 0; di < 8; ++di) {
              const int ch = chanOf(q, di);
              if (ch < valid) o[ch] = vals[q][di];
            }
        }
      }
    }
  }
}

void run(const DwConvArgs& a) {
  const bool nomin = (a.ep.kind == GemmOut::kU8 || a.ep.kind == GemmOut::kS8) && dwNoOverflow(a);
  switch (a.ep.kind) {
    case GemmOut::kU8: nomin ? runImpl<GemmOut::kU8, true>(a) : runImpl<GemmOut::kU8>(a); break;
    case GemmOut::kS8: nomin ? runImpl<GemmOut::kS8, true>(a) : runImpl<GemmOut::kS8>(a); break;
    case GemmOut::kF32: runImpl<GemmOut::kF32>(a); break;
    case GemmOut::kS32: runImpl<GemmOut::kS32>(a); break;
  }
}

const DwKernelTable kTable = {Isa::kAvx2, packedBytes, pack, scratchBytes, run};

}  // namespace

const DwKernelTable* dwKernelsAvx2() { return &kTable; }

}  // namespace qint8
