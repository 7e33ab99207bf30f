// qint8 — exact AVX2 GEMM. Compiled with -mavx2 -mfma.
//
// vpmaddubsw would saturate its 16-bit pair sums (255*127*2 > 32767), so this path widens both
// operands to int16 and uses vpmaddwd, whose pair sums cannot overflow int32: exact for every
// input. A is widened once per call into a scratch buffer (prepareA); the weights are widened at
// pack time.
//
// Packed panel: NR = 8 * kNV columns; for each pair of k values, NR columns x 2 int16, k padded
// to even with zeros. Micro-tile: kMR rows x kNV ymm accumulators (8 int32 columns each).
#include <immintrin.h>

#include <cstring>

#include "../../../runtime/gemm_kernels.h"

namespace qint8 {
namespace {

#ifndef QINT8_AVX2_NV
#define QINT8_AVX2_NV 2
#endif
#ifndef QINT8_AVX2_MR
#define QINT8_AVX2_MR 6
#endif
constexpr int kNV = QINT8_AVX2_NV;  // ymm accumulators per row (8 int32 columns each)
constexpr int kMR = QINT8_AVX2_MR;
constexpr int kNR = 8 * kNV;

static inline size_t avx2PanelBytes(int k) { return static_cast<size_t>((k + 1) / 2) * kNR * 4; }

static void avx2PackPanel(const int8_t* w, int n, int k, int n0, uint8_t* dst) {
  const int k2 = (k + 1) / 2;
  int16_t* d = reinterpret_cast<int16_t*>(dst);
  for (int g = 0; g < k2; ++g) {
    for (int col = 0; col < kNR; ++col) {
      const int j = n0 + col;
      for (int q = 0; q < 2; ++q) {
        const int kk = 2 * g + q;
        *d++ = (j < n && kk < k) ? w[static_cast<size_t>(j) * k + kk] : 0;
      }
    }
  }
}

static inline size_t avx2ALd(int k) { return static_cast<size_t>((k + 1) & ~1); }  // int16 elements
static inline size_t avx2ABytes(int m, int k) { return static_cast<size_t>(m) * avx2ALd(k) * 2; }

// Widens A (u8, or s8 flipped to u8 by x ^ 0x80) to int16 rows of avx2ALd(k) elements.
static void avx2PrepareA(const uint8_t* a, size_t lda, bool aSigned, int m, int k, void* dst) {
  const size_t ld = avx2ALd(k);
  const __m128i flip = _mm_set1_epi8(aSigned ? static_cast<char>(0x80) : 0);
  for (int i = 0; i < m; ++i) {
    const uint8_t* src = a + static_cast<size_t>(i) * lda;
    int16_t* d = static_cast<int16_t*>(dst) + static_cast<size_t>(i) * ld;
    int kk = 0;
    for (; kk + 16 <= k; kk += 16) {
      const __m128i v = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + kk)), flip);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + kk), _mm256_cvtepu8_epi16(v));
    }
    const uint8_t f = aSigned ? 0x80 : 0;
    for (; kk < k; ++kk) d[kk] = static_cast<int16_t>(static_cast<uint8_t>(src[kk] ^ f));
    if (static_cast<size_t>(k) < ld) d[k] = 0;
  }
}

static inline __m256i tailMask(int valid) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), idx);
}

// acc += madd(a, b), as one unit: with the intrinsics GCC hoists every broadcast and vpmaddwd of
// a k step ahead of the adds, which needs more than 16 ymm registers and spills accumulators.
static QINT8_ALWAYS_INLINE void maddAcc(__m256i& acc, __m256i a, __m256i b) {
  __m256i tmp;
  __asm__("vpmaddwd %2, %3, %1\n\tvpaddd %1, %0, %0" : "+x"(acc), "=&x"(tmp) : "x"(b), "x"(a));
}

static inline int32_t loadPair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Low byte of each int32 lane, packed into the low 8 bytes.
static inline __m128i lowBytes(__m256i q) {
  const __m256i shuf = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i b = _mm256_shuffle_epi8(q, shuf);
  const __m256i p = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
  return _mm256_castsi256_si128(p);
}

// Named accumulators (c<row>_<ymm>) expanded by macros and pruned by `if constexpr`, as in the
// AVX-512 kernel: GCC keeps them in registers.
#define QINT8_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define QINT8_COLS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3)
#define QINT8_ACTIVE(i, j) (MR > (i) && kNV > (j))

// Stores the low `valid` (clamped to 0..8) of 8 bytes.
static inline void storeBytes(uint8_t* dst, int valid, __m128i bytes) {
  if (valid >= 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), bytes);
  } else if (valid > 0) {
    alignas(16) uint8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
    std::memcpy(dst, tmp, static_cast<size_t>(valid));
  }
}

template <int MR, GemmOut OUT, bool WZP>
static QINT8_ALWAYS_INLINE void microTile(const int16_t* QINT8_RESTRICT a, size_t lda, int k,
                                           const int16_t* QINT8_RESTRICT b, const GemmEpilogue& ep,
                                           int n0, int nvalid, uint8_t* QINT8_RESTRICT c,
                                           size_t ldc, const int32_t* rowsum) {
  static_assert(MR >= 1 && MR <= 8 && kNV >= 1 && kNV <= 4, "tile shape");
  const __m256i mask0 = tailMask(nvalid), mask1 = tailMask(nvalid - 8), mask2 = tailMask(nvalid - 16),
                mask3 = tailMask(nvalid - 24);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i bias0 = ep.bias32 ? _mm256_maskload_epi32(ep.bias32 + n0, mask0) : zero;
  const __m256i bias1 = (kNV > 1 && ep.bias32) ? _mm256_maskload_epi32(ep.bias32 + n0 + 8, mask1) : zero;
  const __m256i bias2 = (kNV > 2 && ep.bias32) ? _mm256_maskload_epi32(ep.bias32 + n0 + 16, mask2) : zero;
  const __m256i bias3 = (kNV > 3 && ep.bias32) ? _mm256_maskload_epi32(ep.bias32 + n0 + 24, mask3) : zero;
#define QINT8_DECL(i, j) __m256i c##i##_##j = bias##j;
#define QINT8_DECL_ROW(i) QINT8_COLS(QINT8_DECL, i)
  QINT8_ROWS(QINT8_DECL_ROW)
#undef QINT8_DECL_ROW
#undef QINT8_DECL

  const int k2 = (k + 1) / 2;
  const int16_t* ap = a;
  const int16_t* bp = b;
  for (int g = 0; g < k2; ++g) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp));
    const __m256i b1 = kNV > 1 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 16)) : zero;
    const __m256i b2 = kNV > 2 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 32)) : zero;
    const __m256i b3 = kNV > 3 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 48)) : zero;
#define QINT8_MADD(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) maddAcc(c##i##_##j, av, b##j);
#define QINT8_STEP(i)                                                 \
  if constexpr (MR > (i)) {                                           \
    const __m256i av = _mm256_set1_epi32(loadPair(ap + (i) * lda));   \
    QINT8_COLS(QINT8_MADD, i)                                         \
  }
    QINT8_ROWS(QINT8_STEP)
#undef QINT8_STEP
#undef QINT8_MADD
    ap += 2;
    bp += 2 * kNR;
  }

  if constexpr (WZP) {
    const __m256i zw0 = _mm256_maskload_epi32(ep.weightZeroPoint + n0, mask0);
    const __m256i zw1 = kNV > 1 ? _mm256_maskload_epi32(ep.weightZeroPoint + n0 + 8, mask1) : zero;
    const __m256i zw2 = kNV > 2 ? _mm256_maskload_epi32(ep.weightZeroPoint + n0 + 16, mask2) : zero;
    const __m256i zw3 = kNV > 3 ? _mm256_maskload_epi32(ep.weightZeroPoint + n0 + 24, mask3) : zero;
#define QINT8_WZP(i, j) \
  if constexpr (QINT8_ACTIVE(i, j)) c##i##_##j = _mm256_sub_epi32(c##i##_##j, _mm256_mullo_epi32(rs, zw##j));
#define QINT8_WZP_ROW(i)                               \
  if constexpr (MR > (i)) {                            \
    const __m256i rs = _mm256_set1_epi32(rowsum[i]);   \
    QINT8_COLS(QINT8_WZP, i)                           \
  }
    QINT8_ROWS(QINT8_WZP_ROW)
#undef QINT8_WZP_ROW
#undef QINT8_WZP
  }

  if constexpr (OUT == GemmOut::kS32) {
#define QINT8_ST(i, j)               \
  if constexpr (QINT8_ACTIVE(i, j))  \
    _mm256_maskstore_epi32(reinterpret_cast<int32_t*>(c + (i) * ldc) + n0 + 8 * (j), mask##j, c##i##_##j);
#define QINT8_ST_ROW(i) QINT8_COLS(QINT8_ST, i)
    QINT8_ROWS(QINT8_ST_ROW)
#undef QINT8_ST_ROW
#undef QINT8_ST
  } else if constexpr (OUT == GemmOut::kF32) {
    const __m256 fz = _mm256_setzero_ps();
    const __m256 sc0 = _mm256_maskload_ps(ep.scale + n0, mask0);
    const __m256 sc1 = kNV > 1 ? _mm256_maskload_ps(ep.scale + n0 + 8, mask1) : fz;
    const __m256 sc2 = kNV > 2 ? _mm256_maskload_ps(ep.scale + n0 + 16, mask2) : fz;
    const __m256 sc3 = kNV > 3 ? _mm256_maskload_ps(ep.scale + n0 + 24, mask3) : fz;
    const __m256 bi0 = ep.biasF ? _mm256_maskload_ps(ep.biasF + n0, mask0) : fz;
    const __m256 bi1 = (kNV > 1 && ep.biasF) ? _mm256_maskload_ps(ep.biasF + n0 + 8, mask1) : fz;
    const __m256 bi2 = (kNV > 2 && ep.biasF) ? _mm256_maskload_ps(ep.biasF + n0 + 16, mask2) : fz;
    const __m256 bi3 = (kNV > 3 && ep.biasF) ? _mm256_maskload_ps(ep.biasF + n0 + 24, mask3) : fz;
#define QINT8_ST(i, j)                                                                        \
  if constexpr (QINT8_ACTIVE(i, j)) {                                                         \
    const __m256 f = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(c##i##_##j), sc##j), bi##j); \
    _mm256_maskstore_ps(reinterpret_cast<float*>(c + (i) * ldc) + n0 + 8 * (j), mask##j, f);   \
  }
#define QINT8_ST_ROW(i) QINT8_COLS(QINT8_ST, i)
    QINT8_ROWS(QINT8_ST_ROW)
#undef QINT8_ST_ROW
#undef QINT8_ST
  } else {
    const __m256 fz = _mm256_setzero_ps();
    const __m256 flo = _mm256_set1_ps(static_cast<float>(ep.lo - ep.zeroPoint));
    const __m256 fhi = _mm256_set1_ps(static_cast<float>(ep.hi - ep.zeroPoint));
    const __m256i zp = _mm256_set1_epi32(ep.zeroPoint);
    const __m256 sc0 = _mm256_maskload_ps(ep.scale + n0, mask0);
    const __m256 sc1 = kNV > 1 ? _mm256_maskload_ps(ep.scale + n0 + 8, mask1) : fz;
    const __m256 sc2 = kNV > 2 ? _mm256_maskload_ps(ep.scale + n0 + 16, mask2) : fz;
    const __m256 sc3 = kNV > 3 ? _mm256_maskload_ps(ep.scale + n0 + 24, mask3) : fz;
#define QINT8_ST(i, j)                                                                         \
  if constexpr (QINT8_ACTIVE(i, j)) {                                                          \
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(c##i##_##j), sc##j);                           \
    f = _mm256_min_ps(_mm256_max_ps(f, flo), fhi);                                             \
    storeBytes(c + (i) * ldc + n0 + 8 * (j), nvalid - 8 * (j),                                 \
               lowBytes(_mm256_add_epi32(_mm256_cvtps_epi32(f), zp)));                         \
  }
#define QINT8_ST_ROW(i) QINT8_COLS(QINT8_ST, i)
    QINT8_ROWS(QINT8_ST_ROW)
#undef QINT8_ST_ROW
#undef QINT8_ST
  }
}
#undef QINT8_ACTIVE
#undef QINT8_COLS
#undef QINT8_ROWS

template <GemmOut OUT, bool WZP>
static void tileImpl(const GemmTileArgs& t) {
  const int16_t* a16 = reinterpret_cast<const int16_t*>(t.a);
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const int16_t* b = reinterpret_cast<const int16_t*>(t.b + static_cast<size_t>(p) * t.panelStride);
    const int n0 = p * kNR;
    const int nvalid = t.n - n0;
    int i = 0;
    for (; i + kMR <= t.m; i += kMR)
      microTile<kMR, OUT, WZP>(a16 + i * t.lda, t.lda, t.k, b, t.ep, n0, nvalid, t.c + i * t.ldcBytes,
                               t.ldcBytes, t.rowsum ? t.rowsum + i : nullptr);
    const int rem = t.m - i;
    const int16_t* a = a16 + i * t.lda;
    uint8_t* c = t.c + i * t.ldcBytes;
    const int32_t* rs = t.rowsum ? t.rowsum + i : nullptr;
    switch (rem) {
#define QINT8_REM_CASE(R) \
  case R: microTile<(R < kMR ? R : 1), OUT, WZP>(a, t.lda, t.k, b, t.ep, n0, nvalid, c, t.ldcBytes, rs); break;
      QINT8_REM_CASE(1) QINT8_REM_CASE(2) QINT8_REM_CASE(3) QINT8_REM_CASE(4) QINT8_REM_CASE(5)
      QINT8_REM_CASE(6) QINT8_REM_CASE(7)
#undef QINT8_REM_CASE
      default: break;
    }
  }
}

static void avx2Tile(const GemmTileArgs& t) {
  const bool wzp = t.ep.weightZeroPoint != nullptr;
  switch (t.ep.kind) {
    case GemmOut::kU8:
    case GemmOut::kS8: wzp ? tileImpl<GemmOut::kU8, true>(t) : tileImpl<GemmOut::kU8, false>(t); break;
    case GemmOut::kF32: wzp ? tileImpl<GemmOut::kF32, true>(t) : tileImpl<GemmOut::kF32, false>(t); break;
    case GemmOut::kS32: wzp ? tileImpl<GemmOut::kS32, true>(t) : tileImpl<GemmOut::kS32, false>(t); break;
  }
}

// The exact path's ceiling: vpmaddwd + vpaddd pairs, registers only. Returns MACs executed.
static double avx2PeakLoop(long iters) {
  const long n = iters;
  __asm__ volatile(
      "vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n\t"
      "vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\t"
      "1:\n\t"
      "vpmaddwd %%ymm15, %%ymm14, %%ymm8\n\t vpaddd %%ymm8, %%ymm0, %%ymm0\n\t"
      "vpmaddwd %%ymm15, %%ymm14, %%ymm9\n\t vpaddd %%ymm9, %%ymm1, %%ymm1\n\t"
      "vpmaddwd %%ymm15, %%ymm14, %%ymm10\n\t vpaddd %%ymm10, %%ymm2, %%ymm2\n\t"
      "vpmaddwd %%ymm15, %%ymm14, %%ymm11\n\t vpaddd %%ymm11, %%ymm3, %%ymm3\n\t"
      "vpmaddwd %%ymm15, %%ymm14, %%ymm12\n\t vpaddd %%ymm12, %%ymm4, %%ymm4\n\t"
      "vpmaddwd %%ymm15, %%ymm14, %%ymm13\n\t vpaddd %%ymm13, %%ymm5, %%ymm5\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "cc");
  return static_cast<double>(n) * 6.0 * 16.0;
}

const GemmKernelTable kAvx2 = {
    Isa::kAvx2, kNR, kMR, avx2PanelBytes, avx2PackPanel, avx2Tile, nullptr,
    avx2ABytes, avx2ALd, avx2PrepareA, avx2PeakLoop,
};

}  // namespace

const GemmKernelTable* gemmKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
