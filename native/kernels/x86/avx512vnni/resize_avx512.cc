// qint8 — AVX-512 int8 bilinear resize, bit-exact with kernels/ref/resize_ref.cc: the same int32
// arithmetic per channel lane (the horizontal pass with vpmaddwd on (p0, p1) x (2048 - lx, lx)
// pairs, the vertical pass with vpmulld), masked tails.
#include <immintrin.h>

#include "../../../runtime/resize_kernels.h"

namespace qint8 {
namespace {

static inline __mmask16 mask16(size_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

static inline __m512i widen(const uint8_t* p, __mmask16 m, bool s) {
  const __m128i b = _mm_maskz_loadu_epi8(m, p);
  return s ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}

void bilinear(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10, const uint8_t* p11, size_t c, int32_t lx,
              int32_t ly, bool s, uint8_t* out) {
  // A pair (v0 in the low 16 bits, v1 in the high 16 bits) times (2048 - lx, lx) in one vpmaddwd;
  // v0, v1 in [-128, 255] and the weights in [0, 2048] fit int16.
  const __m512i wx = _mm512_set1_epi32(static_cast<int32_t>((static_cast<uint32_t>(lx) << 16) | static_cast<uint32_t>(2048 - lx)));
  const __m512i wy0 = _mm512_set1_epi32(2048 - ly), wy1 = _mm512_set1_epi32(ly);
  const __m512i half = _mm512_set1_epi32(1 << 21);
  const __m512i lo16 = _mm512_set1_epi32(0xFFFF);
  for (size_t j = 0; j < c; j += 16) {
    const __mmask16 m = mask16(c - j);
    const __m512i a0 = widen(p00 + j, m, s), a1 = widen(p01 + j, m, s);
    const __m512i b0 = widen(p10 + j, m, s), b1 = widen(p11 + j, m, s);
    const __m512i pa = _mm512_or_si512(_mm512_and_si512(a0, lo16), _mm512_slli_epi32(a1, 16));
    const __m512i pb = _mm512_or_si512(_mm512_and_si512(b0, lo16), _mm512_slli_epi32(b1, 16));
    const __m512i top = _mm512_madd_epi16(pa, wx), bot = _mm512_madd_epi16(pb, wx);
    const __m512i v = _mm512_add_epi32(_mm512_add_epi32(_mm512_mullo_epi32(top, wy0), _mm512_mullo_epi32(bot, wy1)), half);
    _mm_mask_storeu_epi8(out + j, m, _mm512_cvtepi32_epi8(_mm512_srai_epi32(v, 22)));
  }
}

const ResizeKernelTable kAvx512 = {Isa::kAvx512Vnni, bilinear};

}  // namespace

const ResizeKernelTable* resizeKernelsAvx512() { return &kAvx512; }

}  // namespace qint8
