// qint8 — plain NEON GEMM (armv8-a, no dot product): widening multiply-accumulate, exact.
// Compiled with -march=armv8-a.
//
// u8 x s8 has no NEON multiply (smull/umull need equal signs), so A is flipped to int8 in
// prepareA (a' = a ^ 0x80 = a - 128; int8 activations are used as they are) and every column
// gets 128 * colsum(W) back, folded at pack time:
//     sum_k a*w = sum_k a'*w + 128 * sum_k w.
//
// Inner step, per (row, column) and 16 k values (one q register of A, one of W):
//     p   = smull (a'[0..7]  * w[0..7])          8 int16 products
//     p  += smlal2(a'[8..15] * w[8..15])         8 int16 pair sums  a'[l]*w[l] + a'[l+8]*w[l+8]
//     acc = sadalp(acc, p)                       pairwise into 4 int32 lanes
// 16 MACs per 3 instructions. The pair sum is the one place that can overflow int16: with
// a', w in [-128, 127], |a'*w| <= 128*127 = 16256 unless a' = w = -128 (16384), so a pair is in
// range except 16384 + 16384 = 32768, i.e. activation byte 0 (a' = -128: the quantized zero of
// every ReLU output with zero point 0, so it is common) meeting weight -128 (which PyTorch's
// symmetric observers do produce: quant_min = -128) in both halves of a pair. The pack step
// therefore marks each panel: a panel with no -128 weight uses the pair path (|pair sum| <=
// 2*128*127 = 32512, exact); a panel with a -128 weight uses smull + sadalp and smull2 + sadalp
// (no pair sums, 16 MACs per 4 instructions, exact for every input).
//
// Packed panel: NR = 4 columns. A 64-byte header (int32 corr[4] = 128*colsum, int32 pairSafe),
// then for each group of 16 k values 4 columns x 16 bytes; k is zero-padded to a multiple of 16.
// Micro-tile: 4 rows x 4 columns, 16 accumulators of 4 partial sums each (reduced with addp).
#include <arm_neon.h>

#include <cstring>

#include "../arm_common.h"
#include "../../../runtime/gemm_kernels.h"

namespace qint8 {
namespace {

using armk::ColParams;
using armk::RequantConsts;

constexpr int kNR = 4;
constexpr int kMR = 4;
constexpr int kHeader = 64;

static inline int kBlocks(int k) { return (k + 15) / 16; }

static size_t neonPanelBytes(int k) { return kHeader + static_cast<size_t>(kBlocks(k)) * kNR * 16; }

static void neonPackPanel(const int8_t* w, int n, int k, int n0, uint8_t* dst) {
  int64_t sum[kNR] = {0, 0, 0, 0};
  int32_t pairSafe = 1;
  int8_t* d = reinterpret_cast<int8_t*>(dst + kHeader);
  const int kb = kBlocks(k);
  for (int g = 0; g < kb; ++g)
    for (int col = 0; col < kNR; ++col) {
      const int j = n0 + col;
      for (int q = 0; q < 16; ++q) {
        const int kk = 16 * g + q;
        const int8_t v = (j < n && kk < k) ? w[static_cast<size_t>(j) * k + kk] : 0;
        if (v == -128) pairSafe = 0;
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
  std::memcpy(dst + sizeof corr, &pairSafe, sizeof pairSafe);
}

static size_t neonALd(int k) { return static_cast<size_t>(kBlocks(k)) * 16; }
static size_t neonABytes(int m, int k) { return static_cast<size_t>(m) * neonALd(k); }

// int8 rows of neonALd(k) bytes: u8 activations flipped (a ^ 0x80), int8 activations as they are.
static void neonPrepareA(const uint8_t* a, size_t lda, bool aSigned, int m, int k, void* dst) {
  armk::copyRowsPadded(a, lda, m, k, neonALd(k), aSigned ? 0x00 : 0x80, static_cast<uint8_t*>(dst));
}

// One row of A against the panel's 4 columns, through inline asm: GCC's scheduler, given the
// intrinsics, hoists all 16 smull of a step ahead of the accumulations, needs 16 product
// registers on top of the 16 accumulators and spills. Each block keeps 4 independent chains in
// flight (4 product registers), which also hides the multiply latency on in-order cores.
// Pair path: c_j += pairwise(a[0..7]*b_j[0..7] + a[8..15]*b_j[8..15]) (int16 pair sums; panels
// without a -128 weight only).
static QINT8_ALWAYS_INLINE void macRowPair(int32x4_t& c0, int32x4_t& c1, int32x4_t& c2, int32x4_t& c3, int8x16_t a,
                                           int8x16_t b0, int8x16_t b1, int8x16_t b2, int8x16_t b3) {
  int16x8_t p0, p1, p2, p3;
  __asm__(
      "smull  %4.8h, %8.8b, %9.8b\n\t"
      "smull  %5.8h, %8.8b, %10.8b\n\t"
      "smull  %6.8h, %8.8b, %11.8b\n\t"
      "smull  %7.8h, %8.8b, %12.8b\n\t"
      "smlal2 %4.8h, %8.16b, %9.16b\n\t"
      "smlal2 %5.8h, %8.16b, %10.16b\n\t"
      "smlal2 %6.8h, %8.16b, %11.16b\n\t"
      "smlal2 %7.8h, %8.16b, %12.16b\n\t"
      "sadalp %0.4s, %4.8h\n\t"
      "sadalp %1.4s, %5.8h\n\t"
      "sadalp %2.4s, %6.8h\n\t"
      "sadalp %3.4s, %7.8h"
      : "+w"(c0), "+w"(c1), "+w"(c2), "+w"(c3), "=&w"(p0), "=&w"(p1), "=&w"(p2), "=&w"(p3)
      : "w"(a), "w"(b0), "w"(b1), "w"(b2), "w"(b3));
}

// Pairless path: c_j += pairwise(a[0..7]*b_j[0..7]), then += pairwise(a[8..15]*b_j[8..15]); every
// int16 holds a single product, so nothing can overflow whatever the weights.
static QINT8_ALWAYS_INLINE void macRowSplit(int32x4_t& c0, int32x4_t& c1, int32x4_t& c2, int32x4_t& c3, int8x16_t a,
                                            int8x16_t b0, int8x16_t b1, int8x16_t b2, int8x16_t b3) {
  int16x8_t p0, p1, p2, p3;
  __asm__(
      "smull  %4.8h, %8.8b, %9.8b\n\t"
      "smull  %5.8h, %8.8b, %10.8b\n\t"
      "smull  %6.8h, %8.8b, %11.8b\n\t"
      "smull  %7.8h, %8.8b, %12.8b\n\t"
      "sadalp %0.4s, %4.8h\n\t"
      "sadalp %1.4s, %5.8h\n\t"
      "sadalp %2.4s, %6.8h\n\t"
      "sadalp %3.4s, %7.8h\n\t"
      "smull2 %4.8h, %8.16b, %9.16b\n\t"
      "smull2 %5.8h, %8.16b, %10.16b\n\t"
      "smull2 %6.8h, %8.16b, %11.16b\n\t"
      "smull2 %7.8h, %8.16b, %12.16b\n\t"
      "sadalp %0.4s, %4.8h\n\t"
      "sadalp %1.4s, %5.8h\n\t"
      "sadalp %2.4s, %6.8h\n\t"
      "sadalp %3.4s, %7.8h"
      : "+w"(c0), "+w"(c1), "+w"(c2), "+w"(c3), "=&w"(p0), "=&w"(p1), "=&w"(p2), "=&w"(p3)
      : "w"(a), "w"(b0), "w"(b1), "w"(b2), "w"(b3));
}

#define QINT8_ROWS(X) X(0) X(1) X(2) X(3)
#define QINT8_COLS(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3)

// MR rows (1..4) x 4 columns; a: MR rows of int8 (stride lda), b: the panel's data.
template <int MR, GemmOut OUT, bool WZP, bool PAIR>
static QINT8_ALWAYS_INLINE void microTile(const int8_t* QINT8_RESTRICT a, size_t lda, int kb,
                                           const int8_t* QINT8_RESTRICT b, const ColParams& cp,
                                           const RequantConsts& rc, uint8_t* QINT8_RESTRICT c, size_t ldc,
                                           const int32_t* rowsum, int nvalid) {
  static_assert(MR >= 1 && MR <= 4, "tile shape");
  const int32x4_t zero = vdupq_n_s32(0);
#define QINT8_DECL(i, j) int32x4_t c##i##_##j = zero;
#define QINT8_DECL_ROW(i) QINT8_COLS(QINT8_DECL, i)
  QINT8_ROWS(QINT8_DECL_ROW)
#undef QINT8_DECL_ROW
#undef QINT8_DECL

  const int8_t* ap = a;
  const int8_t* bp = b;
  for (int g = 0; g < kb; ++g) {
    const int8x16_t b0 = vld1q_s8(bp), b1 = vld1q_s8(bp + 16), b2 = vld1q_s8(bp + 32), b3 = vld1q_s8(bp + 48);
#define QINT8_STEP(i)                                                                   \
  if constexpr (MR > (i)) {                                                             \
    const int8x16_t av = vld1q_s8(ap + (i) * lda);                                      \
    if constexpr (PAIR) macRowPair(c##i##_0, c##i##_1, c##i##_2, c##i##_3, av, b0, b1, b2, b3); \
    else macRowSplit(c##i##_0, c##i##_1, c##i##_2, c##i##_3, av, b0, b1, b2, b3);          \
  }
    QINT8_ROWS(QINT8_STEP)
#undef QINT8_STEP
    ap += 16;
    bp += 16 * kNR;
  }

  // Row i: [sum c_i0, sum c_i1, sum c_i2, sum c_i3].
#define QINT8_OUT(i)                                                                               \
  if constexpr (MR > (i)) {                                                                        \
    const int32x4_t r = vpaddq_s32(vpaddq_s32(c##i##_0, c##i##_1), vpaddq_s32(c##i##_2, c##i##_3)); \
    armk::storeRow<OUT, WZP, 1>(r, r, cp, rc, WZP ? rowsum[i] : 0, c + (i) * ldc, nvalid);         \
  }
  QINT8_ROWS(QINT8_OUT)
#undef QINT8_OUT
}
#undef QINT8_COLS
#undef QINT8_ROWS

template <GemmOut OUT, bool WZP, bool PAIR>
static void panelRows(const GemmTileArgs& t, const int8_t* b, const ColParams& cp, const RequantConsts& rc,
                      int n0, int nvalid) {
  const int kb = kBlocks(t.k);
  const int8_t* a0 = reinterpret_cast<const int8_t*>(t.a);
  const size_t ob = (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) ? 1 : 4;
  uint8_t* c0 = t.c + static_cast<size_t>(n0) * ob;
  int i = 0;
  for (; i + kMR <= t.m; i += kMR)
    microTile<kMR, OUT, WZP, PAIR>(a0 + i * t.lda, t.lda, kb, b, cp, rc, c0 + i * t.ldcBytes, t.ldcBytes,
                                   WZP ? t.rowsum + i : nullptr, nvalid);
  const int rem = t.m - i;
  const int8_t* a = a0 + i * t.lda;
  uint8_t* c = c0 + i * t.ldcBytes;
  const int32_t* rs = WZP ? t.rowsum + i : nullptr;
  switch (rem) {
    case 1: microTile<1, OUT, WZP, PAIR>(a, t.lda, kb, b, cp, rc, c, t.ldcBytes, rs, nvalid); break;
    case 2: microTile<2, OUT, WZP, PAIR>(a, t.lda, kb, b, cp, rc, c, t.ldcBytes, rs, nvalid); break;
    case 3: microTile<3, OUT, WZP, PAIR>(a, t.lda, kb, b, cp, rc, c, t.ldcBytes, rs, nvalid); break;
    default: break;
  }
}

template <GemmOut OUT, bool WZP>
static void tileImpl(const GemmTileArgs& t) {
  const RequantConsts rc = armk::requantConsts(t.ep);
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const uint8_t* panel = t.b + static_cast<size_t>(p) * t.panelStride;
    int32_t corr[kNR], pairSafe;
    std::memcpy(corr, panel, sizeof corr);
    std::memcpy(&pairSafe, panel + sizeof corr, sizeof pairSafe);
    const int n0 = p * kNR;
    const int nvalid = t.n - n0;
    ColParams cp;
    armk::loadColParams(t.ep, n0, nvalid, kNR, corr, &cp);
    const int8_t* b = reinterpret_cast<const int8_t*>(panel + kHeader);
    if (pairSafe) panelRows<OUT, WZP, true>(t, b, cp, rc, n0, nvalid);
    else panelRows<OUT, WZP, false>(t, b, cp, rc, n0, nvalid);
  }
}

static void neonTile(const GemmTileArgs& t) {
  const bool wzp = t.ep.weightZeroPoint != nullptr;
  switch (t.ep.kind) {
    case GemmOut::kU8:
    case GemmOut::kS8: wzp ? tileImpl<GemmOut::kU8, true>(t) : tileImpl<GemmOut::kU8, false>(t); break;
    case GemmOut::kF32: wzp ? tileImpl<GemmOut::kF32, true>(t) : tileImpl<GemmOut::kF32, false>(t); break;
    case GemmOut::kS32: wzp ? tileImpl<GemmOut::kS32, true>(t) : tileImpl<GemmOut::kS32, false>(t); break;
  }
}

// The pair path's ceiling: 8 independent smull + smlal2 + sadalp chains (128 MACs) per
// iteration, registers only. Returns the MACs executed.
static double neonPeakLoop(long iters) {
  const long n = iters;
  __asm__ volatile(
      "movi v30.16b, #3\n\t"
      "movi v31.16b, #5\n\t"
      "1:\n\t"
      "smull  v16.8h, v30.8b, v31.8b\n\t"
      "smull  v17.8h, v30.8b, v31.8b\n\t"
      "smull  v18.8h, v30.8b, v31.8b\n\t"
      "smull  v19.8h, v30.8b, v31.8b\n\t"
      "smull  v20.8h, v30.8b, v31.8b\n\t"
      "smull  v21.8h, v30.8b, v31.8b\n\t"
      "smull  v22.8h, v30.8b, v31.8b\n\t"
      "smull  v23.8h, v30.8b, v31.8b\n\t"
      "smlal2 v16.8h, v30.16b, v31.16b\n\t"
      "smlal2 v17.8h, v30.16b, v31.16b\n\t"
      "smlal2 v18.8h, v30.16b, v31.16b\n\t"
      "smlal2 v19.8h, v30.16b, v31.16b\n\t"
      "smlal2 v20.8h, v30.16b, v31.16b\n\t"
      "smlal2 v21.8h, v30.16b, v31.16b\n\t"
      "smlal2 v22.8h, v30.16b, v31.16b\n\t"
      "smlal2 v23.8h, v30.16b, v31.16b\n\t"
      "sadalp v0.4s, v16.8h\n\t"
      "sadalp v1.4s, v17.8h\n\t"
      "sadalp v2.4s, v18.8h\n\t"
      "sadalp v3.4s, v19.8h\n\t"
      "sadalp v4.4s, v20.8h\n\t"
      "sadalp v5.4s, v21.8h\n\t"
      "sadalp v6.4s, v22.8h\n\t"
      "sadalp v7.4s, v23.8h\n\t"
      "subs %0, %0, #1\n\t"
      "b.ne 1b\n\t"
      : "+r"(iters)
      :
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
        "v23", "v30", "v31", "cc");
  return static_cast<double>(n) * 8.0 * 16.0;
}

const GemmKernelTable kNeon = {
    Isa::kNeon, kNR, kMR, neonPanelBytes, neonPackPanel, neonTile, nullptr,
    neonABytes, neonALd, neonPrepareA, neonPeakLoop,
};

}  // namespace

const GemmKernelTable* gemmKernelsNeon() { return &kNeon; }

}  // namespace qint8
