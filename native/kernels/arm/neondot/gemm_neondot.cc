// qint8 — dot-product GEMM (sdot, armv8.2-a+dotprod). Compiled with -march=armv8.2-a+dotprod.
//
// sdot multiplies int8 by int8 and udot uint8 by uint8; there is no mixed-sign dot product
// before i8mm's usdot. A is therefore flipped to int8 in prepareA (a' = a ^ 0x80 = a - 128; int8
// activations are already int8) and every column gets 128 * colsum(W) back, folded at pack time:
//     sum_k a*w = sum_k a'*w + 128 * sum_k w      (exact: sdot sums four int16-range products
//                                                   straight into int32, nothing saturates)
// The alternative, udot with W + 128 and a per-row correction 128 * rowsum(A), needs row sums of
// A on every call; the column correction is free at run time.
//
// Packed panel: NR = 8 columns. A 64-byte header (int32 corr[8] = 128*colsum), then for each
// group of 4 k values two q registers: columns 0..3 x 4 bytes and columns 4..7 x 4 bytes; k is
// zero-padded to a multiple of 16 (A rows are padded to the same length by prepareA).
// Micro-tile: 8 rows x 8 columns, 16 int32x4 accumulators. Per 16 k values: 8 q loads of A (one
// per row, 16 k each) and 8 q loads of W feed 64 `sdot vC.4s, vW.16b, vA.4b[lane]` (16 MACs
// each): 1024 MACs per 16 loaded registers.
#include <arm_neon.h>

#include <cstring>

#include "../arm_common.h"
#include "../../../runtime/gemm_kernels.h"

namespace qint8 {
namespace {

using armk::ColParams;
using armk::RequantConsts;

constexpr int kNR = 8;
constexpr int kMR = 8;
constexpr int kHeader = 64;

static inline int kBlocks(int k) { return (k + 15) / 16; }

static size_t dotPanelBytes(int k) { return kHeader + static_cast<size_t>(kBlocks(k)) * 16 * kNR; }

static void dotPackPanel(const int8_t* w, int n, int k, int n0, uint8_t* dst) {
  int64_t sum[kNR] = {0, 0, 0, 0, 0, 0, 0, 0};
  int8_t* d = reinterpret_cast<int8_t*>(dst + kHeader);
  const int k4 = kBlocks(k) * 4;
  for (int g = 0; g < k4; ++g)
    for (int col = 0; col < kNR; ++col) {
      const int j = n0 + col;
      for (int q = 0; q < 4; ++q) {
        const int kk = 4 * g + q;
        const int8_t v = (j < n && kk < k) ? w[static_cast<size_t>(j) * k + kk] : 0;
        sum[col] += v;
        *d++ = v;
      }
    }
  // 128 * colsum, wrapped to int32 like the accumulator it is added to (only reachable for
  // depths where the reference's int32 accumulator wraps too).
  int32_t corr[kNR];
  for (int col = 0; col < kNR; ++col) corr[col] = static_cast<int32_t>(static_cast<uint32_t>(sum[col] * 128));
  std::memset(dst, 0, kHeader);
  std::memcpy(dst, corr, sizeof corr);
}

static size_t dotALd(int k) { return static_cast<size_t>(kBlocks(k)) * 16; }
static size_t dotABytes(int m, int k) { return static_cast<size_t>(m) * dotALd(k); }

static void dotPrepareA(const uint8_t* a, size_t lda, bool aSigned, int m, int k, void* dst) {
  armk::copyRowsPadded(a, lda, m, k, dotALd(k), aSigned ? 0x00 : 0x80, static_cast<uint8_t*>(dst));
}

// acc += dot4(w, a.4b[L]) in place. Through inline asm, as in the x86 kernels, so that GCC
// keeps each accumulator in its register instead of copying it around the tied operand.
#define QINT8_SDOT(acc, w, a, L) __asm__("sdot %0.4s, %1.16b, %2.4b[" #L "]" : "+w"(acc) : "w"(w), "w"(a))

#define QINT8_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

template <int MR, GemmOut OUT, bool WZP>
static QINT8_ALWAYS_INLINE void microTile(const int8_t* QINT8_RESTRICT a, size_t lda, int kb,
                                           const int8_t* QINT8_RESTRICT b, const ColParams& cp,
                                           const RequantConsts& rc, uint8_t* QINT8_RESTRICT c, size_t ldc,
                                           const int32_t* rowsum, int nvalid) {
  static_assert(MR >= 1 && MR <= 8, "tile shape");
  const int32x4_t zero = vdupq_n_s32(0);
#define QINT8_DECL(i) int32x4_t c##i##_0 = zero, c##i##_1 = zero;
  QINT8_ROWS(QINT8_DECL)
#undef QINT8_DECL

  const int8_t* ap = a;
  const int8_t* bp = b;
  for (int g = 0; g < kb; ++g) {
#define QINT8_LOADA(i) const int8x16_t a##i = MR > (i) ? vld1q_s8(ap + (i) * lda) : vreinterpretq_s8_s32(zero);
    QINT8_ROWS(QINT8_LOADA)
#undef QINT8_LOADA
#define QINT8_DOT(i, L)                  \
  if constexpr (MR > (i)) {              \
    QINT8_SDOT(c##i##_0, w0, a##i, L);   \
    QINT8_SDOT(c##i##_1, w1, a##i, L);   \
  }
#define QINT8_KSTEP(L)                                                              \
  {                                                                                 \
    const int8x16_t w0 = vld1q_s8(bp + 32 * (L)), w1 = vld1q_s8(bp + 32 * (L) + 16); \
    QINT8_DOT(0, L) QINT8_DOT(1, L) QINT8_DOT(2, L) QINT8_DOT(3, L)                 \
    QINT8_DOT(4, L) QINT8_DOT(5, L) QINT8_DOT(6, L) QINT8_DOT(7, L)                 \
  }
    QINT8_KSTEP(0)
    QINT8_KSTEP(1)
    QINT8_KSTEP(2)
    QINT8_KSTEP(3)
#undef QINT8_KSTEP
#undef QINT8_DOT
    ap += 16;
    bp += 16 * kNR;
  }

#define QINT8_OUT(i) \
  if constexpr (MR > (i)) armk::storeRow<OUT, WZP, 2>(c##i##_0, c##i##_1, cp, rc, WZP ? rowsum[i] : 0, c + (i) * ldc, nvalid);
  QINT8_ROWS(QINT8_OUT)
#undef QINT8_OUT
}
#undef QINT8_ROWS

template <GemmOut OUT, bool WZP>
static void tileImpl(const GemmTileArgs& t) {
  const RequantConsts rc = armk::requantConsts(t.ep);
  const int kb = kBlocks(t.k);
  const int8_t* a0 = reinterpret_cast<const int8_t*>(t.a);
  const size_t ob = (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) ? 1 : 4;
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const uint8_t* panel = t.b + static_cast<size_t>(p) * t.panelStride;
    int32_t corr[kNR];
    std::memcpy(corr, panel, sizeof corr);
    const int n0 = p * kNR;
    const int nvalid = t.n - n0;
    ColParams cp;
    armk::loadColParams(t.ep, n0, nvalid, kNR, corr, &cp);
    const int8_t* b = reinterpret_cast<const int8_t*>(panel + kHeader);
    uint8_t* c0 = t.c + static_cast<size_t>(n0) * ob;
    int i = 0;
    for (; i + kMR <= t.m; i += kMR)
      microTile<kMR, OUT, WZP>(a0 + i * t.lda, t.lda, kb, b, cp, rc, c0 + i * t.ldcBytes, t.ldcBytes,
                               WZP ? t.rowsum + i : nullptr, nvalid);
    const int rem = t.m - i;
    const int8_t* a = a0 + i * t.lda;
    uint8_t* c = c0 + i * t.ldcBytes;
    const int32_t* rs = WZP ? t.rowsum + i : nullptr;
    switch (rem) {
#define QINT8_REM_CASE(R) \
  case R: microTile<R, OUT, WZP>(a, t.lda, kb, b, cp, rc, c, t.ldcBytes, rs, nvalid); break;
      QINT8_REM_CASE(1) QINT8_REM_CASE(2) QINT8_REM_CASE(3) QINT8_REM_CASE(4)
      QINT8_REM_CASE(5) QINT8_REM_CASE(6) QINT8_REM_CASE(7)
#undef QINT8_REM_CASE
      default: break;
    }
  }
}

static void dotTile(const GemmTileArgs& t) {
  const bool wzp = t.ep.weightZeroPoint != nullptr;
  switch (t.ep.kind) {
    case GemmOut::kU8:
    case GemmOut::kS8: wzp ? tileImpl<GemmOut::kU8, true>(t) : tileImpl<GemmOut::kU8, false>(t); break;
    case GemmOut::kF32: wzp ? tileImpl<GemmOut::kF32, true>(t) : tileImpl<GemmOut::kF32, false>(t); break;
    case GemmOut::kS32: wzp ? tileImpl<GemmOut::kS32, true>(t) : tileImpl<GemmOut::kS32, false>(t); break;
  }
}

// 16 independent sdot (16 MACs each) per iteration, registers only. Returns the MACs executed.
static double dotPeakLoop(long iters) {
  const long n = iters;
  __asm__ volatile(
      "movi v30.16b, #3\n\t"
      "movi v31.16b, #5\n\t"
      "1:\n\t"
      "sdot v0.4s, v30.16b, v31.4b[0]\n\t"
      "sdot v1.4s, v30.16b, v31.4b[1]\n\t"
      "sdot v2.4s, v30.16b, v31.4b[2]\n\t"
      "sdot v3.4s, v30.16b, v31.4b[3]\n\t"
      "sdot v4.4s, v30.16b, v31.4b[0]\n\t"
      "sdot v5.4s, v30.16b, v31.4b[1]\n\t"
      "sdot v6.4s, v30.16b, v31.4b[2]\n\t"
      "sdot v7.4s, v30.16b, v31.4b[3]\n\t"
      "sdot v16.4s, v30.16b, v31.4b[0]\n\t"
      "sdot v17.4s, v30.16b, v31.4b[1]\n\t"
      "sdot v18.4s, v30.16b, v31.4b[2]\n\t"
      "sdot v19.4s, v30.16b, v31.4b[3]\n\t"
      "sdot v20.4s, v30.16b, v31.4b[0]\n\t"
      "sdot v21.4s, v30.16b, v31.4b[1]\n\t"
      "sdot v22.4s, v30.16b, v31.4b[2]\n\t"
      "sdot v23.4s, v30.16b, v31.4b[3]\n\t"
      "subs %0, %0, #1\n\t"
      "b.ne 1b\n\t"
      : "+r"(iters)
      :
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
        "v23", "v30", "v31", "cc");
  return static_cast<double>(n) * 16.0 * 16.0;
}

const GemmKernelTable kNeonDot = {
    Isa::kNeonDot, kNR, kMR, dotPanelBytes, dotPackPanel, dotTile, nullptr,
    dotABytes, dotALd, dotPrepareA, dotPeakLoop,
};

}  // namespace

const GemmKernelTable* gemmKernelsNeonDot() { return &kNeonDot; }

}  // namespace qint8
