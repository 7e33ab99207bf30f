// qint8 — float32 GEMM, AVX2 + FMA (ymm). Compiled with -mavx2 -mfma.
//
// Panels of 16 columns (2 ymm), k-major; the last panel is 8 wide when at most 8 columns remain.
// Micro-tile: 6 rows x 2 ymm = 12 named accumulators, 2 loads of B and 6 broadcasts of A per k.
// Every accumulator is one FMA chain in increasing k: bit-exact with the scalar reference.
#include <immintrin.h>

#include "../../../runtime/sgemm_kernels.h"
#include "act_avx2.h"

namespace qint8 {
namespace {

constexpr int kMR = 6;
constexpr int kNR = 16;
constexpr int kVL = 8;

static inline __m256 loadN(const float* p, int valid) {
  return valid >= 8 ? _mm256_loadu_ps(p) : valid <= 0 ? _mm256_setzero_ps() : _mm256_maskload_ps(p, laneMask256(valid));
}
static inline void storeN(float* p, __m256 v, int valid) {
  if (valid >= 8) _mm256_storeu_ps(p, v);
  else if (valid > 0) _mm256_maskstore_ps(p, laneMask256(valid), v);
}

// ---- epilogue ----------------------------------------------------------------------------------

template <ActKind K>
static void epilogueImpl(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const float* sum, size_t ldsum,
                         const Activation& act) {
  const ActConsts256 k(act);
  const bool scale = alpha != 1.0f;
  const __m256 va = _mm256_set1_ps(alpha);
  for (int i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    const float* srow = sum ? sum + i * ldsum : nullptr;
    for (int j = 0; j < n; j += kVL) {
      __m256 v = loadN(row + j, n - j);
      if (scale) v = _mm256_mul_ps(v, va);
      if (bias) v = _mm256_add_ps(v, loadN(bias + j, n - j));
      if (srow) v = _mm256_add_ps(v, loadN(srow + j, n - j));
      v = act256<K>(v, k);
      storeN(row + j, v, n - j);
    }
  }
}

void epilogue256(float* c, size_t ldc, int m, int n, const float* bias, float alpha, const float* sum, size_t ldsum,
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

#define QINT8_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define QINT8_COLS(X, i) X(i, 0) X(i, 1)
#define QINT8_ACTIVE(i, j) (MR > (i) && NV > (j))

template <int MR, int NV>
static QINT8_ALWAYS_INLINE void microTile(const float* const* QINT8_RESTRICT rows, size_t rs, int nseg, size_t segOff,
                                          int segLen, const float* QINT8_RESTRICT b, int bw, float* QINT8_RESTRICT c,
                                          size_t ldc, int nvalid, bool accumulate) {
  static_assert(MR >= 1 && MR <= 6 && NV >= 1 && NV <= 2, "tile shape");
  const __m256 zero = _mm256_setzero_ps();
#define QINT8_DECL(i, j) \
  __m256 c##i##_##j = (QINT8_ACTIVE(i, j) && accumulate) ? loadN(c + (i) * ldc + 8 * (j), nvalid - 8 * (j)) : zero;
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
      const __m256 b0 = _mm256_load_ps(bp);
      const __m256 b1 = NV > 1 ? _mm256_load_ps(bp + 8) : zero;
#define QINT8_FMA(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) c##i##_##j = _mm256_fmadd_ps(av, b##j, c##i##_##j);
#define QINT8_STEP(i)                                  \
  if constexpr (MR > (i)) {                            \
    const __m256 av = _mm256_broadcast_ss(a##i + kk);  \
    QINT8_COLS(QINT8_FMA, i)                           \
  }
      QINT8_ROWS(QINT8_STEP)
#undef QINT8_STEP
#undef QINT8_FMA
      bp += bw;
    }
  }
#define QINT8_ST(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) storeN(c + (i) * ldc + 8 * (j), c##i##_##j, nvalid - 8 * (j));
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
  const float* sum = t.ep->sum ? t.ep->sum + n0 : nullptr;
  int i = 0;
  for (; i + kMR <= t.m; i += kMR) {
    microTile<kMR, NV>(t.rows + i * t.rowStride, t.rowStride, t.nseg, t.segOff, t.segLen, b, bw, t.c + i * t.ldc + n0,
                       t.ldc, nvalid, t.accumulate);
    if (t.final)
      epilogue256(t.c + i * t.ldc + n0, t.ldc, kMR, nvalid, bias, t.ep->alpha, sum ? sum + i * t.ep->ldsum : nullptr,
                 t.ep->ldsum, t.ep->act);
  }
  const int rem = t.m - i;
  if (rem == 0) return;
  const float* const* r = t.rows + i * t.rowStride;
  float* c = t.c + i * t.ldc + n0;
  switch (rem) {
#define QINT8_REM_CASE(R)                                                                                          \
  case R:                                                                                                          \
    microTile<R, NV>(r, t.rowStride, t.nseg, t.segOff, t.segLen, b, bw, c, t.ldc, nvalid, t.accumulate); \
    break;
    QINT8_REM_CASE(1) QINT8_REM_CASE(2) QINT8_REM_CASE(3) QINT8_REM_CASE(4) QINT8_REM_CASE(5)
#undef QINT8_REM_CASE
    default: break;
  }
  if (t.final)
    epilogue256(c, t.ldc, rem, nvalid, bias, t.ep->alpha, sum ? sum + i * t.ep->ldsum : nullptr, t.ep->ldsum, t.ep->act);
}

void tile256(const SgemmTileArgs& t) {
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const int w = sgemmPanelWidth(kNR, kVL, t.n, p);
    const int n0 = p * kNR;
    const int nvalid = t.n - n0 < w ? t.n - n0 : w;
    const float* b = t.b + p * t.panelStride + t.kOff * static_cast<size_t>(w);
    if (w > 8) panelRows<2>(t, b, w, n0, nvalid);
    else panelRows<1>(t, b, w, n0, nvalid);
  }
}

// 12 independent vfmadd231ps ymm per iteration, registers only. Returns the flops executed.
double peakLoop256(long iters) {
  const long n = iters;
  __asm__ volatile(
      "vxorps %%ymm14, %%ymm14, %%ymm14\n\t"
      "vxorps %%ymm15, %%ymm15, %%ymm15\n\t"
      "1:\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm0\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm1\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm2\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm3\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm4\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm5\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm6\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm7\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm8\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm9\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm10\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm14",
        "xmm15", "cc");
  return static_cast<double>(n) * 12.0 * 8.0 * 2.0;
}

const SgemmKernelTable kTable = {Isa::kAvx2, kNR, kVL, kMR, tile256, epilogue256, peakLoop256, false};

}  // namespace

const SgemmKernelTable* sgemmKernelsAvx2() { return &kTable; }

}  // namespace qint8
