// qint8 — AVX2 int8 pool kernels, bit-exact with kernels/ref/pool_ref.cc (the same float
// operations per lane, no FMA; MXCSR in its default rounding mode). Channel tails go through
// zero-padded stack buffers.
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/pool_kernels.h"

namespace qint8 {
namespace {

static inline __m256i widen8(const uint8_t* p, bool s) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return s ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

// 8 int32 lanes (in the type's range) -> 8 bytes.
static inline uint64_t narrow8(__m256i q) {
  const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i b = _mm256_shuffle_epi8(q, shuf);
  const __m256i p = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm256_castsi256_si128(p)));
}

void maxRows(const uint8_t* const* rows, size_t k, size_t c, bool s, uint8_t* out) {
  const __m256i init = _mm256_set1_epi8(s ? static_cast<char>(-128) : 0);
  size_t j = 0;
  for (; j + 32 <= c; j += 32) {
    __m256i acc = init;
    for (size_t r = 0; r < k; ++r) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[r] + j));
      acc = s ? _mm256_max_epi8(acc, v) : _mm256_max_epu8(acc, v);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), acc);
  }
  if (j < c) {
    const size_t w = c - j;
    __m256i acc = init;
    for (size_t r = 0; r < k; ++r) {
      alignas(32) uint8_t t[32];
      std::memcpy(t, rows[r] + j, w);
      const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(t));
      acc = s ? _mm256_max_epi8(acc, v) : _mm256_max_epu8(acc, v);
    }
    alignas(32) uint8_t t[32];
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), acc);
    std::memcpy(out + j, t, w);
  }
}

static inline uint64_t avgFinish(__m256 sum, const AvgPoolParams& p) {
  const __m256 y = _mm256_div_ps(sum, _mm256_set1_ps(p.count));
  __m256 v = _mm256_add_ps(_mm256_div_ps(y, _mm256_set1_ps(p.sy)), _mm256_set1_ps(p.zy));
  v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(p.lo)), _mm256_set1_ps(p.hi));
  return narrow8(_mm256_cvtps_epi32(v));
}

void avgRows(const uint8_t* const* rows, size_t k, size_t c, const AvgPoolParams& p, bool s, uint8_t* out) {
  const __m256i zx = _mm256_set1_epi32(p.zx);
  const __m256 sx = _mm256_set1_ps(p.sx);
  size_t j = 0;
  for (; j + 32 <= c; j += 32) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t r = 0; r < k; ++r) {
      const uint8_t* q = rows[r] + j;
      s0 = _mm256_add_ps(s0, _mm256_mul_ps(sx, _mm256_cvtepi32_ps(_mm256_sub_epi32(widen8(q, s), zx))));
      s1 = _mm256_add_ps(s1, _mm256_mul_ps(sx, _mm256_cvtepi32_ps(_mm256_sub_epi32(widen8(q + 8, s), zx))));
      s2 = _mm256_add_ps(s2, _mm256_mul_ps(sx, _mm256_cvtepi32_ps(_mm256_sub_epi32(widen8(q + 16, s), zx))));
      s3 = _mm256_add_ps(s3, _mm256_mul_ps(sx, _mm256_cvtepi32_ps(_mm256_sub_epi32(widen8(q + 24, s), zx))));
    }
    const uint64_t r0 = avgFinish(s0, p), r1 = avgFinish(s1, p), r2 = avgFinish(s2, p), r3 = avgFinish(s3, p);
    std::memcpy(out + j, &r0, 8);
    std::memcpy(out + j + 8, &r1, 8);
    std::memcpy(out + j + 16, &r2, 8);
    std::memcpy(out + j + 24, &r3, 8);
  }
  for (; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    __m256 s0 = _mm256_setzero_ps();
    for (size_t r = 0; r < k; ++r) {
      uint8_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::memcpy(t, rows[r] + j, w);
      s0 = _mm256_add_ps(s0, _mm256_mul_ps(sx, _mm256_cvtepi32_ps(_mm256_sub_epi32(widen8(t, s), zx))));
    }
    const uint64_t r0 = avgFinish(s0, p);
    std::memcpy(out + j, &r0, w);
  }
}

void sumRows(const uint8_t* x, size_t rows, size_t stride, size_t c, bool s, int32_t* acc) {
  size_t j = 0;
  for (; j + 32 <= c; j += 32) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    const uint8_t* q = x + j;
    for (size_t r = 0; r < rows; ++r, q += stride) {
      a0 = _mm256_add_epi32(a0, widen8(q, s));
      a1 = _mm256_add_epi32(a1, widen8(q + 8, s));
      a2 = _mm256_add_epi32(a2, widen8(q + 16, s));
      a3 = _mm256_add_epi32(a3, widen8(q + 24, s));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + j), a0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + j + 8), a1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + j + 16), a2);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + j + 24), a3);
  }
  for (; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    __m256i a0 = _mm256_setzero_si256();
    const uint8_t* q = x + j;
    for (size_t r = 0; r < rows; ++r, q += stride) {
      uint8_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::memcpy(t, q, w);
      a0 = _mm256_add_epi32(a0, widen8(t, s));
    }
    alignas(32) int32_t t[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), a0);
    std::memcpy(acc + j, t, w * sizeof(int32_t));
  }
}

void requantRow(const int32_t* acc, size_t c, int32_t bias, float scale, int32_t zp, int32_t lo, int32_t hi,
                uint8_t* out) {
  const __m256i vb = _mm256_set1_epi32(bias), vz = _mm256_set1_epi32(zp);
  const __m256 vs = _mm256_set1_ps(scale);
  const __m256 vlo = _mm256_set1_ps(static_cast<float>(lo - zp)), vhi = _mm256_set1_ps(static_cast<float>(hi - zp));
  for (size_t j = 0; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    alignas(32) int32_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(t, acc + j, w * sizeof(int32_t));
    const __m256i a = _mm256_add_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(t)), vb);
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(a), vs);
    v = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
    const uint64_t r = narrow8(_mm256_add_epi32(_mm256_cvtps_epi32(v), vz));
    std::memcpy(out + j, &r, w);
  }
}

const PoolKernelTable kAvx2 = {Isa::kAvx2, maxRows, avgRows, sumRows, requantRow};

}  // namespace

const PoolKernelTable* poolKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
