// qint8 — AVX-512 byte lookup in a 256-entry table.
//  - lookup (AVX512BW): 16 masked vpshufb, one per high nibble (mask: the byte's high nibble is h).
//  - lookupFast (AVX512_VBMI, Ice Lake and later): two vpermi2b over 128-byte halves of the table,
//    blended by bit 7 of the index; chosen at run time when the CPU has VBMI.
#include <immintrin.h>

#include "../../../runtime/lut_kernels.h"

namespace qint8 {
namespace {

static inline __mmask64 mask64(size_t n) { return n >= 64 ? ~__mmask64(0) : ((__mmask64(1) << n) - 1); }

void lookup(const uint8_t* table, const uint8_t* x, size_t n, uint8_t* y) {
  __m512i t[16];
  for (int h = 0; h < 16; ++h)
    t[h] = _mm512_maskz_broadcast_i32x4(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * h)));
  const __m512i lowNibble = _mm512_set1_epi8(0x0F);
  for (size_t i = 0; i < n; i += 64) {
    const __mmask64 m = mask64(n - i);
    const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), lowNibble);
    const __m512i lo = _mm512_and_si512(v, lowNibble);
    __m512i r = _mm512_setzero_si512();
    for (int h = 0; h < 16; ++h)
      r = _mm512_mask_shuffle_epi8(r, _mm512_cmpeq_epi8_mask(hi, _mm512_set1_epi8(static_cast<char>(h))), t[h], lo);
    _mm512_mask_storeu_epi8(y + i, m, r);
  }
}

__attribute__((target("avx512vbmi"))) void lookupVbmi(const uint8_t* table, const uint8_t* x, size_t n, uint8_t* y) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i v = _mm512_loadu_si512(x + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1);  // table[v & 127]
    const __m512i hi = _mm512_permutex2var_epi8(t2, v, t3);  // table[128 + (v & 127)]
    _mm512_storeu_si512(y + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi));
  }
  if (i < n) {
    const __mmask64 m = mask64(n - i);
    const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
    const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1);
    const __m512i hi = _mm512_permutex2var_epi8(t2, v, t3);
    _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi));
  }
}

const LutKernelTable kAvx512 = {Isa::kAvx512Vnni, lookup, lookupVbmi};

}  // namespace

const LutKernelTable* lutKernelsAvx512() { return &kAvx512; }

}  // namespace qint8
