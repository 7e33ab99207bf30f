// qint8 — AVX-512 VNNI GEMM (vpdpbusd, zmm). Compiled with -mavx512{f,bw,vl,dq,vnni}.
//
// Packed panel: NR = 16 * kNV columns; for each group of 4 k values, NR x 4 bytes (column-major
// within the group), k padded to a multiple of 4 with zeros.
// Micro-tile: kMR rows x kNV zmm accumulators, initialised with bias32, A broadcast 4 bytes at a
// time (vpbroadcastd), one vpdpbusd per (row, zmm). The output stage runs on the registers.
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/gemm_kernels.h"

namespace qint8 {
namespace {

#ifndef QINT8_VNNI_NV
#define QINT8_VNNI_NV 3
#endif
#ifndef QINT8_VNNI_MR
#define QINT8_VNNI_MR 8
#endif
constexpr int kNV = QINT8_VNNI_NV;
constexpr int kMR = QINT8_VNNI_MR;
constexpr int kNR = 16 * kNV;
// K blocking: a depth above kKcMax is processed in chunks of kKc (multiple of 4), so that a
// panel's chunk (kKc x kNR bytes) stays in L1 while the row tiles sweep it. Partial sums go to a
// scratch buffer between chunks. Measured (same-run ratios, tools in docs/ARCHITECTURE.md): at
// K = 2304..3072 the split is 10-20% faster; at K = 1024 the whole panel (48 KB) still wins.
#ifndef QINT8_VNNI_KC
#define QINT8_VNNI_KC 512
#endif
constexpr int kKc = QINT8_VNNI_KC;
constexpr int kKcMax = 3 * kKc;
// Phases of a micro-tile in a K-split computation.
enum Phase { kWhole = 0, kFirst = 1, kMiddle = 2, kLast = 3 };

static inline size_t vnniPanelBytes(int k) { return static_cast<size_t>((k + 3) / 4) * kNR * 4; }

static void vnniPackPanel(const int8_t* w, int n, int k, int n0, uint8_t* dst) {
  const int k4 = (k + 3) / 4;
  int8_t* d = reinterpret_cast<int8_t*>(dst);
  for (int g = 0; g < k4; ++g) {
    for (int col = 0; col < kNR; ++col) {
      const int j = n0 + col;
      for (int q = 0; q < 4; ++q) {
        const int kk = 4 * g + q;
        *d++ = (j < n && kk < k) ? w[static_cast<size_t>(j) * k + kk] : 0;
      }
    }
  }
}

// acc += dot4(a_u8, b_s8) in place. Through inline asm because GCC 12 does not coalesce the
// intrinsic's tied operand: it copies each accumulator around every vpdpbusd and then spills.
static QINT8_ALWAYS_INLINE void dpbusd(__m512i& acc, __m512i a, __m512i b) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
}

static inline __mmask16 colMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1);
}

static inline int32_t loadA4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Safe load of the last 1..3 bytes of a row (the packed weights are zero there).
static inline int32_t loadATail(const uint8_t* p, int bytes) {
  int32_t v = 0;
  std::memcpy(&v, p, static_cast<size_t>(bytes));
  return v;
}

// The accumulators are named variables (c<row>_<zmm>), expanded by macros and pruned with
// `if constexpr`: GCC keeps named vector locals in registers, whereas an accumulator array is
// kept in memory and spilled around every vpdpbusd.
#define QINT8_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)
#define QINT8_COLS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3)
#define QINT8_ACTIVE(i, j) (MR > (i) && kNV > (j))

template <int MR, GemmOut OUT, bool WZP, int PHASE>
static QINT8_ALWAYS_INLINE void microTile(const uint8_t* QINT8_RESTRICT a, size_t lda, int k,
                                           const int8_t* QINT8_RESTRICT b, const GemmEpilogue& ep,
                                           int n0, int nvalid, uint8_t* QINT8_RESTRICT c,
                                           size_t ldc, const int32_t* rowsum,
                                           int32_t* QINT8_RESTRICT partial, size_t ldp) {
  static_assert(MR >= 1 && MR <= 14 && kNV >= 1 && kNV <= 4, "tile shape");
  const __mmask16 mask0 = colMask(nvalid), mask1 = colMask(nvalid - 16), mask2 = colMask(nvalid - 32),
                  mask3 = colMask(nvalid - 48);
  const __m512i zero = _mm512_setzero_si512();
  constexpr bool kInit = PHASE == kWhole || PHASE == kFirst;   // start from bias32
  constexpr bool kFinal = PHASE == kWhole || PHASE == kLast;   // run the output stage
  const __m512i bias0 = (kInit && ep.bias32) ? _mm512_maskz_loadu_epi32(mask0, ep.bias32 + n0) : zero;
  const __m512i bias1 = (kInit && kNV > 1 && ep.bias32) ? _mm512_maskz_loadu_epi32(mask1, ep.bias32 + n0 + 16) : zero;
  const __m512i bias2 = (kInit && kNV > 2 && ep.bias32) ? _mm512_maskz_loadu_epi32(mask2, ep.bias32 + n0 + 32) : zero;
  const __m512i bias3 = (kInit && kNV > 3 && ep.bias32) ? _mm512_maskz_loadu_epi32(mask3, ep.bias32 + n0 + 48) : zero;

#define QINT8_DECL(i, j) \
  __m512i c##i##_##j = kInit ? bias##j : (QINT8_ACTIVE(i, j) ? _mm512_load_si512(partial + (i) * ldp + 16 * (j)) : zero);
#define QINT8_DECL_ROW(i) QINT8_COLS(QINT8_DECL, i)
  QINT8_ROWS(QINT8_DECL_ROW)
#undef QINT8_DECL_ROW
#undef QINT8_DECL

  const uint8_t* ap = a;
  const int8_t* bp = b;
  __m512i b0, b1, b2, b3;
#define QINT8_LOADB()                                      \
  b0 = _mm512_loadu_si512(bp);                             \
  if (kNV > 1) b1 = _mm512_loadu_si512(bp + 64);           \
  if (kNV > 2) b2 = _mm512_loadu_si512(bp + 128);          \
  if (kNV > 3) b3 = _mm512_loadu_si512(bp + 192);
#define QINT8_FMA(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) dpbusd(c##i##_##j, av, b##j);
#define QINT8_STEP(i)                                                   \
  if constexpr (MR > (i)) {                                             \
    const __m512i av = _mm512_set1_epi32(LOADA(ap + (i) * lda));        \
    QINT8_COLS(QINT8_FMA, i)                                            \
  }
  const int k4 = k / 4;
  for (int g = 0; g < k4; ++g) {
    QINT8_LOADB()
#define LOADA(p) loadA4(p)
    QINT8_ROWS(QINT8_STEP)
#undef LOADA
    ap += 4;
    bp += 4 * kNR;
  }
  const int tail = k - 4 * k4;
  if (tail) {
    QINT8_LOADB()
#define LOADA(p) loadATail(p, tail)
    QINT8_ROWS(QINT8_STEP)
#undef LOADA
  }
#undef QINT8_STEP
#undef QINT8_FMA
#undef QINT8_LOADB

  if constexpr (!kFinal) {
#define QINT8_PST(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) _mm512_store_si512(partial + (i) * ldp + 16 * (j), c##i##_##j);
#define QINT8_PST_ROW(i) QINT8_COLS(QINT8_PST, i)
    QINT8_ROWS(QINT8_PST_ROW)
#undef QINT8_PST_ROW
#undef QINT8_PST
    return;
  } else {
  if constexpr (WZP) {
    const __m512i zw0 = _mm512_maskz_loadu_epi32(mask0, ep.weightZeroPoint + n0);
    const __m512i zw1 = kNV > 1 ? _mm512_maskz_loadu_epi32(mask1, ep.weightZeroPoint + n0 + 16) : zero;
    const __m512i zw2 = kNV > 2 ? _mm512_maskz_loadu_epi32(mask2, ep.weightZeroPoint + n0 + 32) : zero;
    const __m512i zw3 = kNV > 3 ? _mm512_maskz_loadu_epi32(mask3, ep.weightZeroPoint + n0 + 48) : zero;
#define QINT8_WZP(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) c##i##_##j = _mm512_sub_epi32(c##i##_##j, _mm512_mullo_epi32(rs, zw##j));
#define QINT8_WZP_ROW(i)                                 \
  if constexpr (MR > (i)) {                              \
    const __m512i rs = _mm512_set1_epi32(rowsum[i]);     \
    QINT8_COLS(QINT8_WZP, i)                             \
  }
    QINT8_ROWS(QINT8_WZP_ROW)
#undef QINT8_WZP_ROW
#undef QINT8_WZP
  }

  if constexpr (OUT == GemmOut::kS32) {
#define QINT8_ST(i, j)                                                                          \
  if constexpr (QINT8_ACTIVE(i, j))                                                             \
    _mm512_mask_storeu_epi32(reinterpret_cast<int32_t*>(c + (i) * ldc) + n0 + 16 * (j), mask##j, c##i##_##j);
#define QINT8_ST_ROW(i) QINT8_COLS(QINT8_ST, i)
    QINT8_ROWS(QINT8_ST_ROW)
#undef QINT8_ST_ROW
#undef QINT8_ST
  } else if constexpr (OUT == GemmOut::kF32) {
    const __m512 fz = _mm512_setzero_ps();
    const __m512 sc0 = _mm512_maskz_loadu_ps(mask0, ep.scale + n0);
    const __m512 sc1 = kNV > 1 ? _mm512_maskz_loadu_ps(mask1, ep.scale + n0 + 16) : fz;
    const __m512 sc2 = kNV > 2 ? _mm512_maskz_loadu_ps(mask2, ep.scale + n0 + 32) : fz;
    const __m512 sc3 = kNV > 3 ? _mm512_maskz_loadu_ps(mask3, ep.scale + n0 + 48) : fz;
    const __m512 bi0 = ep.biasF ? _mm512_maskz_loadu_ps(mask0, ep.biasF + n0) : fz;
    const __m512 bi1 = (kNV > 1 && ep.biasF) ? _mm512_maskz_loadu_ps(mask1, ep.biasF + n0 + 16) : fz;
    const __m512 bi2 = (kNV > 2 && ep.biasF) ? _mm512_maskz_loadu_ps(mask2, ep.biasF + n0 + 32) : fz;
    const __m512 bi3 = (kNV > 3 && ep.biasF) ? _mm512_maskz_loadu_ps(mask3, ep.biasF + n0 + 48) : fz;
#define QINT8_ST(i, j)                                                                                   \
  if constexpr (QINT8_ACTIVE(i, j)) {                                                                    \
    __m512 f = _mm512_cvt_roundepi32_ps(c##i##_##j, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);      \
    f = _mm512_add_ps(_mm512_mul_ps(f, sc##j), bi##j);                                                   \
    _mm512_mask_storeu_ps(reinterpret_cast<float*>(c + (i) * ldc) + n0 + 16 * (j), mask##j, f);           \
  }
#define QINT8_ST_ROW(i) QINT8_COLS(QINT8_ST, i)
    QINT8_ROWS(QINT8_ST_ROW)
#undef QINT8_ST_ROW
#undef QINT8_ST
  } else {
    const __m512 fz = _mm512_setzero_ps();
    const __m512 flo = _mm512_set1_ps(static_cast<float>(ep.lo - ep.zeroPoint));
    const __m512 fhi = _mm512_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
    const __m512i zp = _mm512_set1_epi32(ep.zeroPoint);
    const __m512 sc0 = _mm512_maskz_loadu_ps(mask0, ep.scale + n0);
    const __m512 sc1 = kNV > 1 ? _mm512_maskz_loadu_ps(mask1, ep.scale + n0 + 16) : fz;
    const __m512 sc2 = kNV > 2 ? _mm512_maskz_loadu_ps(mask2, ep.scale + n0 + 32) : fz;
    const __m512 sc3 = kNV > 3 ? _mm512_maskz_loadu_ps(mask3, ep.scale + n0 + 48) : fz;
#define QINT8_ST(i, j)                                                                                   \
  if constexpr (QINT8_ACTIVE(i, j)) {                                                                    \
    __m512 f = _mm512_cvt_roundepi32_ps(c##i##_##j, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);      \
    f = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(f, sc##j), flo), fhi);                                 \
    __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp); \
    _mm_mask_storeu_epi8(c + (i) * ldc + n0 + 16 * (j), mask##j, _mm512_cvtepi32_epi8(q));               \
  }
#define QINT8_ST_ROW(i) QINT8_COLS(QINT8_ST, i)
    QINT8_ROWS(QINT8_ST_ROW)
#undef QINT8_ST_ROW
#undef QINT8_ST
  }
  }
}
#undef QINT8_ACTIVE
#undef QINT8_COLS
#undef QINT8_ROWS

// Row tiles of one panel (rows [0, m)), for one phase of the K split.
template <GemmOut OUT, bool WZP, int PHASE>
static QINT8_ALWAYS_INLINE void panelRows(const GemmTileArgs& t, const int8_t* b, int n0, int k0, int klen,
                                          int32_t* partial, size_t ldp) {
  const int nvalid = t.n - n0;
  const uint8_t* a0 = t.a + k0;
  int i = 0;
  for (; i + kMR <= t.m; i += kMR)
    microTile<kMR, OUT, WZP, PHASE>(a0 + i * t.lda, t.lda, klen, b, t.ep, n0, nvalid, t.c + i * t.ldcBytes,
                                    t.ldcBytes, t.rowsum ? t.rowsum + i : nullptr,
                                    partial ? partial + i * ldp : nullptr, ldp);
  const int rem = t.m - i;
  if (rem == 0) return;
  const uint8_t* a = a0 + i * t.lda;
  uint8_t* c = t.c + i * t.ldcBytes;
  const int32_t* rs = t.rowsum ? t.rowsum + i : nullptr;
  int32_t* pp = partial ? partial + i * ldp : nullptr;
  switch (rem) {
#define QINT8_REM_CASE(R) \
  case R: microTile<(R < kMR ? R : 1), OUT, WZP, PHASE>(a, t.lda, klen, b, t.ep, n0, nvalid, c, t.ldcBytes, rs, pp, ldp); break;
    QINT8_REM_CASE(1) QINT8_REM_CASE(2) QINT8_REM_CASE(3) QINT8_REM_CASE(4) QINT8_REM_CASE(5)
    QINT8_REM_CASE(6) QINT8_REM_CASE(7) QINT8_REM_CASE(8) QINT8_REM_CASE(9) QINT8_REM_CASE(10)
    QINT8_REM_CASE(11) QINT8_REM_CASE(12) QINT8_REM_CASE(13)
#undef QINT8_REM_CASE
    default: break;
  }
}

static size_t vnniPartialBytes(int m, int panels, int k) {
  return k > kKcMax ? static_cast<size_t>(m) * panels * kNR * sizeof(int32_t) : 0;
}

template <GemmOut OUT, bool WZP>
static void tileImpl(const GemmTileArgs& t) {
  const int8_t* b0 = reinterpret_cast<const int8_t*>(t.b);
  if (t.k <= kKcMax) {
    for (int p = t.panelBegin; p < t.panelEnd; ++p)
      panelRows<OUT, WZP, kWhole>(t, b0 + static_cast<size_t>(p) * t.panelStride, p * kNR, 0, t.k, nullptr, 0);
    return;
  }
  // K split: chunk-major, so a panel's chunk stays in L1 across the row tiles and the chunk of A
  // (m x kKc) stays in L2 across the panels.
  const size_t ldp = static_cast<size_t>(t.panelEnd - t.panelBegin) * kNR;
  for (int k0 = 0; k0 < t.k; k0 += kKc) {
    const int klen = t.k - k0 <= kKc ? t.k - k0 : kKc;
    const bool first = k0 == 0, last = k0 + klen >= t.k;
    const size_t bOff = static_cast<size_t>(k0 / 4) * kNR * 4;
    for (int p = t.panelBegin; p < t.panelEnd; ++p) {
      const int8_t* b = b0 + static_cast<size_t>(p) * t.panelStride + bOff;
      int32_t* partial = t.partial + static_cast<size_t>(p - t.panelBegin) * kNR;
      if (first) panelRows<OUT, WZP, kFirst>(t, b, p * kNR, k0, klen, partial, ldp);
      else if (last) panelRows<OUT, WZP, kLast>(t, b, p * kNR, k0, klen, partial, ldp);
      else panelRows<OUT, WZP, kMiddle>(t, b, p * kNR, k0, klen, partial, ldp);
    }
  }
}

static void vnniTile(const GemmTileArgs& t) {
  const bool wzp = t.ep.weightZeroPoint != nullptr;
  switch (t.ep.kind) {
    case GemmOut::kU8:
    case GemmOut::kS8: wzp ? tileImpl<GemmOut::kU8, true>(t) : tileImpl<GemmOut::kU8, false>(t); break;
    case GemmOut::kF32: wzp ? tileImpl<GemmOut::kF32, true>(t) : tileImpl<GemmOut::kF32, false>(t); break;
    case GemmOut::kS32: wzp ? tileImpl<GemmOut::kS32, true>(t) : tileImpl<GemmOut::kS32, false>(t); break;
  }
}

// 12 independent vpdpbusd per iteration, registers only. Returns the MACs executed.
static double vnniPeakLoop(long iters) {
  const long n = iters;
  __asm__ volatile(
      "vpternlogd $0xff, %%zmm30, %%zmm30, %%zmm30\n\t"
      "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n\t"
      "1:\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm0\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm1\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm2\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm3\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm4\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm5\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm6\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm7\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm8\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm9\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm10\n\t"
      "vpdpbusd %%zmm31, %%zmm30, %%zmm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm30", "xmm31", "cc");
  return static_cast<double>(n) * 12.0 * 64.0;
}

const GemmKernelTable kVnni = {
    Isa::kAvx512Vnni, kNR, kMR, vnniPanelBytes, vnniPackPanel, vnniTile, vnniPartialBytes,
    nullptr, nullptr, nullptr, vnniPeakLoop,
};

}  // namespace

const GemmKernelTable* gemmKernelsAvx512Vnni() { return &kVnni; }

}  // namespace qint8
