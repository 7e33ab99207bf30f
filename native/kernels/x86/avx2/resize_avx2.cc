// qint8 — AVX2 int8 bilinear resize, bit-exact with kernels/ref/resize_ref.cc (same int32
// arithmetic per lane; channel tails through zero-padded buffers).
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/resize_kernels.h"

namespace qint8 {
namespace {

static inline __m256i widen(const uint8_t* p, bool s) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return s ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

static inline uint64_t narrow8(__m256i q) {
  const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i b = _mm256_shuffle_epi8(q, shuf);
  const __m256i p = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm256_castsi256_si128(p)));
}

void bilinear(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10, const uint8_t* p11, size_t c, int32_t lx,
              int32_t ly, bool s, uint8_t* out) {
  const __m256i wx = _mm256_set1_epi32(static_cast<int32_t>((static_cast<uint32_t>(lx) << 16) | static_cast<uint32_t>(2048 - lx)));
  const __m256i wy0 = _mm256_set1_epi32(2048 - ly), wy1 = _mm256_set1_epi32(ly);
  const __m256i half = _mm256_set1_epi32(1 << 21);
  const __m256i lo16 = _mm256_set1_epi32(0xFFFF);
  for (size_t j = 0; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    uint8_t t[4][8] = {};
    const uint8_t* src[4] = {p00 + j, p01 + j, p10 + j, p11 + j};
    if (w < 8)
      for (int k = 0; k < 4; ++k) {
        std::memcpy(t[k], src[k], w);
        src[k] = t[k];
      }
    const __m256i a0 = widen(src[0], s), a1 = widen(src[1], s), b0 = widen(src[2], s), b1 = widen(src[3], s);
    const __m256i pa = _mm256_or_si256(_mm256_and_si256(a0, lo16), _mm256_slli_epi32(a1, 16));
    const __m256i pb = _mm256_or_si256(_mm256_and_si256(b0, lo16), _mm256_slli_epi32(b1, 16));
    const __m256i top = _mm256_madd_epi16(pa, wx), bot = _mm256_madd_epi16(pb, wx);
    const __m256i v = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(top, wy0), _mm256_mullo_epi32(bot, wy1)), half);
    const uint64_t r = narrow8(_mm256_srai_epi32(v, 22));
    std::memcpy(out + j, &r, w);
  }
}

const ResizeKernelTable kAvx2 = {Isa::kAvx2, bilinear};

}  // namespace

const ResizeKernelTable* resizeKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
