// qint8 — implicit-GEMM convolution kernel, AVX-512 VNNI (vpdpbusd, zmm). Compiled with
// -mavx512{f,bw,vl,dq,vnni}.
//
// Packed panel: 16 * NV columns; for each group of 4 k values, 16 * NV x 4 bytes (column-major
// within the group). k = kp * cinG with cinG a multiple of 4, so a group never straddles two
// kernel positions and the A operand of a group is 4 bytes at ind[i][t] + 4 * g.
// Micro-tile: MR rows x NV zmm accumulators (6 x 4 for full 64-column panels, 8 x NV for
// narrower tail panels), initialised with bias32; per kernel position the MR row pointers are
// read from the indirection buffer, then each 4-byte group of A is broadcast (vpbroadcastd from
// memory) and feeds NV vpdpbusd. The output stage runs on the registers.
//
// Permuted 64-column panels (u8/s8 output): the columns are packed in igemmPermutedColumn order,
// so the 4 accumulators of a row narrow to bytes with two in-lane saturating packs and no
// permute (see stage notes below).
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/conv_kernels.h"

namespace qint8 {
namespace {

// acc += dot4(a_u8, b_s8) in place (inline asm: see gemm_avx512vnni.cc for why).
static QINT8_ALWAYS_INLINE void dpbusd(__m512i& acc, __m512i a, __m512i b) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
}

static inline __mmask16 colMask(int valid) {
  return valid >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : valid <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << valid) - 1);
}

static inline __mmask64 byteMask(int valid) {
  return valid >= 64 ? ~static_cast<__mmask64>(0) : valid <= 0 ? 0 : ((static_cast<__mmask64>(1) << valid) - 1);
}

static inline int32_t loadA4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

static int igemmMr(int nv) { return nv >= 4 ? 6 : 8; }

static size_t igemmPanelBytes(int nv, int k) { return static_cast<size_t>((k + 3) / 4) * 16 * nv * 4; }

static void igemmPackPanel(const int8_t* w, int n, int k, int n0, int nv, bool permuted, uint8_t* dst) {
  const int k4 = (k + 3) / 4, nr = 16 * nv;
  int8_t* d = reinterpret_cast<int8_t*>(dst);
  for (int g = 0; g < k4; ++g)
    for (int s = 0; s < nr; ++s) {
      const int j = n0 + (permuted ? igemmPermutedColumn(s) : s);
      for (int q = 0; q < 4; ++q) {
        const int kk = 4 * g + q;
        *d++ = (j < n && kk < k) ? w[static_cast<size_t>(j) * k + kk] : 0;
      }
    }
}

// Named accumulators c<row>_<vector>, expanded by macros and pruned with if constexpr (an array
// of accumulators is kept in memory by GCC 12).
#define IG_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define IG_COLS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3)
#define IG_ACTIVE(i, j) (MR > (i) && NV > (j))

template <int MR, int NV, bool PERM>
static QINT8_ALWAYS_INLINE void microTile(const uint8_t* const* QINT8_RESTRICT ind, size_t aOff, int kp, int g4,
                                           const int8_t* QINT8_RESTRICT b, const GemmEpilogue& ep, int nvalid,
                                           uint8_t* QINT8_RESTRICT c, size_t ldc) {
  static_assert(MR >= 1 && MR <= 8 && NV >= 1 && NV <= 4, "tile shape");
  // Column masks (a permuted panel's columns are spread over all four vectors; its arrays are
  // padded with zeros, so it loads them whole).
  const __mmask16 mask0 = colMask(PERM ? 64 : nvalid), mask1 = colMask(PERM ? 64 : nvalid - 16),
                  mask2 = colMask(PERM ? 64 : nvalid - 32), mask3 = colMask(PERM ? 64 : nvalid - 48);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i bias0 = ep.bias32 ? _mm512_maskz_loadu_epi32(mask0, ep.bias32) : zero;
  const __m512i bias1 = (NV > 1 && ep.bias32) ? _mm512_maskz_loadu_epi32(mask1, ep.bias32 + 16) : zero;
  const __m512i bias2 = (NV > 2 && ep.bias32) ? _mm512_maskz_loadu_epi32(mask2, ep.bias32 + 32) : zero;
  const __m512i bias3 = (NV > 3 && ep.bias32) ? _mm512_maskz_loadu_epi32(mask3, ep.bias32 + 48) : zero;
#define IG_DECL(i, j) __m512i c##i##_##j = bias##j;
#define IG_DECL_ROW(i) IG_COLS(IG_DECL, i)
  IG_ROWS(IG_DECL_ROW)
#undef IG_DECL_ROW
#undef IG_DECL

  const int8_t* bp = b;
  __m512i b0, b1, b2, b3;
  for (int t = 0; t < kp; ++t) {
#define IG_PTR(i) const uint8_t* a##i = MR > (i) ? ind[(i) * kp + t] + aOff : nullptr;
    IG_ROWS(IG_PTR)
#undef IG_PTR
    for (int g = 0; g < g4; ++g) {
      const size_t off = 4 * static_cast<size_t>(g);
      b0 = _mm512_loadu_si512(bp);
      if (NV > 1) b1 = _mm512_loadu_si512(bp + 64);
      if (NV > 2) b2 = _mm512_loadu_si512(bp + 128);
      if (NV > 3) b3 = _mm512_loadu_si512(bp + 192);
      bp += 64 * NV;
#define IG_FMA(i, j) \
  if constexpr (IG_ACTIVE(i, j)) dpbusd(c##i##_##j, av, b##j);
#define IG_STEP(i)                                                \
  if constexpr (MR > (i)) {                                       \
    const __m512i av = _mm512_set1_epi32(loadA4(a##i + off));     \
    IG_COLS(IG_FMA, i)                                            \
  }
      IG_ROWS(IG_STEP)
#undef IG_STEP
#undef IG_FMA
    }
  }

  if constexpr (PERM) {
    // u8/s8 output of a permuted 64-column panel. Per row: v = float(acc) * M; v = min(hi - zp, v)
    // (operands in this order so that a NaN gives NaN, converted to INT_MIN below, i.e. the
    // lower bound, as MAXPS/MINPS clamping does); r = roundHalfEven(v) as int32 (values below
    // -2^31 give INT_MIN); packssdw saturates to int16, vpaddsw adds the zero point saturating,
    // packuswb/packsswb saturate to the type and vpmaxub/vpmaxsb apply lo. For every r this
    // equals clamp(r + zp, lo, hi) = roundHalfEven(clamp(v, lo - zp, hi - zp)) + zp, since the
    // bounds are integers (rounding commutes with clamping to them) and each saturation only
    // moves values that end below lo.
    const __m512 fhi = _mm512_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
    const __m512i zp16 = _mm512_set1_epi16(static_cast<int16_t>(ep.zeroPoint));
    const __m512i lo8 = _mm512_set1_epi8(static_cast<char>(ep.lo));
    const __m512 sc0 = _mm512_loadu_ps(ep.scale), sc1 = _mm512_loadu_ps(ep.scale + 16);
    const __m512 sc2 = _mm512_loadu_ps(ep.scale + 32), sc3 = _mm512_loadu_ps(ep.scale + 48);
    const __mmask64 m8 = byteMask(nvalid);
    const bool s8 = ep.kind == GemmOut::kS8;
#define IG_Q(i, j)                                                                                        \
  const __m512i q##j = _mm512_cvt_roundps_epi32(                                                          \
      _mm512_min_ps(fhi, _mm512_mul_ps(_mm512_cvt_roundepi32_ps(c##i##_##j, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), sc##j)), \
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#define IG_PST(i)                                                                                  \
  if constexpr (MR > (i)) {                                                                        \
    IG_COLS(IG_Q, i)                                                                               \
    const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(q0, q1), zp16);                       \
    const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(q2, q3), zp16);                       \
    const __m512i bytes = s8 ? _mm512_max_epi8(_mm512_packs_epi16(p01, p23), lo8)                  \
                             : _mm512_max_epu8(_mm512_packus_epi16(p01, p23), lo8);                \
    _mm512_mask_storeu_epi8(c + (i) * ldc, m8, bytes);                                             \
  }
    IG_ROWS(IG_PST)
#undef IG_PST
#undef IG_Q
  } else {
    switch (ep.kind) {
      case GemmOut::kU8:
      case GemmOut::kS8: {
        const __m512 fz = _mm512_setzero_ps();
        const __m512 flo = _mm512_set1_ps(static_cast<float>(ep.lo - ep.zeroPoint));
        const __m512 fhi = _mm512_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
        const __m512i zp = _mm512_set1_epi32(ep.zeroPoint);
        const __m512 sc0 = _mm512_maskz_loadu_ps(mask0, ep.scale);
        const __m512 sc1 = NV > 1 ? _mm512_maskz_loadu_ps(mask1, ep.scale + 16) : fz;
        const __m512 sc2 = NV > 2 ? _mm512_maskz_loadu_ps(mask2, ep.scale + 32) : fz;
        const __m512 sc3 = NV > 3 ? _mm512_maskz_loadu_ps(mask3, ep.scale + 48) : fz;
#define IG_ST(i, j)                                                                                      \
  if constexpr (IG_ACTIVE(i, j)) {                                                                       \
    __m512 f = _mm512_cvt_roundepi32_ps(c##i##_##j, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);      \
    f = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(f, sc##j), flo), fhi);                                 \
    __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp); \
    _mm_mask_storeu_epi8(c + (i) * ldc + 16 * (j), mask##j, _mm512_cvtepi32_epi8(q));                   \
  }
#define IG_ST_ROW(i) IG_COLS(IG_ST, i)
        IG_ROWS(IG_ST_ROW)
#undef IG_ST_ROW
#undef IG_ST
        break;
      }
      case GemmOut::kF32: {
        const __m512 fz = _mm512_setzero_ps();
        const __m512 sc0 = _mm512_maskz_loadu_ps(mask0, ep.scale);
        const __m512 sc1 = NV > 1 ? _mm512_maskz_loadu_ps(mask1, ep.scale + 16) : fz;
        const __m512 sc2 = NV > 2 ? _mm512_maskz_loadu_ps(mask2, ep.scale + 32) : fz;
        const __m512 sc3 = NV > 3 ? _mm512_maskz_loadu_ps(mask3, ep.scale + 48) : fz;
        const __m512 bi0 = ep.biasF ? _mm512_maskz_loadu_ps(mask0, ep.biasF) : fz;
        const __m512 bi1 = (NV > 1 && ep.biasF) ? _mm512_maskz_loadu_ps(mask1, ep.biasF + 16) : fz;
        const __m512 bi2 = (NV > 2 && ep.biasF) ? _mm512_maskz_loadu_ps(mask2, ep.biasF + 32) : fz;
        const __m512 bi3 = (NV > 3 && ep.biasF) ? _mm512_maskz_loadu_ps(mask3, ep.biasF + 48) : fz;
#define IG_ST(i, j)                                                                                      \
  if constexpr (IG_ACTIVE(i, j)) {                                                                       \
    __m512 f = _mm512_cvt_roundepi32_ps(c##i##_##j, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);      \
    f = _mm512_add_ps(_mm512_mul_ps(f, sc##j), bi##j);                                                   \
    _mm512_mask_storeu_ps(reinterpret_cast<float*>(c + (i) * ldc) + 16 * (j), mask##j, f);               \
  }
#define IG_ST_ROW(i) IG_COLS(IG_ST, i)
        IG_ROWS(IG_ST_ROW)
#undef IG_ST_ROW
#undef IG_ST
        break;
      }
      case GemmOut::kS32: {
#define IG_ST(i, j) \
  if constexpr (IG_ACTIVE(i, j)) _mm512_mask_storeu_epi32(reinterpret_cast<int32_t*>(c + (i) * ldc) + 16 * (j), mask##j, c##i##_##j);
#define IG_ST_ROW(i) IG_COLS(IG_ST, i)
        IG_ROWS(IG_ST_ROW)
#undef IG_ST_ROW
#undef IG_ST
        break;
      }
    }
  }
}
#undef IG_ACTIVE
#undef IG_COLS
#undef IG_ROWS

template <int NV, bool PERM>
static void runPanel(const IgemmArgs& a) {
  constexpr int MR = NV >= 4 ? 6 : 8;
  const int g4 = a.cinG / 4, kp = a.kp;
  const int8_t* b = reinterpret_cast<const int8_t*>(a.b);
  int i = 0;
  for (; i + MR <= a.m; i += MR)
    microTile<MR, NV, PERM>(a.ind + static_cast<size_t>(i) * kp, a.aOffset, kp, g4, b, a.ep, a.nvalid,
                            a.c + i * a.ldcBytes, a.ldcBytes);
  const uint8_t* const* ind = a.ind + static_cast<size_t>(i) * kp;
  uint8_t* c = a.c + i * a.ldcBytes;
  switch (a.m - i) {
#define IG_REM(R) \
  case R: microTile<(R < MR ? R : 1), NV, PERM>(ind, a.aOffset, kp, g4, b, a.ep, a.nvalid, c, a.ldcBytes); break;
    IG_REM(1) IG_REM(2) IG_REM(3) IG_REM(4) IG_REM(5) IG_REM(6) IG_REM(7)
#undef IG_REM
    default: break;
  }
}

static void igemmRun(const IgemmArgs& a) {
  switch (a.nv) {
    case 1: runPanel<1, false>(a); break;
    case 2: runPanel<2, false>(a); break;
    case 3: runPanel<3, false>(a); break;
    default: a.permuted ? runPanel<4, true>(a) : runPanel<4, false>(a); break;
  }
}

const IgemmKernelTable kTable = {Isa::kAvx512Vnni, igemmMr, igemmPanelBytes, igemmPackPanel, igemmRun};

}  // namespace

const IgemmKernelTable* igemmKernelsAvx512Vnni() { return &kTable; }

}  // namespace qint8
