// qint8 — AVX2 QuantizeLinear / DequantizeLinear. Bit-exact with kernels/ref (assumes the default
// MXCSR rounding mode, round to nearest even, as onnxruntime's MLAS does).
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/elt_kernels.h"

namespace qint8 {
namespace {

// Low byte of each of 8 int32 lanes, packed into 8 bytes.
static inline uint64_t lowBytes8(__m256i q) {
  const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i b = _mm256_shuffle_epi8(q, shuf);
  const __m256i p = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm256_castsi256_si128(p)));
}

static inline uint64_t quant8(__m256 x, __m256 scale, __m256 lo, __m256 hi, __m256i zp) {
  __m256 v = _mm256_div_ps(x, scale);
  v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  return lowBytes8(_mm256_add_epi32(_mm256_cvtps_epi32(v), zp));
}

static inline __m256 dequant8(const uint8_t* p, bool isSigned, __m256i zp, __m256 scale) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m256i w = isSigned ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(w, zp)), scale);
}

void quantize(const float* x, size_t n, float scale, int32_t zp, bool isSigned, void* y) {
  const int32_t qlo = isSigned ? -128 : 0, qhi = isSigned ? 127 : 255;
  const __m256 vs = _mm256_set1_ps(scale);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(qlo - zp)), hi = _mm256_set1_ps(static_cast<float>(qhi - zp));
  const __m256i vz = _mm256_set1_epi32(zp);
  uint8_t* out = static_cast<uint8_t*>(y);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t b = quant8(_mm256_loadu_ps(x + i), vs, lo, hi, vz);
    std::memcpy(out + i, &b, 8);
  }
  if (i < n) {
    float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(tmp, x + i, (n - i) * sizeof(float));
    const uint64_t b = quant8(_mm256_loadu_ps(tmp), vs, lo, hi, vz);
    std::memcpy(out + i, &b, n - i);
  }
}

void dequantize(const void* q, size_t n, float scale, int32_t zp, bool isSigned, float* y) {
  const __m256 vs = _mm256_set1_ps(scale);
  const __m256i vz = _mm256_set1_epi32(zp);
  const uint8_t* in = static_cast<const uint8_t*>(q);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, dequant8(in + i, isSigned, vz, vs));
  if (i < n) {
    uint8_t tb[8] = {0};
    float tf[8];
    std::memcpy(tb, in + i, n - i);
    _mm256_storeu_ps(tf, dequant8(tb, isSigned, vz, vs));
    std::memcpy(y + i, tf, (n - i) * sizeof(float));
  }
}

void quantizeRows(const float* x, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned, void* y) {
  const float qlo = isSigned ? -128.f : 0.f, qhi = isSigned ? 127.f : 255.f;
  uint8_t* out = static_cast<uint8_t*>(y);
  for (size_t j = 0; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    float sc[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    int32_t z[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(sc, scale + j, w * sizeof(float));
    std::memcpy(z, zp + j, w * sizeof(int32_t));
    const __m256 vs = _mm256_loadu_ps(sc);
    const __m256i vz = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(z));
    const __m256 fz = _mm256_cvtepi32_ps(vz);
    const __m256 lo = _mm256_sub_ps(_mm256_set1_ps(qlo), fz), hi = _mm256_sub_ps(_mm256_set1_ps(qhi), fz);
    for (size_t r = 0; r < rows; ++r) {
      float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      const float* src = x + r * c + j;
      if (w < 8) {
        std::memcpy(t, src, w * sizeof(float));
        src = t;
      }
      const uint64_t b = quant8(_mm256_loadu_ps(src), vs, lo, hi, vz);
      std::memcpy(out + r * c + j, &b, w);
    }
  }
}

void dequantizeRows(const void* q, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned, float* y) {
  const uint8_t* in = static_cast<const uint8_t*>(q);
  for (size_t j = 0; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    float sc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t z[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(sc, scale + j, w * sizeof(float));
    std::memcpy(z, zp + j, w * sizeof(int32_t));
    const __m256 vs = _mm256_loadu_ps(sc);
    const __m256i vz = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(z));
    for (size_t r = 0; r < rows; ++r) {
      uint8_t tb[8] = {0};
      const uint8_t* src = in + r * c + j;
      if (w < 8) {
        std::memcpy(tb, src, w);
        src = tb;
      }
      float tf[8];
      _mm256_storeu_ps(tf, dequant8(src, isSigned, vz, vs));
      std::memcpy(y + r * c + j, tf, w * sizeof(float));
    }
  }
}

const EltKernelTable kAvx2 = {Isa::kAvx2, quantize, dequantize, quantizeRows, dequantizeRows};

}  // namespace

const EltKernelTable* eltKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
