// qint8 — float32 GEMM, AVX-512 (zmm FMA). Compiled with the avx512vnni folder's flags; uses
// AVX-512F only.
//
// Panels of 32 columns (2 zmm), k-major; the last panel is 16 wide when at most 16 columns remain.
// Micro-tile: kMR rows x 2 zmm = 2 * kMR named accumulators (c<row>_<zmm>); per k: 2 loads of B and
// one broadcast of A per row, folded by GCC into the FMA's {1to16} memory operand. Every
// accumulator is one FMA chain in increasing k, so the result equals the scalar reference bit for
// bit.
#include <immintrin.h>

#include "../../../runtime/sgemm_kernels.h"
#include "act_avx512.h"

namespace qint8 {
namespace {

#ifndef QINT8_SGEMM512_MR
#define QINT8_SGEMM512_MR 12
#endif
constexpr int kMR = QINT8_SGEMM512_MR;
constexpr int kNR = 32;
constexpr int kVL = 16;

static inline __mmask16 colMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1);
}

// ---- epilogue ----------------------------------------------------------------------------------

template <ActKind K>
static void epilogueImpl(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const Activation& act) {
  const ActConsts512 k(act);
  const bool scale = alpha != 1.0f;
  const __m512 va = _mm512_set1_ps(alpha);
  for (int i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < n; j += kVL) {
      const __mmask16 mk = colMask(n - j);
      __m512 v = _mm512_maskz_loadu_ps(mk, row + j);
      if (scale) v = _mm512_mul_ps(v, va);
      if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, bias + j));
      v = act512<K>(v, k);
      _mm512_mask_storeu_ps(row + j, mk, v);
    }
  }
}

void epilogue512(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const Activation& act) {
  switch (act.kind) {
    case ActKind::kNone:
      if (alpha != 1.0f || bias) epilogueImpl<ActKind::kNone>(c, ldc, m, n, bias, alpha, act);
      break;
    case ActKind::kRelu: epilogueImpl<ActKind::kRelu>(c, ldc, m, n, bias, alpha, act); break;
    case ActKind::kClip: epilogueImpl<ActKind::kClip>(c, ldc, m, n, bias, alpha, act); break;
    case ActKind::kLeakyRelu: epilogueImpl<ActKind::kLeakyRelu>(c, ldc, m, n, bias, alpha, act); break;
    case ActKind::kHardSigmoid: epilogueImpl<ActKind::kHardSigmoid>(c, ldc, m, n, bias, alpha, act); break;
    case ActKind::kHardSwish: epilogueImpl<ActKind::kHardSwish>(c, ldc, m, n, bias, alpha, act); break;
  }
}

// ---- micro-kernel ------------------------------------------------------------------------------

#define QINT8_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
#define QINT8_COLS(X, i) X(i, 0) X(i, 1)
#define QINT8_ACTIVE(i, j) (MR > (i) && NV > (j))

// Rows [0, MR) x NV zmm of one panel (bw floats per k) for one chunk.
template <int MR, int NV>
static QINT8_ALWAYS_INLINE void microTile(const float* const* QINT8_RESTRICT rows, size_t rs, int nseg, size_t segOff,
                                          int segLen, const float* QINT8_RESTRICT b, int bw, float* QINT8_RESTRICT c,
                                          size_t ldc, int nvalid, bool accumulate) {
  static_assert(MR >= 1 && MR <= 14 && NV >= 1 && NV <= 2, "tile shape");
  const __mmask16 mask0 = colMask(nvalid), mask1 = colMask(nvalid - 16);
  const __m512 zero = _mm512_setzero_ps();
#define QINT8_DECL(i, j) \
  __m512 c##i##_##j = (QINT8_ACTIVE(i, j) && accumulate) ? _mm512_maskz_loadu_ps(mask##j, c + (i) * ldc + 16 * (j)) : zero;
#define QINT8_DECL_ROW(i) QINT8_COLS(QINT8_DECL, i)
  QINT8_ROWS(QINT8_DECL_ROW)
#undef QINT8_DECL_ROW
#undef QINT8_DECL

  const float* bp = b;
  for (int s = 0; s < nseg; ++s) {
#define QINT8_APTR(i) const float* QINT8_RESTRICT a##i = MR > (i) ? rows[(i) * rs + s] + segOff : nullptr;
    QINT8_ROWS(QINT8_APTR)
#undef QINT8_APTR
    for (int kk = 0; kk < segLen; ++kk) {
      const __m512 b0 = _mm512_load_ps(bp);
      const __m512 b1 = NV > 1 ? _mm512_load_ps(bp + 16) : zero;
#define QINT8_FMA(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) c##i##_##j = _mm512_fmadd_ps(av, b##j, c##i##_##j);
#define QINT8_STEP(i)                              \
  if constexpr (MR > (i)) {                        \
    const __m512 av = _mm512_set1_ps(a##i[kk]);    \
    QINT8_COLS(QINT8_FMA, i)                       \
  }
      QINT8_ROWS(QINT8_STEP)
#undef QINT8_STEP
#undef QINT8_FMA
      bp += bw;
    }
  }
#define QINT8_ST(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) _mm512_mask_storeu_ps(c + (i) * ldc + 16 * (j), mask##j, c##i##_##j);
#define QINT8_ST_ROW(i) QINT8_COLS(QINT8_ST, i)
  QINT8_ROWS(QINT8_ST_ROW)
#undef QINT8_ST_ROW
#undef QINT8_ST
}
#undef QINT8_ACTIVE
#undef QINT8_COLS
#undef QINT8_ROWS

template <int NV>
static void panelRows(const SgemmTileArgs& t, const float* b, int bw, int n0, int nvalid) {
  const float* bias = t.ep->bias ? t.ep->bias + n0 : nullptr;
  int i = 0;
  for (; i + kMR <= t.m; i += kMR) {
    microTile<kMR, NV>(t.rows + i * t.rowStride, t.rowStride, t.nseg, t.segOff, t.segLen, b, bw, t.c + i * t.ldc + n0,
                       t.ldc, nvalid, t.accumulate);
    if (t.final) epilogue512(t.c + i * t.ldc + n0, t.ldc, kMR, nvalid, bias, t.ep->alpha, t.ep->act);
  }
  const int rem = t.m - i;
  if (rem == 0) return;
  const float* const* r = t.rows + i * t.rowStride;
  float* c = t.c + i * t.ldc + n0;
  switch (rem) {
#define QINT8_REM_CASE(R)                                                                                  \
  case R:                                                                                                  \
    microTile<(R < kMR ? R : 1), NV>(r, t.rowStride, t.nseg, t.segOff, t.segLen, b, bw, c, t.ldc, nvalid, \
                                     t.accumulate);                                                       \
    break;
    QINT8_REM_CASE(1) QINT8_REM_CASE(2) QINT8_REM_CASE(3) QINT8_REM_CASE(4) QINT8_REM_CASE(5)
    QINT8_REM_CASE(6) QINT8_REM_CASE(7) QINT8_REM_CASE(8) QINT8_REM_CASE(9) QINT8_REM_CASE(10)
    QINT8_REM_CASE(11) QINT8_REM_CASE(12) QINT8_REM_CASE(13)
#undef QINT8_REM_CASE
    default: break;
  }
  if (t.final) epilogue512(c, t.ldc, rem, nvalid, bias, t.ep->alpha, t.ep->act);
}

void tile512(const SgemmTileArgs& t) {
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const int w = sgemmPanelWidth(kNR, kVL, t.n, p);
    const int n0 = p * kNR;
    const int nvalid = t.n - n0 < w ? t.n - n0 : w;
    const float* b = t.b + p * t.panelStride + t.kOff * static_cast<size_t>(w);
    if (w > 16) panelRows<2>(t, b, w, n0, nvalid);
    else panelRows<1>(t, b, w, n0, nvalid);
  }
}

// 16 independent vfmadd231ps zmm per iteration, registers only. Returns the flops executed.
double peakLoop512(long iters) {
  const long n = iters;
  __asm__ volatile(
      "vxorps %%xmm30, %%xmm30, %%xmm30\n\t"
      "vxorps %%xmm31, %%xmm31, %%xmm31\n\t"
      "1:\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm0\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm1\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm2\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm3\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm4\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm5\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm6\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm7\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm8\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm9\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm10\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm11\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm12\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm13\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm14\n\t"
      "vfmadd231ps %%zmm31, %%zmm30, %%zmm15\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "xmm30", "xmm31", "cc");
  return static_cast<double>(n) * 16.0 * 16.0 * 2.0;
}

const SgemmKernelTable kTable = {Isa::kAvx512Vnni, kNR, kVL, kMR, tile512, epilogue512, peakLoop512};

}  // namespace

const SgemmKernelTable* sgemmKernelsAvx512() { return &kTable; }

}  // namespace qint8
