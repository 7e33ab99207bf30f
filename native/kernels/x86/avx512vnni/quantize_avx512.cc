// qint8 — AVX-512 QuantizeLinear / DequantizeLinear. Bit-exact with kernels/ref: float32
// division, MAXPS/MINPS clamp (NaN -> lower bound), round half to even, zero point.
#include <immintrin.h>

#include "../../../runtime/elt_kernels.h"

namespace qint8 {
namespace {

static inline __mmask16 tailMask(size_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

// 16 floats -> 16 quantized bytes.
static inline __m128i quant16(__m512 x, __m512 scale, __m512 lo, __m512 hi, __m512i zp) {
  __m512 v = _mm512_div_ps(x, scale);
  v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  const __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
  return _mm512_cvtepi32_epi8(q);
}

static inline __m512 dequant16(__m128i q, bool isSigned, __m512i zp, __m512 scale) {
  const __m512i w = isSigned ? _mm512_cvtepi8_epi32(q) : _mm512_cvtepu8_epi32(q);
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(w, zp)), scale);
}

void quantize(const float* x, size_t n, float scale, int32_t zp, bool isSigned, void* y) {
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512 lo = _mm512_set1_ps(static_cast<float>((isSigned ? -128 : 0) - zp));
  const __m512 hi = _mm512_set1_ps(static_cast<float>((isSigned ? 127 : 255) - zp));
  const __m512i vz = _mm512_set1_epi32(zp);
  uint8_t* out = static_cast<uint8_t*>(y);
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), quant16(_mm512_loadu_ps(x + i), vs, lo, hi, vz));
  if (i < n) {
    const __mmask16 m = tailMask(n - i);
    _mm_mask_storeu_epi8(out + i, m, quant16(_mm512_maskz_loadu_ps(m, x + i), vs, lo, hi, vz));
  }
}

void dequantize(const void* q, size_t n, float scale, int32_t zp, bool isSigned, float* y) {
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512i vz = _mm512_set1_epi32(zp);
  const uint8_t* in = static_cast<const uint8_t*>(q);
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, dequant16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)), isSigned, vz, vs));
  if (i < n) {
    const __mmask16 m = tailMask(n - i);
    _mm512_mask_storeu_ps(y + i, m, dequant16(_mm_maskz_loadu_epi8(m, in + i), isSigned, vz, vs));
  }
}

void quantizeRows(const float* x, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned, void* y) {
  const __m512 qlo = _mm512_set1_ps(isSigned ? -128.f : 0.f), qhi = _mm512_set1_ps(isSigned ? 127.f : 255.f);
  uint8_t* out = static_cast<uint8_t*>(y);
  for (size_t j = 0; j < c; j += 16) {
    const __mmask16 m = tailMask(c - j);
    const __m512 vs = _mm512_maskz_loadu_ps(m, scale + j);
    const __m512i vz = _mm512_maskz_loadu_epi32(m, zp + j);
    const __m512 fz = _mm512_cvtepi32_ps(vz);
    const __m512 lo = _mm512_sub_ps(qlo, fz), hi = _mm512_sub_ps(qhi, fz);  // exact: small integers
    for (size_t r = 0; r < rows; ++r) {
      const __m512 v = _mm512_maskz_loadu_ps(m, x + r * c + j);
      // Masked-off lanes divide by 1 (not 0/0); they are not stored either way.
      _mm_mask_storeu_epi8(out + r * c + j, m, quant16(v, _mm512_mask_blend_ps(m, _mm512_set1_ps(1.f), vs), lo, hi, vz));
    }
  }
}

void dequantizeRows(const void* q, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned, float* y) {
  const uint8_t* in = static_cast<const uint8_t*>(q);
  for (size_t j = 0; j < c; j += 16) {
    const __mmask16 m = tailMask(c - j);
    const __m512 vs = _mm512_maskz_loadu_ps(m, scale + j);
    const __m512i vz = _mm512_maskz_loadu_epi32(m, zp + j);
    for (size_t r = 0; r < rows; ++r)
      _mm512_mask_storeu_ps(y + r * c + j, m, dequant16(_mm_maskz_loadu_epi8(m, in + r * c + j), isSigned, vz, vs));
  }
}

const EltKernelTable kAvx512 = {Isa::kAvx512Vnni, quantize, dequantize, quantizeRows, dequantizeRows};

}  // namespace

const EltKernelTable* eltKernelsAvx512() { return &kAvx512; }

}  // namespace qint8
