// qint8 — AVX-512 int8 pool kernels, bit-exact with kernels/ref/pool_ref.cc: channels in lanes,
// the same float operations in the same order per lane (no FMA), masked tails.
#include <immintrin.h>

#include "../../../runtime/pool_kernels.h"

namespace qint8 {
namespace {

static inline __mmask64 mask64(size_t n) { return n >= 64 ? ~__mmask64(0) : ((__mmask64(1) << n) - 1); }
static inline __mmask16 mask16(size_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

static inline __m512i widen16(const uint8_t* p, __mmask16 m, bool s) {
  const __m128i b = _mm_maskz_loadu_epi8(m, p);
  return s ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}

void maxRows(const uint8_t* const* rows, size_t k, size_t c, bool s, uint8_t* out) {
  const __m512i init = _mm512_set1_epi8(s ? static_cast<char>(-128) : 0);
  for (size_t j = 0; j < c; j += 64) {
    const __mmask64 m = mask64(c - j);
    __m512i acc = init;
    if (s)
      for (size_t r = 0; r < k; ++r) acc = _mm512_max_epi8(acc, _mm512_maskz_loadu_epi8(m, rows[r] + j));
    else
      for (size_t r = 0; r < k; ++r) acc = _mm512_max_epu8(acc, _mm512_maskz_loadu_epi8(m, rows[r] + j));
    _mm512_mask_storeu_epi8(out + j, m, acc);
  }
}

static inline __m128i avgFinish(__m512 sum, const AvgPoolParams& p) {
  const __m512 y = _mm512_div_ps(sum, _mm512_set1_ps(p.count));
  __m512 v = _mm512_add_ps(_mm512_div_ps(y, _mm512_set1_ps(p.sy)), _mm512_set1_ps(p.zy));
  v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(p.lo)), _mm512_set1_ps(p.hi));
  return _mm512_cvtepi32_epi8(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

void avgRows(const uint8_t* const* rows, size_t k, size_t c, const AvgPoolParams& p, bool s, uint8_t* out) {
  const __m512i zx = _mm512_set1_epi32(p.zx);
  const __m512 sx = _mm512_set1_ps(p.sx);
  size_t j = 0;
  for (; j + 64 <= c; j += 64) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t r = 0; r < k; ++r) {
      const uint8_t* q = rows[r] + j;
      s0 = _mm512_add_ps(s0, _mm512_mul_ps(sx, _mm512_cvtepi32_ps(_mm512_sub_epi32(widen16(q, 0xFFFF, s), zx))));
      s1 = _mm512_add_ps(s1, _mm512_mul_ps(sx, _mm512_cvtepi32_ps(_mm512_sub_epi32(widen16(q + 16, 0xFFFF, s), zx))));
      s2 = _mm512_add_ps(s2, _mm512_mul_ps(sx, _mm512_cvtepi32_ps(_mm512_sub_epi32(widen16(q + 32, 0xFFFF, s), zx))));
      s3 = _mm512_add_ps(s3, _mm512_mul_ps(sx, _mm512_cvtepi32_ps(_mm512_sub_epi32(widen16(q + 48, 0xFFFF, s), zx))));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j), avgFinish(s0, p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j + 16), avgFinish(s1, p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j + 32), avgFinish(s2, p));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j + 48), avgFinish(s3, p));
  }
  for (; j < c; j += 16) {
    const __mmask16 m = mask16(c - j);
    __m512 s0 = _mm512_setzero_ps();
    for (size_t r = 0; r < k; ++r)
      s0 = _mm512_add_ps(s0, _mm512_mul_ps(sx, _mm512_cvtepi32_ps(_mm512_sub_epi32(widen16(rows[r] + j, m, s), zx))));
    _mm_mask_storeu_epi8(out + j, m, avgFinish(s0, p));
  }
}

void sumRows(const uint8_t* x, size_t rows, size_t stride, size_t c, bool s, int32_t* acc) {
  size_t j = 0;
  for (; j + 64 <= c; j += 64) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    const uint8_t* q = x + j;
    for (size_t r = 0; r < rows; ++r, q += stride) {
      a0 = _mm512_add_epi32(a0, widen16(q, 0xFFFF, s));
      a1 = _mm512_add_epi32(a1, widen16(q + 16, 0xFFFF, s));
      a2 = _mm512_add_epi32(a2, widen16(q + 32, 0xFFFF, s));
      a3 = _mm512_add_epi32(a3, widen16(q + 48, 0xFFFF, s));
    }
    _mm512_storeu_si512(acc + j, a0);
    _mm512_storeu_si512(acc + j + 16, a1);
    _mm512_storeu_si512(acc + j + 32, a2);
    _mm512_storeu_si512(acc + j + 48, a3);
  }
  for (; j < c; j += 16) {
    const __mmask16 m = mask16(c - j);
    __m512i a0 = _mm512_setzero_si512();
    const uint8_t* q = x + j;
    for (size_t r = 0; r < rows; ++r, q += stride) a0 = _mm512_add_epi32(a0, widen16(q, m, s));
    _mm512_mask_storeu_epi32(acc + j, m, a0);
  }
}

void requantRow(const int32_t* acc, size_t c, int32_t bias, float scale, int32_t zp, int32_t lo, int32_t hi,
                uint8_t* out) {
  const __m512i vb = _mm512_set1_epi32(bias), vz = _mm512_set1_epi32(zp);
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512 vlo = _mm512_set1_ps(static_cast<float>(lo - zp)), vhi = _mm512_set1_ps(static_cast<float>(hi - zp));
  for (size_t j = 0; j < c; j += 16) {
    const __mmask16 m = mask16(c - j);
    const __m512i a = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, acc + j), vb);
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(a), vs);
    v = _mm512_min_ps(_mm512_max_ps(v, vlo), vhi);
    const __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), vz);
    _mm_mask_storeu_epi8(out + j, m, _mm512_cvtepi32_epi8(q));
  }
}

const PoolKernelTable kAvx512 = {Isa::kAvx512Vnni, maxRows, avgRows, sumRows, requantRow};

}  // namespace

const PoolKernelTable* poolKernelsAvx512() { return &kAvx512; }

}  // namespace qint8
