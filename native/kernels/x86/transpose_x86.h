// qint8 — 32-bit transpose with 8 x 8 register tiles (AVX2 instructions). Included only by x86
// ISA translation units compiled with at least -mavx2; static inline, internal linkage.
#pragma once
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace qint8 {
namespace x86 {

static inline void transpose8x8(const float* s, size_t ls, float* d, size_t ld) {
  const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ls), r2 = _mm256_loadu_ps(s + 2 * ls),
               r3 = _mm256_loadu_ps(s + 3 * ls), r4 = _mm256_loadu_ps(s + 4 * ls), r5 = _mm256_loadu_ps(s + 5 * ls),
               r6 = _mm256_loadu_ps(s + 6 * ls), r7 = _mm256_loadu_ps(s + 7 * ls);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
               u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)),
               u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2)),
               u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + ld, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// dst[c * ldDst + r] = src[r * ldSrc + c]: 8 x 8 tiles in column blocks of 64 (the tiles of one
// block write 64 destination rows, which stay in L1), scalar edges.
static inline void transpose32Tiles(const uint32_t* src, size_t rows, size_t cols, size_t ldSrc, uint32_t* dst,
                                    size_t ldDst) {
  const float* s = reinterpret_cast<const float*>(src);
  float* d = reinterpret_cast<float*>(dst);
  const size_t rows8 = rows & ~size_t{7}, cols8 = cols & ~size_t{7};
  for (size_t cb = 0; cb < cols8; cb += 64) {
    const size_t ce = cb + 64 < cols8 ? cb + 64 : cols8;
    for (size_t r = 0; r < rows8; r += 8)
      for (size_t c = cb; c < ce; c += 8) transpose8x8(s + r * ldSrc + c, ldSrc, d + c * ldDst + r, ldDst);
  }
  for (size_t c = cols8; c < cols; ++c)
    for (size_t r = 0; r < rows; ++r) dst[c * ldDst + r] = src[r * ldSrc + c];
  for (size_t r = rows8; r < rows; ++r)
    for (size_t c = 0; c < cols8; ++c) dst[c * ldDst + r] = src[r * ldSrc + c];
}

}  // namespace x86
}  // namespace qint8
