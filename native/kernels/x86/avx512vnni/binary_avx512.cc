// qint8 — AVX-512 kernels of the quantized binary ops, bit-exact with kernels/ref/binary_ref.cc
// (explicit FMA where the spec has one; embedded round-to-nearest-even conversions).
#include <immintrin.h>

#include "../../../runtime/binary_kernels.h"

namespace qint8 {
namespace {

static inline __mmask16 mask16(size_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

static inline __m512i load16x32(const uint8_t* p, __mmask16 m, bool isSigned) {
  const __m128i b = _mm_maskz_loadu_epi8(m, p);
  return isSigned ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}
static inline __m512 load16f(const uint8_t* p, __mmask16 m, bool isSigned) {
  return _mm512_cvtepi32_ps(load16x32(p, m, isSigned));
}
static inline void store16(uint8_t* p, __mmask16 m, __m512 v, __m512 lo, __m512 hi) {
  const __m512 cl = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  const __m512i q = _mm512_cvt_roundps_epi32(cl, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  _mm_mask_storeu_epi8(p, m, _mm512_cvtepi32_epi8(q));  // in range: truncation is exact
}

// Runs body(offset, mask) over n elements in groups of 16 (four groups per iteration).
template <typename Body>
static inline void groups16(size_t n, Body body) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    body(i, 0xFFFF);
    body(i + 16, 0xFFFF);
    body(i + 32, 0xFFFF);
    body(i + 48, 0xFFFF);
  }
  for (; i < n; i += 16) body(i, mask16(n - i));
}

void addVV(const void* a, const void* b, size_t n, const AddKernelParams& p, bool s, void* c) {
  const uint8_t* A = static_cast<const uint8_t*>(a);
  const uint8_t* B = static_cast<const uint8_t*>(b);
  uint8_t* C = static_cast<uint8_t*>(c);
  const __m512 ra = _mm512_set1_ps(p.ra), rb = _mm512_set1_ps(p.rb), fx = _mm512_set1_ps(p.fixed);
  const __m512 lo = _mm512_set1_ps(p.lo), hi = _mm512_set1_ps(p.hi);
  groups16(n, [&](size_t i, __mmask16 m) {
    const __m512 t = _mm512_fmadd_ps(load16f(B + i, m, s), rb, fx);
    store16(C + i, m, _mm512_fmadd_ps(load16f(A + i, m, s), ra, t), lo, hi);
  });
}

void addVS(const void* a, size_t n, const AddKernelParams& p, bool s, void* c) {
  const uint8_t* A = static_cast<const uint8_t*>(a);
  uint8_t* C = static_cast<uint8_t*>(c);
  const __m512 ra = _mm512_set1_ps(p.ra), fx = _mm512_set1_ps(p.fixed);
  const __m512 lo = _mm512_set1_ps(p.lo), hi = _mm512_set1_ps(p.hi);
  groups16(n, [&](size_t i, __mmask16 m) { store16(C + i, m, _mm512_fmadd_ps(load16f(A + i, m, s), ra, fx), lo, hi); });
}

void mulVV(const void* a, const void* b, size_t n, const MulKernelParams& p, bool s, void* c) {
  const uint8_t* A = static_cast<const uint8_t*>(a);
  const uint8_t* B = static_cast<const uint8_t*>(b);
  uint8_t* C = static_cast<uint8_t*>(c);
  const __m512i za = _mm512_set1_epi32(p.za), zb = _mm512_set1_epi32(p.zb);
  const __m512 mm = _mm512_set1_ps(p.m), zc = _mm512_set1_ps(p.zc);
  const __m512 lo = _mm512_set1_ps(p.lo), hi = _mm512_set1_ps(p.hi);
  groups16(n, [&](size_t i, __mmask16 m) {
    const __m512i x = _mm512_sub_epi32(load16x32(A + i, m, s), za);
    const __m512i y = _mm512_sub_epi32(load16x32(B + i, m, s), zb);
    const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(x, y)), mm);
    store16(C + i, m, _mm512_add_ps(v, zc), lo, hi);
  });
}

void mulVS(const void* a, int32_t bz, size_t n, const MulKernelParams& p, bool s, void* c) {
  const uint8_t* A = static_cast<const uint8_t*>(a);
  uint8_t* C = static_cast<uint8_t*>(c);
  const __m512i za = _mm512_set1_epi32(p.za), y = _mm512_set1_epi32(bz);
  const __m512 mm = _mm512_set1_ps(p.m), zc = _mm512_set1_ps(p.zc);
  const __m512 lo = _mm512_set1_ps(p.lo), hi = _mm512_set1_ps(p.hi);
  groups16(n, [&](size_t i, __mmask16 m) {
    const __m512i x = _mm512_sub_epi32(load16x32(A + i, m, s), za);
    const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(x, y)), mm);
    store16(C + i, m, _mm512_add_ps(v, zc), lo, hi);
  });
}

const BinaryKernelTable kAvx512 = {Isa::kAvx512Vnni, addVV, addVS, mulVV, mulVS};

}  // namespace

const BinaryKernelTable* binaryKernelsAvx512() { return &kAvx512; }

}  // namespace qint8
