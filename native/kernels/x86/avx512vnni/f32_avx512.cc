// qint8 — float32 kernels, AVX-512: the generic kernels (kernels/f32_impl.h) on 16 lanes.
// Bit-exact with the reference: same operations, masked loads/stores for tails, embedded
// round-to-nearest conversions.
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../../../runtime/f32_kernels.h"
#include "../transpose_x86.h"

// GCC 12 reports its own _mm512_undefined_* placeholders inside the intrinsics as uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qint8 {
namespace {

#include "../../f32_impl.h"

struct S16 {
  static constexpr int W = 16;
  using V = __m512;
  using I = __m512i;
  using M = __mmask16;
  static M firstN(size_t n) { return n >= 16 ? static_cast<M>(0xFFFF) : static_cast<M>((1u << n) - 1); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V loadN(const float* p, size_t n, float fill) { return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), firstN(n), p); }
  static void storeN(float* p, V v, size_t n) { _mm512_mask_storeu_ps(p, firstN(n), v); }
  static V set1(float v) { return _mm512_set1_ps(v); }
  static I set1i(int32_t v) { return _mm512_set1_epi32(v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V sqrt(V a) { return _mm512_sqrt_ps(a); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static V maxp(V a, V b) { return _mm512_max_ps(a, b); }
  static V minp(V a, V b) { return _mm512_min_ps(a, b); }
  static V abs(V a) { return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff))); }
  static V neg(V a) {
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32(static_cast<int32_t>(0x80000000u))));
  }
  static V orSign(V m, V s) {
    const __m512i sign = _mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32(static_cast<int32_t>(0x80000000u)));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(m), sign));
  }
  static V roundEven(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V floor(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static V ceil(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
  static V trunc(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
  static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M le(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static M gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M ge(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
  static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static M isnan(V a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static M mand(M a, M b) { return static_cast<M>(a & b); }
  static M mor(M a, M b) { return static_cast<M>(a | b); }
  static bool any(M m) { return m != 0; }
  // VSCALEFPS: p * 2^floor(n), one rounding (MXCSR nearest-even; subnormal results rounded, not
  // flushed, as MXCSR's FTZ / DAZ are off).
  static V scale2(V p, V n) { return _mm512_scalef_ps(p, n); }
  static V permDown(V v, int span) {
    switch (span) {
      case 8: return _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2));
      case 4: return _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1));
      case 2: return _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2));
      default: return _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1));
    }
  }
  static float lane0(V v) { return _mm512_cvtss_f32(v); }
  static V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
  static I cvtInt(V a) { return _mm512_cvt_roundps_epi32(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V cvtFloat(I i) { return _mm512_cvtepi32_ps(i); }
  static I iadd(I a, I b) { return _mm512_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm512_sub_epi32(a, b); }
  template <int k>
  static I sll(I a) {
    return _mm512_slli_epi32(a, k);
  }
  template <int k>
  static I sra(I a) {
    return _mm512_srai_epi32(a, k);
  }
  static I iand(I a, I b) { return _mm512_and_si512(a, b); }
  static I ior(I a, I b) { return _mm512_or_si512(a, b); }
  static V asFloat(I i) { return _mm512_castsi512_ps(i); }
  static I asInt(V v) { return _mm512_castps_si512(v); }
  static void storeMask(uint8_t* p, M m) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_maskz_set1_epi8(m, 1)); }
  static void storeMaskN(uint8_t* p, M m, size_t n) { _mm_mask_storeu_epi8(p, firstN(n), _mm_maskz_set1_epi8(m, 1)); }
  static M loadMask(const uint8_t* p) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm_test_epi8_mask(v, v);
  }
  static M loadMaskN(const uint8_t* p, size_t n) {
    const __m128i v = _mm_maskz_loadu_epi8(firstN(n), p);
    return _mm_test_epi8_mask(v, v);
  }
};

void transpose32(const uint32_t* src, size_t rows, size_t cols, size_t ldSrc, uint32_t* dst, size_t ldDst) {
  x86::transpose32Tiles(src, rows, cols, ldSrc, dst, ldDst);
}

using E = F32Entries<S16>;
const F32KernelTable kAvx512 = {Isa::kAvx512Vnni, E::unary,        E::binary,    E::compare,   E::where32,
                                E::reduceRow,     E::reduceCols,   E::softmaxRow, E::softmaxCols, E::moments,
                                E::normalizeRow,  E::affineRow,    E::affineCols, transpose32};

}  // namespace

const F32KernelTable* f32KernelsAvx512() { return &kAvx512; }

}  // namespace qint8
