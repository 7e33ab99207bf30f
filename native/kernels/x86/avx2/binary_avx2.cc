// qint8 — AVX2 kernels of the quantized binary ops, bit-exact with kernels/ref/binary_ref.cc
// (explicit FMA where the spec has one; MXCSR in its default round-to-nearest-even mode).
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/binary_kernels.h"

namespace qint8 {
namespace {

// 8 bytes at p as int32 lanes.
static inline __m256i load8x32(const uint8_t* p, bool isSigned) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return isSigned ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}
static inline __m256 load8f(const uint8_t* p, bool isSigned) { return _mm256_cvtepi32_ps(load8x32(p, isSigned)); }

// Four vectors of 8 int32 values already inside the type's range -> 32 bytes in order.
static inline __m256i pack32(__m256i v0, __m256i v1, __m256i v2, __m256i v3, bool isSigned) {
  const __m256i p01 = _mm256_packs_epi32(v0, v1), p23 = _mm256_packs_epi32(v2, v3);
  const __m256i b = isSigned ? _mm256_packs_epi16(p01, p23) : _mm256_packus_epi16(p01, p23);
  return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static inline __m256i finish8(__m256 v, __m256 lo, __m256 hi) {
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));
}

// Runs body(a, b, c) on 32-element blocks; the tail goes through zero-padded buffers.
template <typename Body>
static inline void blocks32(const uint8_t* a, const uint8_t* b, size_t n, uint8_t* c, Body body) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) body(a + i, b ? b + i : nullptr, c + i);
  if (i < n) {
    alignas(32) uint8_t ta[32] = {0}, tb[32] = {0}, tc[32];
    std::memcpy(ta, a + i, n - i);
    if (b) std::memcpy(tb, b + i, n - i);
    body(ta, b ? tb : nullptr, tc);
    std::memcpy(c + i, tc, n - i);
  }
}

void addVV(const void* a, const void* b, size_t n, const AddKernelParams& p, bool s, void* c) {
  const __m256 ra = _mm256_set1_ps(p.ra), rb = _mm256_set1_ps(p.rb), fx = _mm256_set1_ps(p.fixed);
  const __m256 lo = _mm256_set1_ps(p.lo), hi = _mm256_set1_ps(p.hi);
  blocks32(static_cast<const uint8_t*>(a), static_cast<const uint8_t*>(b), n, static_cast<uint8_t*>(c),
           [&](const uint8_t* pa, const uint8_t* pb, uint8_t* pc) {
             __m256i r[4];
             for (int k = 0; k < 4; ++k) {
               const __m256 t = _mm256_fmadd_ps(load8f(pb + 8 * k, s), rb, fx);
               r[k] = finish8(_mm256_fmadd_ps(load8f(pa + 8 * k, s), ra, t), lo, hi);
             }
             _mm256_storeu_si256(reinterpret_cast<__m256i*>(pc), pack32(r[0], r[1], r[2], r[3], s));
           });
}

void addVS(const void* a, size_t n, const AddKernelParams& p, bool s, void* c) {
  const __m256 ra = _mm256_set1_ps(p.ra), fx = _mm256_set1_ps(p.fixed);
  const __m256 lo = _mm256_set1_ps(p.lo), hi = _mm256_set1_ps(p.hi);
  blocks32(static_cast<const uint8_t*>(a), nullptr, n, static_cast<uint8_t*>(c),
           [&](const uint8_t* pa, const uint8_t*, uint8_t* pc) {
             __m256i r[4];
             for (int k = 0; k < 4; ++k) r[k] = finish8(_mm256_fmadd_ps(load8f(pa + 8 * k, s), ra, fx), lo, hi);
             _mm256_storeu_si256(reinterpret_cast<__m256i*>(pc), pack32(r[0], r[1], r[2], r[3], s));
           });
}

void mulVV(const void* a, const void* b, size_t n, const MulKernelParams& p, bool s, void* c) {
  const __m256i za = _mm256_set1_epi32(p.za), zb = _mm256_set1_epi32(p.zb);
  const __m256 m = _mm256_set1_ps(p.m), zc = _mm256_set1_ps(p.zc);
  const __m256 lo = _mm256_set1_ps(p.lo), hi = _mm256_set1_ps(p.hi);
  blocks32(static_cast<const uint8_t*>(a), static_cast<const uint8_t*>(b), n, static_cast<uint8_t*>(c),
           [&](const uint8_t* pa, const uint8_t* pb, uint8_t* pc) {
             __m256i r[4];
             for (int k = 0; k < 4; ++k) {
               const __m256i x = _mm256_sub_epi32(load8x32(pa + 8 * k, s), za);
               const __m256i y = _mm256_sub_epi32(load8x32(pb + 8 * k, s), zb);
               const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(x, y)), m);
               r[k] = finish8(_mm256_add_ps(v, zc), lo, hi);
             }
             _mm256_storeu_si256(reinterpret_cast<__m256i*>(pc), pack32(r[0], r[1], r[2], r[3], s));
           });
}

void mulVS(const void* a, int32_t bz, size_t n, const MulKernelParams& p, bool s, void* c) {
  const __m256i za = _mm256_set1_epi32(p.za), y = _mm256_set1_epi32(bz);
  const __m256 m = _mm256_set1_ps(p.m), zc = _mm256_set1_ps(p.zc);
  const __m256 lo = _mm256_set1_ps(p.lo), hi = _mm256_set1_ps(p.hi);
  blocks32(static_cast<const uint8_t*>(a), nullptr, n, static_cast<uint8_t*>(c),
           [&](const uint8_t* pa, const uint8_t*, uint8_t* pc) {
             __m256i r[4];
             for (int k = 0; k < 4; ++k) {
               const __m256i x = _mm256_sub_epi32(load8x32(pa + 8 * k, s), za);
               const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(x, y)), m);
               r[k] = finish8(_mm256_add_ps(v, zc), lo, hi);
             }
             _mm256_storeu_si256(reinterpret_cast<__m256i*>(pc), pack32(r[0], r[1], r[2], r[3], s));
           });
}

const BinaryKernelTable kAvx2 = {Isa::kAvx2, addVV, addVS, mulVV, mulVS};

}  // namespace

const BinaryKernelTable* binaryKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
