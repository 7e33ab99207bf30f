// qint8 — AVX2 byte lookup in a 256-entry table: 16 vpshufb lookups, one per high nibble. For
// nibble h the index x ^ (h << 4) is below 16 exactly when x's high nibble is h; a saturating add
// of 0x70 keeps its low nibble and sets bit 7 (vpshufb then writes 0) everywhere else.
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/lut_kernels.h"

namespace qint8 {
namespace {

static inline __m256i lookup32(const __m256i* t, __m256i x) {
  const __m256i bias = _mm256_set1_epi8(0x70);
  __m256i y = _mm256_setzero_si256();
  for (int h = 0; h < 16; ++h) {
    const __m256i idx = _mm256_adds_epu8(_mm256_xor_si256(x, _mm256_set1_epi8(static_cast<char>(h << 4))), bias);
    y = _mm256_or_si256(y, _mm256_shuffle_epi8(t[h], idx));
  }
  return y;
}

void lookup(const uint8_t* table, const uint8_t* x, size_t n, uint8_t* y) {
  __m256i t[16];
  for (int h = 0; h < 16; ++h)
    t[h] = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * h)));
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), lookup32(t, v));
  }
  if (i < n) {
    alignas(32) uint8_t tmp[32] = {0};
    std::memcpy(tmp, x + i, n - i);
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), lookup32(t, _mm256_load_si256(reinterpret_cast<const __m256i*>(tmp))));
    std::memcpy(y + i, tmp, n - i);
  }
}

const LutKernelTable kAvx2 = {Isa::kAvx2, lookup, nullptr};

}  // namespace

const LutKernelTable* lutKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
