// qint8 — col2im sum + output stage of ConvTranspose, AVX2 (8 columns per step; the tail goes
// through a small stack buffer). Same values as kernels/ref/col2im_ref.cc: float(acc) * scale
// (one multiply), clamp to [lo - zp, hi - zp] in float (MAXPS/MINPS), round half to even
// (cvtps2dq under the default MXCSR rounding), + zp.
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/conv_kernels.h"

namespace qint8 {
namespace {

void sumStage(const int32_t* const* rows, int nrows, int n, const GemmEpilogue& ep, void* out) {
  const __m256 flo = _mm256_set1_ps(static_cast<float>(ep.lo - ep.zeroPoint));
  const __m256 fhi = _mm256_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
  const __m256i zp = _mm256_set1_epi32(ep.zeroPoint);
  const size_t ob = (ep.kind == GemmOut::kU8 || ep.kind == GemmOut::kS8) ? 1 : 4;
  for (int j = 0; j < n; j += 8) {
    const int cnt = n - j >= 8 ? 8 : n - j;
    alignas(32) int32_t tb[8] = {0}, ts[8] = {0};
    alignas(32) float tsc[8] = {0}, tbf[8] = {0};
    __m256i acc;
    const float* sc = ep.scale ? ep.scale + j : nullptr;
    const float* bf = ep.biasF ? ep.biasF + j : nullptr;
    if (cnt == 8) {
      acc = ep.bias32 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ep.bias32 + j)) : _mm256_setzero_si256();
      for (int r = 0; r < nrows; ++r) acc = _mm256_add_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[r] + j)));
    } else {
      if (ep.bias32) std::memcpy(tb, ep.bias32 + j, cnt * 4);
      acc = _mm256_load_si256(reinterpret_cast<const __m256i*>(tb));
      for (int r = 0; r < nrows; ++r) {
        std::memcpy(ts, rows[r] + j, cnt * 4);
        acc = _mm256_add_epi32(acc, _mm256_load_si256(reinterpret_cast<const __m256i*>(ts)));
      }
      if (sc) std::memcpy(tsc, sc, cnt * 4), sc = tsc;
      if (bf) std::memcpy(tbf, bf, cnt * 4), bf = tbf;
    }
    alignas(32) uint8_t res[32];
    switch (ep.kind) {
      case GemmOut::kU8:
      case GemmOut::kS8: {
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(sc));
        v = _mm256_min_ps(_mm256_max_ps(v, flo), fhi);
        const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);  // within [lo, hi]
        const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        const __m128i b8 = ep.kind == GemmOut::kU8 ? _mm_packus_epi16(w16, w16) : _mm_packs_epi16(w16, w16);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(res), b8);
        break;
      }
      case GemmOut::kF32: {
        const __m256 p = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(sc));
        _mm256_store_ps(reinterpret_cast<float*>(res), _mm256_add_ps(p, bf ? _mm256_loadu_ps(bf) : _mm256_setzero_ps()));
        break;
      }
      case GemmOut::kS32:
        _mm256_store_si256(reinterpret_cast<__m256i*>(res), acc);
        break;
    }
    std::memcpy(static_cast<uint8_t*>(out) + static_cast<size_t>(j) * ob, res, static_cast<size_t>(cnt) * ob);
  }
}

const Col2imKernelTable kTable = {Isa::kAvx2, sumStage};

}  // namespace

const Col2imKernelTable* col2imKernelsAvx2() { return &kTable; }

}  // namespace qint8
