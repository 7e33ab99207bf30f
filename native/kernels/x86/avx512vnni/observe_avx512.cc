// qint8 — AVX-512 observation kernels: min/max (per tensor, channel-last rows) and histogram bin
// assignment. Bit-exact with kernels/ref/observe_ref.cc: the same float32 (or, for the grid rule,
// float64) operations in the same order, -ffp-contract=off; NaN and ±Inf found with vfpclassps.
#include <immintrin.h>

// GCC 12's intrinsic headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports inside every caller: header noise, not a bug here.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "../../../runtime/observe_kernels.h"

namespace qint8 {
namespace {

constexpr int kNonFiniteClass = 0x01 | 0x08 | 0x10 | 0x80;  // QNaN, +Inf, -Inf, SNaN

static inline __mmask16 tailMask(size_t n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

// Counts the non-finite lanes of v selected by m (rare: scalar).
static inline void countLanes(__m512 v, __mmask16 m, NonFinite* nf) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  for (unsigned bits = m; bits; bits &= bits - 1) obsCountNonFinite(t[__builtin_ctz(bits)], nf);
}

void minMax(const float* x, size_t n, bool absolute, float* mn, float* mx, NonFinite* nf) {
  const __m512 absMask = _mm512_castsi512_ps(_mm512_set1_epi32(absolute ? 0x7FFFFFFF : -1));
  __m512 lo0 = _mm512_set1_ps(*mn), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  __m512 hi0 = _mm512_set1_ps(*mx), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
    __m512 x2 = _mm512_loadu_ps(x + i + 32), x3 = _mm512_loadu_ps(x + i + 48);
    const __mmask16 b0 = _mm512_fpclass_ps_mask(x0, kNonFiniteClass), b1 = _mm512_fpclass_ps_mask(x1, kNonFiniteClass);
    const __mmask16 b2 = _mm512_fpclass_ps_mask(x2, kNonFiniteClass), b3 = _mm512_fpclass_ps_mask(x3, kNonFiniteClass);
    if (__builtin_expect((b0 | b1 | b2 | b3) != 0, 0)) {
      countLanes(x0, b0, nf);
      countLanes(x1, b1, nf);
      countLanes(x2, b2, nf);
      countLanes(x3, b3, nf);
    }
    x0 = _mm512_and_ps(x0, absMask);  // |x| (a no-op mask unless absolute)
    x1 = _mm512_and_ps(x1, absMask);
    x2 = _mm512_and_ps(x2, absMask);
    x3 = _mm512_and_ps(x3, absMask);
    lo0 = _mm512_mask_min_ps(lo0, static_cast<__mmask16>(~b0), lo0, x0);
    hi0 = _mm512_mask_max_ps(hi0, static_cast<__mmask16>(~b0), hi0, x0);
    lo1 = _mm512_mask_min_ps(lo1, static_cast<__mmask16>(~b1), lo1, x1);
    hi1 = _mm512_mask_max_ps(hi1, static_cast<__mmask16>(~b1), hi1, x1);
    lo2 = _mm512_mask_min_ps(lo2, static_cast<__mmask16>(~b2), lo2, x2);
    hi2 = _mm512_mask_max_ps(hi2, static_cast<__mmask16>(~b2), hi2, x2);
    lo3 = _mm512_mask_min_ps(lo3, static_cast<__mmask16>(~b3), lo3, x3);
    hi3 = _mm512_mask_max_ps(hi3, static_cast<__mmask16>(~b3), hi3, x3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = tailMask(n - i);
    const __m512 raw = _mm512_maskz_loadu_ps(m, x + i);
    const __mmask16 bad = _mm512_mask_fpclass_ps_mask(m, raw, kNonFiniteClass);
    if (bad) countLanes(raw, bad, nf);
    const __m512 v = _mm512_and_ps(raw, absMask);
    const __mmask16 ok = m & static_cast<__mmask16>(~bad);
    lo0 = _mm512_mask_min_ps(lo0, ok, lo0, v);
    hi0 = _mm512_mask_max_ps(hi0, ok, hi0, v);
  }
  lo0 = _mm512_min_ps(_mm512_min_ps(lo0, lo1), _mm512_min_ps(lo2, lo3));
  hi0 = _mm512_max_ps(_mm512_max_ps(hi0, hi1), _mm512_max_ps(hi2, hi3));
  *mn = _mm512_reduce_min_ps(lo0);
  *mx = _mm512_reduce_max_ps(hi0);
}

void minMaxRows(const float* x, size_t rows, size_t c, float* mins, float* maxs, NonFinite* nf) {
  for (size_t j = 0; j < c; j += 16) {
    const __mmask16 m = tailMask(c - j);
    __m512 lo = _mm512_maskz_loadu_ps(m, mins + j), hi = _mm512_maskz_loadu_ps(m, maxs + j);
    for (size_t r = 0; r < rows; ++r) {
      const __m512 v = _mm512_maskz_loadu_ps(m, x + r * c + j);
      const __mmask16 bad = _mm512_mask_fpclass_ps_mask(m, v, kNonFiniteClass);
      if (__builtin_expect(bad != 0, 0)) countLanes(v, bad, nf);
      const __mmask16 ok = m & static_cast<__mmask16>(~bad);
      lo = _mm512_mask_min_ps(lo, ok, lo, v);
      hi = _mm512_mask_max_ps(hi, ok, hi, v);
    }
    _mm512_mask_storeu_ps(mins + j, m, lo);
    _mm512_mask_storeu_ps(maxs + j, m, hi);
  }
}

// ---- histogram ----
// Per 16 values: non-finite lanes are counted and removed, the bin index of every lane is
// computed in registers, and the in-range lanes are counted with scalar increments spread over
// the interleaved copies (lane l -> copy l % ways).

template <BinRule R>
static inline __m512i binIndex(__m512 v, const BinConsts& k, __mmask16* in) {
  const __m512i last = _mm512_set1_epi32(static_cast<int>(k.bins - 1));
  if (R == BinRule::kTorchHistc || R == BinRule::kNumpy) {
    const __m512 lo = _mm512_set1_ps(k.lo), hi = _mm512_set1_ps(k.hi);
    *in = _mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(v, lo, _CMP_GE_OQ), v, hi, _CMP_LE_OQ);
    __m512 t;
    if (R == BinRule::kTorchHistc)
      t = _mm512_div_ps(_mm512_mul_ps(_mm512_sub_ps(v, lo), _mm512_set1_ps(k.fbins)), _mm512_set1_ps(k.range));
    else
      t = _mm512_mul_ps(_mm512_div_ps(_mm512_sub_ps(v, lo), _mm512_set1_ps(k.range)), _mm512_set1_ps(k.fbins));
    // Truncation as the reference's static_cast; out-of-range lanes are ignored.
    const __m512i idx = _mm512_cvttps_epi32(t);
    return R == BinRule::kTorchHistc ? _mm512_min_epi32(idx, last) : idx;
  } else {  // kGrid, in float64: floor(x * 2^-k) - offset, in [0, bins)
    const __m512d s = _mm512_set1_pd(k.gridScale), glo = _mm512_set1_pd(k.gridLo), ghi = _mm512_set1_pd(k.gridHi);
    const __m512d a = _mm512_roundscale_pd(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), s), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512d b = _mm512_roundscale_pd(
        _mm512_mul_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))), s),
        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __mmask8 ia = _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(a, glo, _CMP_GE_OQ), a, ghi, _CMP_LT_OQ);
    const __mmask8 ib = _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(b, glo, _CMP_GE_OQ), b, ghi, _CMP_LT_OQ);
    *in = static_cast<__mmask16>(ia | (static_cast<unsigned>(ib) << 8));
    // Lanes outside are not used; subtract first so in-range values convert exactly.
    const __m256i qa = _mm512_cvttpd_epi32(_mm512_maskz_sub_pd(ia, a, glo));
    const __m256i qb = _mm512_cvttpd_epi32(_mm512_maskz_sub_pd(ib, b, glo));
    return _mm512_inserti64x4(_mm512_castsi256_si512(qa), qb, 1);
  }
}

template <BinRule R>
uint64_t histogramT(const float* x, size_t n, const HistogramSpec& spec, uint32_t* counts, int ways, NonFinite* nf) {
  const BinConsts k = obsBinConsts(spec);
  const size_t bins = static_cast<size_t>(k.bins);
  // Locals, so the loop does not re-read the spec after every counter store (possible aliasing).
  const bool absolute = spec.absolute;
  const double* const edges = spec.edges;
  const __m512 absMask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  const unsigned wayMask = static_cast<unsigned>(ways - 1);  // ways is 1 or 4
  uint64_t dropped = 0;
  alignas(64) int32_t idx[16];
  alignas(64) float val[16];
  // Lane l counts into copy l % ways (ways is 1 or 4; bins * ways < 2^31 as bins <= 2^24 with ways 4 only below 4097).
  const int b1 = static_cast<int>(bins);
  const __m512i wayOffsets = ways == 4 ? _mm512_setr_epi32(0, b1, 2 * b1, 3 * b1, 0, b1, 2 * b1, 3 * b1, 0, b1, 2 * b1, 3 * b1, 0, b1, 2 * b1, 3 * b1)
                                       : _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tailMask(n - i);
    __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    const __mmask16 bad = _mm512_mask_fpclass_ps_mask(m, v, kNonFiniteClass);
    if (__builtin_expect(bad != 0, 0)) countLanes(v, bad, nf);
    const __mmask16 ok = m & static_cast<__mmask16>(~bad);
    if (absolute) v = _mm512_and_ps(v, absMask);
    __mmask16 in;
    const __m512i q = binIndex<R>(v, k, &in);
    in &= ok;
    dropped += static_cast<uint64_t>(__builtin_popcount(static_cast<unsigned>(ok & static_cast<__mmask16>(~in))));
    if (R != BinRule::kNumpy && in == 0xFFFF) {
      // Every lane counts: add each lane's copy offset in the vector, then 16 plain increments.
      _mm512_store_si512(idx, _mm512_add_epi32(q, wayOffsets));
      ++counts[static_cast<uint32_t>(idx[0])];
      ++counts[static_cast<uint32_t>(idx[1])];
      ++counts[static_cast<uint32_t>(idx[2])];
      ++counts[static_cast<uint32_t>(idx[3])];
      ++counts[static_cast<uint32_t>(idx[4])];
      ++counts[static_cast<uint32_t>(idx[5])];
      ++counts[static_cast<uint32_t>(idx[6])];
      ++counts[static_cast<uint32_t>(idx[7])];
      ++counts[static_cast<uint32_t>(idx[8])];
      ++counts[static_cast<uint32_t>(idx[9])];
      ++counts[static_cast<uint32_t>(idx[10])];
      ++counts[static_cast<uint32_t>(idx[11])];
      ++counts[static_cast<uint32_t>(idx[12])];
      ++counts[static_cast<uint32_t>(idx[13])];
      ++counts[static_cast<uint32_t>(idx[14])];
      ++counts[static_cast<uint32_t>(idx[15])];
      continue;
    }
    _mm512_store_si512(idx, q);
    if (R == BinRule::kNumpy) _mm512_store_ps(val, v);
    for (unsigned bits = in; bits; bits &= bits - 1) {
      const unsigned l = static_cast<unsigned>(__builtin_ctz(bits));
      size_t b = static_cast<size_t>(idx[l]);
      if (R == BinRule::kNumpy) b = static_cast<size_t>(obsNumpyBinFix(val[l], static_cast<int64_t>(b), edges, k.bins));
      ++counts[(l & wayMask) * bins + b];
    }
  }
  return dropped;
}

// Explicit edges: a binary search per value (scalar), after the vector finite/abs screening.
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

const ObserveKernelTable kAvx512 = {Isa::kAvx512Vnni, minMax, minMaxRows, histogram};

}  // namespace

const ObserveKernelTable* observeKernelsAvx512() { return &kAvx512; }

}  // namespace qint8
