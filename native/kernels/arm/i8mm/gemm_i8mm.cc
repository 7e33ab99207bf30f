// qint8 — int8 matrix-multiply GEMM (usmmla, armv8.2-a+i8mm). Compiled with
// -march=armv8.2-a+dotprod+i8mm.
//
// `usmmla vC.4s, vA.16b, vB.16b` multiplies a 2x8 block of uint8 (two rows of A, 8 k values each)
// by an 8x2 block of int8 (two columns of W) into a 2x2 block of int32: 32 MACs per instruction,
// with exactly our signs (u8 activations x s8 weights), so no correction term is needed. int8
// activations are flipped to uint8 (a ^ 0x80) in prepareA, as on x86 (the caller folded
// bias32 with zA + 128).
//
// prepareA interleaves rows in pairs: for rows 2p, 2p+1 and each group of 8 k values, 8 bytes of
// row 2p then 8 bytes of row 2p+1 (one usmmla operand); k is zero-padded to a multiple of 8 and
// an odd last row is paired with a zero row. Row r (even) starts at r * ld bytes.
// Packed panel: NR = 8 columns; for each group of 8 k values four q registers, one per column
// pair: 8 bytes of column 2q then 8 bytes of column 2q+1.
// Micro-tile: 8 rows (4 pairs) x 8 columns (4 pairs) = 16 accumulators, each a 2x2 block
// [r0c0 r0c1 r1c0 r1c1]. Per 8 k values: 4 q loads of A + 4 q loads of W feed 16 usmmla:
// 512 MACs per 8 loaded registers. Rows are rebuilt with trn1/trn2 on 64-bit lanes at the end.
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

static inline int kGroups(int k) { return (k + 7) / 8; }

static size_t mmPanelBytes(int k) { return static_cast<size_t>(kGroups(k)) * 8 * kNR; }

static void mmPackPanel(const int8_t* w, int n, int k, int n0, uint8_t* dst) {
  int8_t* d = reinterpret_cast<int8_t*>(dst);
  const int kg = kGroups(k);
  for (int g = 0; g < kg; ++g)
    for (int col = 0; col < kNR; ++col) {
      const int j = n0 + col;
      for (int q = 0; q < 8; ++q) {
        const int kk = 8 * g + q;
        *d++ = (j < n && kk < k) ? w[static_cast<size_t>(j) * k + kk] : 0;
      }
    }
}

static size_t mmALd(int k) { return static_cast<size_t>(kGroups(k)) * 8; }
static size_t mmABytes(int m, int k) { return static_cast<size_t>((m + 1) / 2) * 2 * mmALd(k); }

static void mmPrepareA(const uint8_t* a, size_t lda, bool aSigned, int m, int k, void* dst) {
  const int kg = kGroups(k);
  const uint8_t flip = aSigned ? 0x80 : 0x00;
  const uint8x8_t vf = vdup_n_u8(flip);
  uint8_t* d = static_cast<uint8_t*>(dst);
  for (int r = 0; r < m; r += 2) {
    const uint8_t* r0 = a + static_cast<size_t>(r) * lda;
    const uint8_t* r1 = r + 1 < m ? r0 + lda : nullptr;
    const int kFull = k / 8;
    int g = 0;
    for (; g < kFull; ++g) {
      vst1_u8(d, veor_u8(vld1_u8(r0 + 8 * g), vf));
      if (r1) vst1_u8(d + 8, veor_u8(vld1_u8(r1 + 8 * g), vf));
      else vst1_u8(d + 8, vdup_n_u8(0));
      d += 16;
    }
    for (; g < kg; ++g) {
      for (int q = 0; q < 8; ++q) {
        const int kk = 8 * g + q;
        d[q] = kk < k ? static_cast<uint8_t>(r0[kk] ^ flip) : 0;
        d[8 + q] = (r1 && kk < k) ? static_cast<uint8_t>(r1[kk] ^ flip) : 0;
      }
      d += 16;
    }
  }
}

// acc += A(2x8, u8) * B(8x2, s8). Through inline asm so that GCC keeps every accumulator in its
// register (same reason as the x86 kernels' vpdpbusd).
#define QINT8_USMMLA(acc, av, bv) __asm__("usmmla %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(av), "w"(bv))

#define QINT8_PAIRS(X) X(0) X(1) X(2) X(3)
#define QINT8_CPAIRS(X, p) X(p, 0) X(p, 1) X(p, 2) X(p, 3)

// MR rows (1..8) x 8 columns. a: row 0 of an interleaved pair block (pair stride 2 * lda bytes).
template <int MR, GemmOut OUT, bool WZP>
static QINT8_ALWAYS_INLINE void microTile(const uint8_t* QINT8_RESTRICT a, size_t lda, int kg,
                                           const int8_t* QINT8_RESTRICT b, const ColParams& cp,
                                           const RequantConsts& rc, uint8_t* QINT8_RESTRICT c, size_t ldc,
                                           const int32_t* rowsum, int nvalid) {
  static_assert(MR >= 1 && MR <= 8, "tile shape");
  constexpr int kPairs = (MR + 1) / 2;
  const int32x4_t zero = vdupq_n_s32(0);
#define QINT8_DECL(p, q) int32x4_t c##p##_##q = zero;
#define QINT8_DECL_PAIR(p) QINT8_CPAIRS(QINT8_DECL, p)
  QINT8_PAIRS(QINT8_DECL_PAIR)
#undef QINT8_DECL_PAIR
#undef QINT8_DECL

  const size_t pairStride = 2 * lda;
  const uint8_t* ap = a;
  const int8_t* bp = b;
  // One group of 8 k values: 4 loads of W, one load of A per row pair, 16 usmmla. Unrolled by
  // two groups (the loop overhead is 5 instructions per iteration).
#define QINT8_MM(p, q) QINT8_USMMLA(c##p##_##q, av, b##q);
#define QINT8_STEP(p)                                             \
  if constexpr (kPairs > (p)) {                                   \
    const uint8x16_t av = vld1q_u8(ap + (p) * pairStride + off);  \
    QINT8_CPAIRS(QINT8_MM, p)                                     \
  }
#define QINT8_GROUP(G)                                                                                  \
  {                                                                                                     \
    constexpr size_t off = 16 * (G);                                                                    \
    const int8_t* bg = bp + 8 * kNR * (G);                                                              \
    const int8x16_t b0 = vld1q_s8(bg), b1 = vld1q_s8(bg + 16), b2 = vld1q_s8(bg + 32), b3 = vld1q_s8(bg + 48); \
    QINT8_PAIRS(QINT8_STEP)                                                                             \
  }
  int g = 0;
  for (; g + 2 <= kg; g += 2) {
    QINT8_GROUP(0)
    QINT8_GROUP(1)
    ap += 32;
    bp += 16 * kNR;
  }
  if (g < kg) QINT8_GROUP(0)
#undef QINT8_GROUP
#undef QINT8_STEP
#undef QINT8_MM

  // Pair p holds rows 2p, 2p+1: row 2p, columns 0..3 = (c_p0.d[0], c_p1.d[0]), row 2p+1 =
  // (c_p0.d[1], c_p1.d[1]); columns 4..7 likewise from c_p2, c_p3.
#define QINT8_TRN1(x, y) vreinterpretq_s32_s64(vtrn1q_s64(vreinterpretq_s64_s32(x), vreinterpretq_s64_s32(y)))
#define QINT8_TRN2(x, y) vreinterpretq_s32_s64(vtrn2q_s64(vreinterpretq_s64_s32(x), vreinterpretq_s64_s32(y)))
#define QINT8_OUT(p)                                                                                   \
  if constexpr (MR > 2 * (p)) {                                                                        \
    armk::storeRow<OUT, WZP, 2>(QINT8_TRN1(c##p##_0, c##p##_1), QINT8_TRN1(c##p##_2, c##p##_3), cp, rc,  \
                                WZP ? rowsum[2 * (p)] : 0, c + 2 * (p) * ldc, nvalid);                 \
  }                                                                                                    \
  if constexpr (MR > 2 * (p) + 1) {                                                                    \
    armk::storeRow<OUT, WZP, 2>(QINT8_TRN2(c##p##_0, c##p##_1), QINT8_TRN2(c##p##_2, c##p##_3), cp, rc,  \
                                WZP ? rowsum[2 * (p) + 1] : 0, c + (2 * (p) + 1) * ldc, nvalid);       \
  }
  QINT8_PAIRS(QINT8_OUT)
#undef QINT8_OUT
#undef QINT8_TRN2
#undef QINT8_TRN1
}
#undef QINT8_CPAIRS
#undef QINT8_PAIRS

template <GemmOut OUT, bool WZP>
static void tileImpl(const GemmTileArgs& t) {
  const RequantConsts rc = armk::requantConsts(t.ep);
  const int kg = kGroups(t.k);
  const size_t ob = (OUT == GemmOut::kU8 || OUT == GemmOut::kS8) ? 1 : 4;
  for (int p = t.panelBegin; p < t.panelEnd; ++p) {
    const int8_t* b = reinterpret_cast<const int8_t*>(t.b + static_cast<size_t>(p) * t.panelStride);
    const int n0 = p * kNR;
    const int nvalid = t.n - n0;
    ColParams cp;
    armk::loadColParams(t.ep, n0, nvalid, kNR, nullptr, &cp);
    uint8_t* c0 = t.c + static_cast<size_t>(n0) * ob;
    int i = 0;
    for (; i + kMR <= t.m; i += kMR)
      microTile<kMR, OUT, WZP>(t.a + i * t.lda, t.lda, kg, b, cp, rc, c0 + i * t.ldcBytes, t.ldcBytes,
                               WZP ? t.rowsum + i : nullptr, nvalid);
    const int rem = t.m - i;
    const uint8_t* a = t.a + i * t.lda;
    uint8_t* c = c0 + i * t.ldcBytes;
    const int32_t* rs = WZP ? t.rowsum + i : nullptr;
    switch (rem) {
#define QINT8_REM_CASE(R) \
  case R: microTile<R, OUT, WZP>(a, t.lda, kg, b, cp, rc, c, t.ldcBytes, rs, nvalid); break;
      QINT8_REM_CASE(1) QINT8_REM_CASE(2) QINT8_REM_CASE(3) QINT8_REM_CASE(4)
      QINT8_REM_CASE(5) QINT8_REM_CASE(6) QINT8_REM_CASE(7)
#undef QINT8_REM_CASE
      default: break;
    }
  }
}

static void mmTile(const GemmTileArgs& t) {
  const bool wzp = t.ep.weightZeroPoint != nullptr;
  switch (t.ep.kind) {
    case GemmOut::kU8:
    case GemmOut::kS8: wzp ? tileImpl<GemmOut::kU8, true>(t) : tileImpl<GemmOut::kU8, false>(t); break;
    case GemmOut::kF32: wzp ? tileImpl<GemmOut::kF32, true>(t) : tileImpl<GemmOut::kF32, false>(t); break;
    case GemmOut::kS32: wzp ? tileImpl<GemmOut::kS32, true>(t) : tileImpl<GemmOut::kS32, false>(t); break;
  }
}

// 16 independent usmmla (32 MACs each) per iteration, registers only. Returns the MACs executed.
static double mmPeakLoop(long iters) {
  const long n = iters;
  __asm__ volatile(
      "movi v30.16b, #3\n\t"
      "movi v31.16b, #5\n\t"
      "1:\n\t"
      "usmmla v0.4s, v30.16b, v31.16b\n\t"
      "usmmla v1.4s, v30.16b, v31.16b\n\t"
      "usmmla v2.4s, v30.16b, v31.16b\n\t"
      "usmmla v3.4s, v30.16b, v31.16b\n\t"
      "usmmla v4.4s, v30.16b, v31.16b\n\t"
      "usmmla v5.4s, v30.16b, v31.16b\n\t"
      "usmmla v6.4s, v30.16b, v31.16b\n\t"
      "usmmla v7.4s, v30.16b, v31.16b\n\t"
      "usmmla v16.4s, v30.16b, v31.16b\n\t"
      "usmmla v17.4s, v30.16b, v31.16b\n\t"
      "usmmla v18.4s, v30.16b, v31.16b\n\t"
      "usmmla v19.4s, v30.16b, v31.16b\n\t"
      "usmmla v20.4s, v30.16b, v31.16b\n\t"
      "usmmla v21.4s, v30.16b, v31.16b\n\t"
      "usmmla v22.4s, v30.16b, v31.16b\n\t"
      "usmmla v23.4s, v30.16b, v31.16b\n\t"
      "subs %0, %0, #1\n\t"
      "b.ne 1b\n\t"
      : "+r"(iters)
      :
      : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
        "v23", "v30", "v31", "cc");
  return static_cast<double>(n) * 16.0 * 32.0;
}

const GemmKernelTable kI8mm = {
    Isa::kI8mm, kNR, kMR, mmPanelBytes, mmPackPanel, mmTile, nullptr,
    mmABytes, mmALd, mmPrepareA, mmPeakLoop,
};

}  // namespace

const GemmKernelTable* gemmKernelsI8mm() { return &kI8mm; }

}  // namespace qint8
