// qint8 — AVX2 observation kernels: min/max (per tensor, channel-last rows) and histogram bin
// assignment. Bit-exact with kernels/ref/observe_ref.cc (same float32 / float64 operations in the
// same order, -ffp-contract=off). Non-finite lanes: |x| < +Inf is false for NaN and ±Inf.
#include <immintrin.h>

// GCC 12's intrinsic headers self-initialize their "undefined" vectors (__Y = __Y), which
// -Wuninitialized reports inside every caller: header noise, not a bug here.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cstring>

#include "../../../runtime/observe_kernels.h"

namespace qint8 {
namespace {

static inline __m256 absPs(__m256 v) { return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF))); }

// Bit l set when lane l of v is finite.
static inline unsigned finiteBits(__m256 v) {
  return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(absPs(v), _mm256_set1_ps(INFINITY), _CMP_LT_OQ)));
}

static inline void countLanes(__m256 v, unsigned bits, NonFinite* nf) {
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  for (; bits; bits &= bits - 1) obsCountNonFinite(t[__builtin_ctz(bits)], nf);
}

// Loads n < 8 values, padding with `fill`.
static inline __m256 loadTail(const float* x, size_t n, float fill) {
  alignas(32) float t[8] = {fill, fill, fill, fill, fill, fill, fill, fill};
  std::memcpy(t, x, n * sizeof(float));
  return _mm256_load_ps(t);
}

// min/max of the finite lanes only: non-finite lanes are replaced by the running value first.
static inline void update(__m256 v, unsigned ok, __m256& lo, __m256& hi) {
  if (ok == 0xFF) {
    lo = _mm256_min_ps(lo, v);
    hi = _mm256_max_ps(hi, v);
  } else {
    const __m256 keep = _mm256_cmp_ps(absPs(v), _mm256_set1_ps(INFINITY), _CMP_LT_OQ);
    lo = _mm256_min_ps(lo, _mm256_blendv_ps(lo, v, keep));
    hi = _mm256_max_ps(hi, _mm256_blendv_ps(hi, v, keep));
  }
}

static inline float hmin(__m256 v) {
  __m128 a = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  a = _mm_min_ps(a, _mm_movehl_ps(a, a));
  a = _mm_min_ss(a, _mm_shuffle_ps(a, a, 1));
  return _mm_cvtss_f32(a);
}
static inline float hmax(__m256 v) {
  __m128 a = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  a = _mm_max_ps(a, _mm_movehl_ps(a, a));
  a = _mm_max_ss(a, _mm_shuffle_ps(a, a, 1));
  return _mm_cvtss_f32(a);
}

void minMax(const float* x, size_t n, bool absolute, float* mn, float* mx, NonFinite* nf) {
  const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(absolute ? 0x7FFFFFFF : -1));
  __m256 lo0 = _mm256_set1_ps(*mn), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  __m256 hi0 = _mm256_set1_ps(*mx), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
    const __m256 x2 = _mm256_loadu_ps(x + i + 16), x3 = _mm256_loadu_ps(x + i + 24);
    const unsigned f0 = finiteBits(x0), f1 = finiteBits(x1), f2 = finiteBits(x2), f3 = finiteBits(x3);
    const __m256 a0 = _mm256_and_ps(x0, absMask), a1 = _mm256_and_ps(x1, absMask);
    const __m256 a2 = _mm256_and_ps(x2, absMask), a3 = _mm256_and_ps(x3, absMask);
    if (__builtin_expect((f0 & f1 & f2 & f3) != 0xFF, 0)) {
      countLanes(x0, ~f0 & 0xFF, nf);
      countLanes(x1, ~f1 & 0xFF, nf);
      countLanes(x2, ~f2 & 0xFF, nf);
      countLanes(x3, ~f3 & 0xFF, nf);
    }
    update(a0, f0, lo0, hi0);
    update(a1, f1, lo1, hi1);
    update(a2, f2, lo2, hi2);
    update(a3, f3, lo3, hi3);
  }
  for (; i < n; i += 8) {
    const size_t w = n - i < 8 ? n - i : 8;
    // Padding lanes hold NaN: they are excluded like any non-finite value, but not counted.
    const __m256 v = w == 8 ? _mm256_loadu_ps(x + i) : loadTail(x + i, w, NAN);
    const unsigned lanes = w == 8 ? 0xFFu : (1u << w) - 1;
    const unsigned f = finiteBits(v);
    if ((f & lanes) != lanes) countLanes(v, ~f & lanes, nf);
    update(_mm256_and_ps(v, absMask), f, lo0, hi0);
  }
  lo0 = _mm256_min_ps(_mm256_min_ps(lo0, lo1), _mm256_min_ps(lo2, lo3));
  hi0 = _mm256_max_ps(_mm256_max_ps(hi0, hi1), _mm256_max_ps(hi2, hi3));
  *mn = hmin(lo0);
  *mx = hmax(hi0);
}

void minMaxRows(const float* x, size_t rows, size_t c, float* mins, float* maxs, NonFinite* nf) {
  for (size_t j = 0; j < c; j += 8) {
    const size_t w = c - j < 8 ? c - j : 8;
    const unsigned lanes = w == 8 ? 0xFFu : (1u << w) - 1;
    __m256 lo = w == 8 ? _mm256_loadu_ps(mins + j) : loadTail(mins + j, w, INFINITY);
    __m256 hi = w == 8 ? _mm256_loadu_ps(maxs + j) : loadTail(maxs + j, w, -INFINITY);
    for (size_t r = 0; r < rows; ++r) {
      const float* p = x + r * c + j;
      const __m256 v = w == 8 ? _mm256_loadu_ps(p) : loadTail(p, w, NAN);
      const unsigned f = finiteBits(v);
      if (__builtin_expect((f & lanes) != lanes, 0)) countLanes(v, ~f & lanes, nf);
      update(v, f, lo, hi);
    }
    alignas(32) float tl[8], th[8];
    _mm256_store_ps(tl, lo);
    _mm256_store_ps(th, hi);
    std::memcpy(mins + j, tl, w * sizeof(float));
    std::memcpy(maxs + j, th, w * sizeof(float));
  }
}

// ---- histogram: 8 lanes per step, bins in registers, scalar increments over the ways ----

template <BinRule R>
static inline void binIndex(__m256 v, const BinConsts& k, int32_t* idx, unsigned* in) {
  if (R == BinRule::kTorchHistc || R == BinRule::kNumpy) {
    const __m256 lo = _mm256_set1_ps(k.lo), hi = _mm256_set1_ps(k.hi);
    *in = static_cast<unsigned>(_mm256_movemask_ps(
        _mm256_and_ps(_mm256_cmp_ps(v, lo, _CMP_GE_OQ), _mm256_cmp_ps(v, hi, _CMP_LE_OQ))));
    __m256 t;
    if (R == BinRule::kTorchHistc)
      t = _mm256_div_ps(_mm256_mul_ps(_mm256_sub_ps(v, lo), _mm256_set1_ps(k.fbins)), _mm256_set1_ps(k.range));
    else
      t = _mm256_mul_ps(_mm256_div_ps(_mm256_sub_ps(v, lo), _mm256_set1_ps(k.range)), _mm256_set1_ps(k.fbins));
    __m256i q = _mm256_cvttps_epi32(t);
    if (R == BinRule::kTorchHistc) q = _mm256_min_epi32(q, _mm256_set1_epi32(static_cast<int>(k.bins - 1)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx), q);
  } else {  // kGrid in float64, 4 lanes at a time
    const __m256d s = _mm256_set1_pd(k.gridScale), glo = _mm256_set1_pd(k.gridLo), ghi = _mm256_set1_pd(k.gridHi);
    unsigned bits = 0;
    for (int h = 0; h < 2; ++h) {
      const __m128 part = h == 0 ? _mm256_castps256_ps128(v) : _mm256_extractf128_ps(v, 1);
      const __m256d a = _mm256_floor_pd(_mm256_mul_pd(_mm256_cvtps_pd(part), s));
      const __m256d inr = _mm256_and_pd(_mm256_cmp_pd(a, glo, _CMP_GE_OQ), _mm256_cmp_pd(a, ghi, _CMP_LT_OQ));
      bits |= static_cast<unsigned>(_mm256_movemask_pd(inr)) << (4 * h);
      const __m128i q = _mm256_cvttpd_epi32(_mm256_and_pd(_mm256_sub_pd(a, glo), inr));
      _mm_store_si128(reinterpret_cast<__m128i*>(idx + 4 * h), q);
    }
    *in = bits;
  }
}

template <BinRule R>
uint64_t histogramT(const float* x, size_t n, const HistogramSpec& spec, uint32_t* counts, int ways, NonFinite* nf) {
  const BinConsts k = obsBinConsts(spec);
  const size_t bins = static_cast<size_t>(k.bins);
  // Locals, so the loop does not re-read the spec after every counter store (possible aliasing).
  const bool absolute = spec.absolute;
  const double* const edges = spec.edges;
  const unsigned wayMask = static_cast<unsigned>(ways - 1);
  uint64_t dropped = 0;
  alignas(32) int32_t idx[8];
  alignas(32) float val[8];
  // Lane l counts into copy l % ways (ways is 1 or 4).
  const int b1 = static_cast<int>(bins);
  const __m256i wayOffsets = ways == 4 ? _mm256_setr_epi32(0, b1, 2 * b1, 3 * b1, 0, b1, 2 * b1, 3 * b1) : _mm256_setzero_si256();
  for (size_t i = 0; i < n; i += 8) {
    const size_t w = n - i < 8 ? n - i : 8;
    const unsigned lanes = w == 8 ? 0xFFu : (1u << w) - 1;
    __m256 v = w == 8 ? _mm256_loadu_ps(x + i) : loadTail(x + i, w, 0.0f);
    const unsigned ok = finiteBits(v) & lanes;
    if (__builtin_expect(ok != lanes, 0)) countLanes(v, ~ok & lanes, nf);
    if (absolute) v = absPs(v);
    unsigned in;
    binIndex<R>(v, k, idx, &in);
    in &= ok;
    dropped += static_cast<uint64_t>(__builtin_popcount(ok & ~in));
    if (R != BinRule::kNumpy && in == 0xFF) {
      // Every lane counts: add each lane's copy offset, then 8 plain increments.
      _mm256_store_si256(reinterpret_cast<__m256i*>(idx),
                         _mm256_add_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(idx)), wayOffsets));
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
    if (R == BinRule::kNumpy) _mm256_store_ps(val, v);
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

const ObserveKernelTable kAvx2 = {Isa::kAvx2, minMax, minMaxRows, histogram};

}  // namespace

const ObserveKernelTable* observeKernelsAvx2() { return &kAvx2; }

}  // namespace qint8
