// qint8 — col2im sum + output stage of ConvTranspose, AVX-512 (16 columns per step, the tail
// masked). Same values as kernels/ref/col2im_ref.cc: float(acc) * scale (one multiply), clamp
// to [lo - zp, hi - zp] in float (MAXPS/MINPS), round half to even, + zp.
#include <immintrin.h>

#include "../../../runtime/conv_kernels.h"

namespace qint8 {
namespace {

#define C2I_RN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

void sumStage(const int32_t* const* rows, int nrows, int n, const GemmEpilogue& ep, void* out) {
  const __m512 flo = _mm512_set1_ps(static_cast<float>(ep.lo - ep.zeroPoint));
  const __m512 fhi = _mm512_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
  const __m512i zp = _mm512_set1_epi32(ep.zeroPoint);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - j)) - 1);
    __m512i acc = ep.bias32 ? _mm512_maskz_loadu_epi32(m, ep.bias32 + j) : _mm512_setzero_si512();
    int r = 0;
    for (; r + 1 < nrows; r += 2)
      acc = _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, rows[r] + j), _mm512_maskz_loadu_epi32(m, rows[r + 1] + j)));
    if (r < nrows) acc = _mm512_add_epi32(acc, _mm512_maskz_loadu_epi32(m, rows[r] + j));
    switch (ep.kind) {
      case GemmOut::kU8:
      case GemmOut::kS8: {
        __m512 v = _mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc, C2I_RN), _mm512_maskz_loadu_ps(m, ep.scale + j));
        v = _mm512_min_ps(_mm512_max_ps(v, flo), fhi);
        const __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, C2I_RN), zp);  // within [lo, hi]
        if (ep.kind == GemmOut::kU8) _mm512_mask_cvtusepi32_storeu_epi8(static_cast<uint8_t*>(out) + j, m, q);
        else _mm512_mask_cvtsepi32_storeu_epi8(static_cast<int8_t*>(out) + j, m, q);
        break;
      }
      case GemmOut::kF32: {
        const __m512 p = _mm512_mul_ps(_mm512_cvt_roundepi32_ps(acc, C2I_RN), _mm512_maskz_loadu_ps(m, ep.scale + j));
        const __m512 b = ep.biasF ? _mm512_maskz_loadu_ps(m, ep.biasF + j) : _mm512_setzero_ps();
        _mm512_mask_storeu_ps(static_cast<float*>(out) + j, m, _mm512_add_ps(p, b));
        break;
      }
      case GemmOut::kS32:
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(out) + j, m, acc);
        break;
    }
  }
}

#undef C2I_RN

const Col2imKernelTable kTable = {Isa::kAvx512Vnni, sumStage};

}  // namespace

const Col2imKernelTable* col2imKernelsAvx512() { return &kTable; }

}  // namespace qint8
