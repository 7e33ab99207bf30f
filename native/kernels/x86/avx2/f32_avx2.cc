// qint8 — float32 kernels, AVX2 + FMA: the generic kernels (kernels/f32_impl.h) on 8 lanes.
// Bit-exact with the reference: same operations; tails through masked loads / stores;
// conversions use the MXCSR rounding mode, assumed to be the default (nearest even).
#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../../../runtime/f32_kernels.h"
#include "../transpose_x86.h"

namespace qint8 {
namespace {

#include "../../f32_impl.h"

struct S8 {
  static constexpr int W = 8;
  using V = __m256;
  using I = __m256i;
  using M = __m256;
  static __m256i firstNi(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n > 8 ? 8 : n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static M firstN(size_t n) { return _mm256_castsi256_ps(firstNi(n)); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V loadN(const float* p, size_t n, float fill) {
    const __m256i m = firstNi(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void storeN(float* p, V v, size_t n) { _mm256_maskstore_ps(p, firstNi(n), v); }
  static V set1(float v) { return _mm256_set1_ps(v); }
  static I set1i(int32_t v) { return _mm256_set1_epi32(v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V maxp(V a, V b) { return _mm256_max_ps(a, b); }
  static V minp(V a, V b) { return _mm256_min_ps(a, b); }
  static V abs(V a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
  static V neg(V a) { return _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int32_t>(0x80000000u)))); }
  static V orSign(V m, V s) {
    return _mm256_or_ps(m, _mm256_and_ps(s, _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int32_t>(0x80000000u)))));
  }
  static V roundEven(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V floor(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static V ceil(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
  static V trunc(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
  static M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M le(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static M gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
  static M eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
  static M isnan(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static M mand(M a, M b) { return _mm256_and_ps(a, b); }
  static M mor(M a, M b) { return _mm256_or_ps(a, b); }
  static bool any(M m) { return _mm256_movemask_ps(m) != 0; }
  static V scale2(V p, V n) { return scale2Mul<S8>(p, n); }
  static V permDown(V v, int span) {
    switch (span) {
      case 4: return _mm256_permute2f128_ps(v, v, 1);
      case 2: return _mm256_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2));
      default: return _mm256_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1));
    }
  }
  static float lane0(V v) { return _mm256_cvtss_f32(v); }
  static V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
  static I cvtInt(V a) { return _mm256_cvtps_epi32(a); }
  static V cvtFloat(I i) { return _mm256_cvtepi32_ps(i); }
  static I iadd(I a, I b) { return _mm256_add_epi32(a, b); }
  static I isub(I a, I b) { return _mm256_sub_epi32(a, b); }
  template <int k>
  static I sll(I a) {
    return _mm256_slli_epi32(a, k);
  }
  template <int k>
  static I sra(I a) {
    return _mm256_srai_epi32(a, k);
  }
  static I iand(I a, I b) { return _mm256_and_si256(a, b); }
  static I ior(I a, I b) { return _mm256_or_si256(a, b); }
  static V asFloat(I i) { return _mm256_castsi256_ps(i); }
  static I asInt(V v) { return _mm256_castps_si256(v); }
  static __m128i maskBytes(M m) {
    const __m256i mi = _mm256_castps_si256(m);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(mi), _mm256_extracti128_si256(mi, 1));
    return _mm_and_si128(_mm_packs_epi16(w, w), _mm_set1_epi8(1));
  }
  static void storeMask(uint8_t* p, M m) { _mm_storel_epi64(reinterpret_cast<__m128i*>(p), maskBytes(m)); }
  static void storeMaskN(uint8_t* p, M m, size_t n) {
    alignas(16) uint8_t t[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(t), maskBytes(m));
    std::memcpy(p, t, n > 8 ? 8 : n);
  }
  static M fromBytes(__m128i b) {
    const __m256i v = _mm256_cvtepu8_epi32(b);
    return _mm256_castsi256_ps(_mm256_xor_si256(_mm256_cmpeq_epi32(v, _mm256_setzero_si256()), _mm256_set1_epi32(-1)));
  }
  static M loadMask(const uint8_t* p) { return fromBytes(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
  static M loadMaskN(const uint8_t* p, size_t n) {
    alignas(16) uint8_t t[16] = {0};
    std::memcpy(t, p, n > 8 ? 8 : n);
    return fromBytes(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
  }
};

void transpose32(const uint32_t* src, size_t rows, size_t cols, size_t ldSrc, uint32_t* dst, size_t ldDst) {
  x86::transpose32Tiles(src, rows, cols, ldSrc, dst, ldDst);
}

using E = F32Entries<S8>;
const F32KernelTable kAvx2 = {Isa::kAvx2,      E::unary,        E::binary,    E::compare,   E::where32,
                              E::reduceRow,    E::reduceCols,   E::softmaxRow, E::softmaxCols, E::moments,
                              E::normalizeRow, E::affineRow,    E::affineCols, transpose32};

}  // namespace

const F32KernelTable* f32KernelsAvx2() { return &kAvx2; }

}  // namespace qint8
