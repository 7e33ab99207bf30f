// qint8 — NEON observation kernels (armv8-a): min/max (per tensor, channel-last rows) and histogram
// bin assignment. Bit-exact with kernels/ref/observe_ref.cc (same float32 / float64 operations in
// the same order; the build has -ffp-contract=off, so no fmla / fmadd is formed).
//   - finite lanes: facgt (|x| < +Inf; false for NaN and +-Inf), one instruction per 4 lanes; 16
//     floats per step, and a step whose lanes are all finite (umaxv of the inverted masks is 0)
//     takes fmin / fmax directly. Otherwise the non-finite lanes are counted one by one and
//     replaced by the running value (bsl) before the fmin / fmax, so no NaN ever reaches them.
//     fmin of -0 and +0 may return either zero: the driver reports zeros as +0.
//   - histogram: 8 values per step; the bin index is computed in vectors exactly as the scalar
//     rule (torch: fsub, fmul, fdiv, fcvtzs, min with bins - 1; numpy: fsub, fdiv, fmul, fcvtzs,
//     then the scalar edge correction; grid: fcvtl to float64, fmul by 2^-k, frintm, range
//     compares, fsub, fcvtzs); the counts are scalar increments spread over the interleaved
//     copies of the histogram (lane l into copy l % ways), as on x86. Explicit edges (binary
//     search) stay scalar.
// The dotprod and i8mm tiers fall back to this table.
#include <arm_neon.h>

#include <cstring>

#include "../../../runtime/observe_kernels.h"

namespace qint8 {
namespace {

static QINT8_ALWAYS_INLINE uint32x4_t finiteMask(float32x4_t v) { return vcaltq_f32(v, vdupq_n_f32(INFINITY)); }

// Bit l set when lane l of the mask is set.
static QINT8_ALWAYS_INLINE unsigned maskBits(uint32x4_t m) {
  const uint32_t w[4] = {1, 2, 4, 8};
  return vaddvq_u32(vandq_u32(m, vld1q_u32(w)));
}

static inline void countLanes(float32x4_t v, unsigned bits, NonFinite* nf) {
  float t[4];
  vst1q_f32(t, v);
  for (; bits; bits &= bits - 1) obsCountNonFinite(t[__builtin_ctz(bits)], nf);
}

// Loads n < 4 values, padding with `fill`.
static inline float32x4_t loadTail(const float* x, size_t n, float fill) {
  float t[4] = {fill, fill, fill, fill};
  std::memcpy(t, x, n * sizeof(float));
  return vld1q_f32(t);
}

static QINT8_ALWAYS_INLINE float32x4_t andMask(float32x4_t v, uint32x4_t m) {
  return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), m));
}

// min/max of the finite lanes only: non-finite lanes are replaced by the running value first.
static QINT8_ALWAYS_INLINE void updateSome(float32x4_t v, uint32x4_t keep, float32x4_t& lo, float32x4_t& hi) {
  lo = vminq_f32(lo, vbslq_f32(keep, v, lo));
  hi = vmaxq_f32(hi, vbslq_f32(keep, v, hi));
}

template <bool ABS>
static void minMaxT(const float* x, size_t n, float* mn, float* mx, NonFinite* nf) {
  auto andMask = [](float32x4_t v) { return ABS ? vabsq_f32(v) : v; };
  float32x4_t lo0 = vdupq_n_f32(*mn), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  float32x4_t hi0 = vdupq_n_f32(*mx), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4x4_t v = vld1q_f32_x4(x + i);
    const uint32x4_t f0 = finiteMask(v.val[0]), f1 = finiteMask(v.val[1]);
    const uint32x4_t f2 = finiteMask(v.val[2]), f3 = finiteMask(v.val[3]);
    const float32x4_t a0 = andMask(v.val[0]), a1 = andMask(v.val[1]);
    const float32x4_t a2 = andMask(v.val[2]), a3 = andMask(v.val[3]);
    const uint32x4_t all = vandq_u32(vandq_u32(f0, f1), vandq_u32(f2, f3));
    if (__builtin_expect(vminvq_u32(all) != 0, 1)) {
      lo0 = vminq_f32(lo0, a0), hi0 = vmaxq_f32(hi0, a0);
      lo1 = vminq_f32(lo1, a1), hi1 = vmaxq_f32(hi1, a1);
      lo2 = vminq_f32(lo2, a2), hi2 = vmaxq_f32(hi2, a2);
      lo3 = vminq_f32(lo3, a3), hi3 = vmaxq_f32(hi3, a3);
    } else {
      countLanes(v.val[0], ~maskBits(f0) & 0xF, nf);
      countLanes(v.val[1], ~maskBits(f1) & 0xF, nf);
      countLanes(v.val[2], ~maskBits(f2) & 0xF, nf);
      countLanes(v.val[3], ~maskBits(f3) & 0xF, nf);
      updateSome(a0, f0, lo0, hi0);
      updateSome(a1, f1, lo1, hi1);
      updateSome(a2, f2, lo2, hi2);
      updateSome(a3, f3, lo3, hi3);
    }
  }
  for (; i < n; i += 4) {
    const size_t w = n - i < 4 ? n - i : 4;
    // Padding lanes hold NaN: they are excluded like any non-finite value, but not counted.
    const float32x4_t v = w == 4 ? vld1q_f32(x + i) : loadTail(x + i, w, NAN);
    const unsigned lanes = (1u << w) - 1;
    const uint32x4_t f = finiteMask(v);
    const unsigned fb = maskBits(f);
    if ((fb & lanes) != lanes) countLanes(v, ~fb & lanes, nf);
    updateSome(andMask(v), f, lo0, hi0);
  }
  lo0 = vminq_f32(vminq_f32(lo0, lo1), vminq_f32(lo2, lo3));
  hi0 = vmaxq_f32(vmaxq_f32(hi0, hi1), vmaxq_f32(hi2, hi3));
  *mn = vminvq_f32(lo0);
  *mx = vmaxvq_f32(hi0);
}

void minMax(const float* x, size_t n, bool absolute, float* mn, float* mx, NonFinite* nf) {
  if (absolute) minMaxT<true>(x, n, mn, mx, nf);
  else minMaxT<false>(x, n, mn, mx, nf);
}

// One strip of w <= 16 channels (FULL: w == 16, loaded in place; otherwise through buffers whose
// padding lanes hold NaN: excluded like any non-finite value, but not counted).
template <bool FULL>
static inline void minMaxStrip(const float* x, size_t rows, size_t c, size_t w, float* mins, float* maxs,
                               NonFinite* nf) {
  float tl[16], th[16];
  for (size_t l = 0; l < 16; ++l) {
    tl[l] = l < w ? mins[l] : INFINITY;
    th[l] = l < w ? maxs[l] : -INFINITY;
  }
  float32x4_t lo0 = vld1q_f32(tl), lo1 = vld1q_f32(tl + 4), lo2 = vld1q_f32(tl + 8), lo3 = vld1q_f32(tl + 12);
  float32x4_t hi0 = vld1q_f32(th), hi1 = vld1q_f32(th + 4), hi2 = vld1q_f32(th + 8), hi3 = vld1q_f32(th + 12);
  const unsigned lanes = w == 16 ? 0xFFFFu : (1u << w) - 1;
  for (size_t r = 0; r < rows; ++r) {
    const float* p = x + r * c;
    float tv[16];
    if (!FULL) {
      for (size_t l = 0; l < 16; ++l) tv[l] = NAN;
      std::memcpy(tv, p, w * sizeof(float));
      p = tv;
    }
    const float32x4x4_t v = vld1q_f32_x4(p);
    const uint32x4_t f0 = finiteMask(v.val[0]), f1 = finiteMask(v.val[1]);
    const uint32x4_t f2 = finiteMask(v.val[2]), f3 = finiteMask(v.val[3]);
    if (FULL && __builtin_expect(vminvq_u32(vandq_u32(vandq_u32(f0, f1), vandq_u32(f2, f3))) != 0, 1)) {
      lo0 = vminq_f32(lo0, v.val[0]), hi0 = vmaxq_f32(hi0, v.val[0]);
      lo1 = vminq_f32(lo1, v.val[1]), hi1 = vmaxq_f32(hi1, v.val[1]);
      lo2 = vminq_f32(lo2, v.val[2]), hi2 = vmaxq_f32(hi2, v.val[2]);
      lo3 = vminq_f32(lo3, v.val[3]), hi3 = vmaxq_f32(hi3, v.val[3]);
      continue;
    }
    const unsigned fb = maskBits(f0) | maskBits(f1) << 4 | maskBits(f2) << 8 | maskBits(f3) << 12;
    const unsigned bad = ~fb & lanes;
    if (bad) {
      countLanes(v.val[0], bad & 0xF, nf);
      countLanes(v.val[1], bad >> 4 & 0xF, nf);
      countLanes(v.val[2], bad >> 8 & 0xF, nf);
      countLanes(v.val[3], bad >> 12 & 0xF, nf);
    }
    updateSome(v.val[0], f0, lo0, hi0);
    updateSome(v.val[1], f1, lo1, hi1);
    updateSome(v.val[2], f2, lo2, hi2);
    updateSome(v.val[3], f3, lo3, hi3);
  }
  vst1q_f32(tl, lo0), vst1q_f32(tl + 4, lo1), vst1q_f32(tl + 8, lo2), vst1q_f32(tl + 12, lo3);
  vst1q_f32(th, hi0), vst1q_f32(th + 4, hi1), vst1q_f32(th + 8, hi2), vst1q_f32(th + 12, hi3);
  std::memcpy(mins, tl, w * sizeof(float));
  std::memcpy(maxs, th, w * sizeof(float));
}

void minMaxRows(const float* x, size_t rows, size_t c, float* mins, float* maxs, NonFinite* nf) {
  size_t j = 0;
  for (; j + 16 <= c; j += 16) minMaxStrip<true>(x + j, rows, c, 16, mins + j, maxs + j, nf);
  if (j < c) minMaxStrip<false>(x + j, rows, c, c - j, mins + j, maxs + j, nf);
}

// ---- histogram: 8 lanes per step, bins in registers, scalar increments over the ways ----

// Bin indices of 4 values (idx) and the in-range lanes (bits).
template <BinRule R>
static QINT8_ALWAYS_INLINE unsigned binIndex4(float32x4_t v, const BinConsts& k, int32_t* idx) {
  if constexpr (R == BinRule::kTorchHistc || R == BinRule::kNumpy) {
    const float32x4_t lo = vdupq_n_f32(k.lo), hi = vdupq_n_f32(k.hi);
    const unsigned in = maskBits(vandq_u32(vcgeq_f32(v, lo), vcleq_f32(v, hi)));
    float32x4_t t;
    if constexpr (R == BinRule::kTorchHistc)
      t = vdivq_f32(vmulq_f32(vsubq_f32(v, lo), vdupq_n_f32(k.fbins)), vdupq_n_f32(k.range));
    else
      t = vmulq_f32(vdivq_f32(vsubq_f32(v, lo), vdupq_n_f32(k.range)), vdupq_n_f32(k.fbins));
    int32x4_t q = vcvtq_s32_f32(t);  // truncation toward zero, like the scalar cast
    if constexpr (R == BinRule::kTorchHistc) q = vminq_s32(q, vdupq_n_s32(static_cast<int32_t>(k.bins - 1)));
    vst1q_s32(idx, q);
    return in;
  } else {  // kGrid in float64, 2 lanes at a time
    const float64x2_t s = vdupq_n_f64(k.gridScale), glo = vdupq_n_f64(k.gridLo), ghi = vdupq_n_f64(k.gridHi);
    const float64x2_t a0 = vrndmq_f64(vmulq_f64(vcvt_f64_f32(vget_low_f32(v)), s));
    const float64x2_t a1 = vrndmq_f64(vmulq_f64(vcvt_high_f64_f32(v), s));
    const uint64x2_t in0 = vandq_u64(vcgeq_f64(a0, glo), vcltq_f64(a0, ghi));
    const uint64x2_t in1 = vandq_u64(vcgeq_f64(a1, glo), vcltq_f64(a1, ghi));
    // Lanes out of range convert to anything (fcvtzs saturates); they are never used.
    const int64x2_t q0 = vcvtq_s64_f64(vsubq_f64(a0, glo)), q1 = vcvtq_s64_f64(vsubq_f64(a1, glo));
    vst1q_s32(idx, vcombine_s32(vmovn_s64(q0), vmovn_s64(q1)));
    const uint32x4_t in = vcombine_u32(vmovn_u64(in0), vmovn_u64(in1));
    return maskBits(in);
  }
}

template <BinRule R>
uint64_t histogramT(const float* x, size_t n, const HistogramSpec& spec, uint32_t* counts, int ways, NonFinite* nf) {
  const BinConsts k = obsBinConsts(spec);
  const size_t bins = static_cast<size_t>(k.bins);
  // Locals, so the loop does not re-read the spec after every counter store (possible aliasing).
  const uint32x4_t absMask = vdupq_n_u32(spec.absolute ? 0x7FFFFFFFu : 0xFFFFFFFFu);
  const double* const edges = spec.edges;
  const unsigned wayMask = static_cast<unsigned>(ways - 1);
  const int32_t b1 = static_cast<int32_t>(bins);
  const int32_t offs[4] = {0, b1, 2 * b1, 3 * b1};
  const int32x4_t wayOffsets = ways == 4 ? vld1q_s32(offs) : vdupq_n_s32(0);
  uint64_t dropped = 0;
  int32_t idx[8];
  float val[8];
  for (size_t i = 0; i < n; i += 8) {
    const size_t w = n - i < 8 ? n - i : 8;
    const unsigned lanes = w == 8 ? 0xFFu : (1u << w) - 1;
    float32x4_t v0, v1;
    if (w == 8) {
      v0 = vld1q_f32(x + i);
      v1 = vld1q_f32(x + i + 4);
    } else {
      float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::memcpy(t, x + i, w * sizeof(float));
      v0 = vld1q_f32(t);
      v1 = vld1q_f32(t + 4);
    }
    const unsigned ok = (maskBits(finiteMask(v0)) | maskBits(finiteMask(v1)) << 4) & lanes;
    if (__builtin_expect(ok != lanes, 0)) {
      countLanes(v0, ~ok & lanes & 0xF, nf);
      countLanes(v1, (~ok & lanes) >> 4, nf);
    }
    v0 = andMask(v0, absMask);
    v1 = andMask(v1, absMask);
    unsigned in = binIndex4<R>(v0, k, idx) | binIndex4<R>(v1, k, idx + 4) << 4;
    in &= ok;
    dropped += static_cast<uint64_t>(__builtin_popcount(ok & ~in));
    if (R != BinRule::kNumpy && in == 0xFF) {
      // Every lane counts: add each lane's copy offset, then 8 plain increments.
      vst1q_s32(idx, vaddq_s32(vld1q_s32(idx), wayOffsets));
      vst1q_s32(idx + 4, vaddq_s32(vld1q_s32(idx + 4), wayOffsets));
      ++counts[static_cast<uint32_t>(idx[0])];
      ++counts[static_cast<uint32_t>(idx[1])];
      ++counts[static_cast<uint32_t>(idx[2])];
      ++counts[static_cast<uint32_t>(idx[3])];
      ++counts[static_cast<uint32_t>(idx[4])];
      ++counts[static_cast<uint32_t>(idx[5])];
      ++counts[static_cast<uint32_t>(idx[6])];
      ++counts[static_cast<uint32_t>(idx[7])];
      continue;
    }
    if (R == BinRule::kNumpy) {
      vst1q_f32(val, v0);
      vst1q_f32(val + 4, v1);
    }
    for (unsigned bits = in; bits; bits &= bits - 1) {
      const unsigned l = static_cast<unsigned>(__builtin_ctz(bits));
      size_t b = static_cast<size_t>(idx[l]);
      if (R == BinRule::kNumpy) b = static_cast<size_t>(obsNumpyBinFix(val[l], static_cast<int64_t>(b), edges, k.bins));
      ++counts[(l & wayMask) * bins + b];
    }
  }
  return dropped;
}

uint64_t histogramEdges(const float* x, size_t n, const HistogramSpec& spec, uint32_t* counts, int ways, NonFinite* nf) {
  const size_t bins = static_cast<size_t>(spec.bins);
  const double first = spec.edges[0], lastEdge = spec.edges[spec.bins];
  uint64_t dropped = 0;
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    if (!obsIsFinite(v)) {
      obsCountNonFinite(v, nf);
      continue;
    }
    if (spec.absolute) v = v < 0 ? -v : v;
    const double d = static_cast<double>(v);
    if (!(d >= first && d <= lastEdge)) {
      ++dropped;
      continue;
    }
    ++counts[(i & static_cast<size_t>(ways - 1)) * bins + static_cast<size_t>(obsEdgeBin(v, spec.edges, spec.bins))];
  }
  return dropped;
}

uint64_t histogram(const float* x, size_t n, const HistogramSpec& spec, uint32_t* counts, int ways, NonFinite* nf) {
  switch (spec.rule) {
    case BinRule::kTorchHistc: return histogramT<BinRule::kTorchHistc>(x, n, spec, counts, ways, nf);
    case BinRule::kNumpy: return histogramT<BinRule::kNumpy>(x, n, spec, counts, ways, nf);
    case BinRule::kGrid: return histogramT<BinRule::kGrid>(x, n, spec, counts, ways, nf);
    case BinRule::kEdges: return histogramEdges(x, n, spec, counts, ways, nf);
  }
  return 0;
}

const ObserveKernelTable kNeon = {Isa::kNeon, minMax, minMaxRows, histogram};

}  // namespace

const ObserveKernelTable* observeKernelsNeon() { return &kNeon; }

}  // namespace qint8
