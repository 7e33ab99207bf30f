// qint8 — float32 GEMM, AVX-512 (zmm FMA). Compiled with the avx512vnni folder's flags; uses
// AVX-512F only.
//
// Panels of 64 columns (4 zmm), k-major; the last panel is narrowed to 16, 32 or 48 columns.
// Micro-tile: MR(NV) rows x NV zmm named accumulators (c<row>_<zmm>): 6 x 4, 8 x 3, 12 x 2 and
// 12 x 1, so that every width keeps 12 to 24 independent chains and few A pointers. Per k: NV
// loads of B and one broadcast of A per row. Every accumulator is one FMA chain in increasing k,
// so the result equals the scalar reference bit for bit.
//
// Measured in L1 (same-run comparisons, 120 x 64 x 256..576): 6 x 4 reaches 100% of the FMA peak
// where 12 x 2 (32-column panels) reaches 83-87% (its 12 A pointers do not fit the integer
// registers, and the extra loads cost); 7 x 4 is no better; 8 x 3 is worse on 64 columns.
#include <immintrin.h>

#include "../../../runtime/sgemm_kernels.h"
#include "act_avx512.h"

namespace qint8 {
namespace {

// Rows per micro-tile for NV zmm columns.
template <int NV>
constexpr int mrFor() {
  return NV == 4 ? 6 : NV == 3 ? 8 : 12;
}
constexpr int kMRMax = 12;
#define QINT8_PRAGMA(x) _Pragma(#x)
#define QINT8_UNROLL(n) QINT8_PRAGMA(GCC unroll n)
// The k loop unrolled twice: 92% of the FMA peak in L1 against 84-88% not unrolled (same-run
// comparison, 120 x 64 x 512 and 120 x 32 x 256); four times is no better.
#ifndef QINT8_SGEMM512_UNROLL
#define QINT8_SGEMM512_UNROLL 2
#endif
#define QINT8_UNROLL_K QINT8_UNROLL(QINT8_SGEMM512_UNROLL)
constexpr int kNV = 4;  // zmm per panel
constexpr int kNR = 16 * kNV;
constexpr int kVL = 16;

static inline __mmask16 colMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1);
}

// ---- epilogue ----------------------------------------------------------------------------------

template <ActKind K>
static void epilogueImpl(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const float* sum, size_t ldsum,
                         const Activation& act) {
  const ActConsts512 k(act);
  const bool scale = alpha != 1.0f;
  const __m512 va = _mm512_set1_ps(alpha);
  for (int i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    const float* srow = sum ? sum + i * ldsum : nullptr;
    for (int j = 0; j < n; j += kVL) {
      const __mmask16 mk = colMask(n - j);
      __m512 v = _mm512_maskz_loadu_ps(mk, row + j);
      if (scale) v = _mm512_mul_ps(v, va);
      if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, bias + j));
      if (srow) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk, srow + j));
      v = act512<K>(v, k);
      _mm512_mask_storeu_ps(row + j, mk, v);
    }
  }
}

void epilogue512(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const float* sum, size_t ldsum,
                 const Activation& act) {
  switch (act.kind) {
    case ActKind::kNone:
      if (alpha != 1.0f || bias || sum) epilogueImpl<ActKind::kNone>(c, ldc, m, n, bias, alpha, sum, ldsum, act);
      break;
    case ActKind::kRelu: epilogueImpl<ActKind::kRelu>(c, ldc, m, n, bias, alpha, sum, ldsum, act); break;
    case ActKind::kClip: epilogueImpl<ActKind::kClip>(c, ldc, m, n, bias, alpha, sum, ldsum, act); break;
    case ActKind::kLeakyRelu: epilogueImpl<ActKind::kLeakyRelu>(c, ldc, m, n, bias, alpha, sum, ldsum, act); break;
    case ActKind::kHardSigmoid: epilogueImpl<ActKind::kHardSigmoid>(c, ldc, m, n, bias, alpha, sum, ldsum, act); break;
    case ActKind::kHardSwish: epilogueImpl<ActKind::kHardSwish>(c, ldc, m, n, bias, alpha, sum, ldsum, act); break;
  }
}

// ---- micro-kernel ------------------------------------------------------------------------------

#define QINT8_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define QINT8_COLS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3)
#define QINT8_ACTIVE(i, j) (MR > (i) && NV > (j))

// Rows [0, MR) x NV zmm of one panel (bw floats per k) for one chunk.
template <int MR, int NV>
static QINT8_ALWAYS_INLINE void microTile(const float* const* QINT8_RESTRICT rows, size_t rs, int nseg, size_t segOff,
                                          int segLen, const float* QINT8_RESTRICT b, float* QINT8_RESTRICT c,
                                          size_t ldc, int nvalid, bool accumulate, const char* pf = nullptr,
                                          int pfLines = 0) {
  constexpr int bw = 16 * NV;  // panel width
  static_assert(MR >= 1 && MR <= kMRMax && NV >= 1 && NV <= 4, "tile shape");
  const __mmask16 mask0 = colMask(nvalid), mask1 = colMask(nvalid - 16), mask2 = colMask(nvalid - 32),
                  mask3 = colMask(nvalid - 48);
  const __m512 zero = _mm512_setzero_ps();
#define QINT8_DECL(i, j) \
  __m512 c##i##_##j = (QINT8_ACTIVE(i, j) && accumulate) ? _mm512_maskz_loadu_ps(mask##j, c + (i) * ldc + 16 * (j)) : zero;
#define QINT8_DECL_ROW(i) QINT8_COLS(QINT8_DECL, i)
  QINT8_ROWS(QINT8_DECL_ROW)
#undef QINT8_DECL_ROW
#undef QINT8_DECL

  const float* bp = b;
  int pfLeft = pfLines;
  for (int s = 0; s < nseg; ++s) {
#define QINT8_APTR(i) const float* QINT8_RESTRICT a##i = MR > (i) ? rows[(i) * rs + s] + segOff : nullptr;
    QINT8_ROWS(QINT8_APTR)
#undef QINT8_APTR
    QINT8_UNROLL_K
    for (int kk = 0; kk < segLen; ++kk) {
      if (pfLeft > 0) {
        _mm_prefetch(pf, _MM_HINT_T1);
        pf += 64;
        --pfLeft;
      }
      const __m512 b0 = _mm512_load_ps(bp);
      const __m512 b1 = NV > 1 ? _mm512_load_ps(bp + 16) : zero;
      const __m512 b2 = NV > 2 ? _mm512_load_ps(bp + 32) : zero;
      const __m512 b3 = NV > 3 ? _mm512_load_ps(bp + 48) : zero;
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
static void panelRows(const SgemmTileArgs& t, const float* b, int n0, int nvalid) {
  constexpr int kMR = mrFor<NV>();
  const float* bias = t.ep->bias ? t.ep->bias + n0 : nullptr;
  const float* sum = t.ep->sum ? t.ep->sum + n0 : nullptr;
  // Prefetch of the next call's B, spread over the row tiles.
  const int tiles = (t.m + kMR - 1) / kMR;
  const int pfAll = t.prefetch ? static_cast<int>((t.prefetchFloats + 15) / 16) : 0;
  const int pfPer = (pfAll + tiles - 1) / tiles;
  const char* pf = reinterpret_cast<const char*>(t.prefetch);
  auto pfCount = [&](int tile) { const int l = pfAll - tile * pfPer; return l < 0 ? 0 : l < pfPer ? l : pfPer; };
  int i = 0;
  for (; i + kMR <= t.m; i += kMR) {
    microTile<kMR, NV>(t.rows + i * t.rowStride, t.rowStride, t.nseg, t.segOff, t.segLen, b, t.c + i * t.ldc + n0,
                       t.ldc, nvalid, t.accumulate, pf + static_cast<size_t>(i / kMR) * pfPer * 64, pfCount(i / kMR));
    if (t.final)
      epilogue512(t.c + i * t.ldc + n0, t.ldc, kMR, nvalid, bias, t.ep->alpha, sum ? sum + i * t.ep->ldsum : nullptr,
                 t.ep->ldsum, t.ep->act);
  }
  const int rem = t.m - i;
  if (rem == 0) return;
  const float* const* r = t.rows + i * t.rowStride;
  float* c = t.c + i * t.ldc + n0;
  switch (rem) {
#define QINT8_REM_CASE(R)                                                                                  \
  case R:                                                                                                  \
    microTile<(R < kMR ? R : 1), NV>(r, t.rowStride, t.nseg, t.segOff, t.segLen, b, c, t.ldc, nvalid,     \
                                     t.accumulate, pf + static_cast<size_t>(i / kMR) * pfPer * 64,        \
                                     pfCount(i / kMR));                                                   \
    break;
    QINT8_REM_CASE(1) QINT8_REM_CASE(2) QINT8_REM_CASE(3) QINT8_REM_CASE(4) QINT8_REM_CASE(5)
    QINT8_REM_CASE(6) QINT8_REM_CASE(7) QINT8_REM_CASE(8) QINT8_REM_CASE(9) QINT8_REM_CASE(10)
    QINT8_REM_CASE(11)
#undef QINT8_REM_CASE
    default: break;
  }
  if (t.final)
    epilogue512(c, t.ldc, rem, nvalid, bias, t.ep->alpha, sum ? sum + i * t.ep->ldsum : nullptr, t.ep->ldsum, t.ep->act);
}

void tile512(const SgemmTileArgs& t) {
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const int w = sgemmPanelWidth(kNR, kVL, t.n, p);
    const int n0 = p * kNR;
    const int nvalid = t.n - n0 < w ? t.n - n0 : w;
    const float* b = t.b + p * t.panelStride + t.kOff * static_cast<size_t>(w);
    switch (w / 16) {
      case 1: panelRows<1>(t, b, n0, nvalid); break;
      case 2: if constexpr (kNV >= 2) panelRows<2>(t, b, n0, nvalid); break;
      case 3: if constexpr (kNV >= 3) panelRows<3>(t, b, n0, nvalid); break;
      case 4: if constexpr (kNV >= 4) panelRows<4>(t, b, n0, nvalid); break;
      default: break;
    }
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

// mr: row blocks are multiples of 24 (a multiple of every micro-tile height).
const SgemmKernelTable kTable = {Isa::kAvx512Vnni, kNR, kVL, 24, tile512, epilogue512, peakLoop512, true};

}  // namespace

const SgemmKernelTable* sgemmKernelsAvx512() { return &kTable; }

}  // namespace qint8
