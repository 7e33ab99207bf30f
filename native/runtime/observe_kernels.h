// qint8 — internal table of the observation kernels of one ISA, and the scalar per-value rules
// they share. Included by ISA translation units: PODs, declarations and static inline helpers only.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/observe.h"

namespace qint8 {

struct ObserveKernelTable {
  Isa isa;
  // Running min/max over n values (of |x| when `absolute`): *mn / *mx are updated with the finite
  // values (NaN and ±Inf are counted in *nf instead). Zeros may come back as -0 (the driver
  // normalizes).
  void (*minMax)(const float* x, size_t n, bool absolute, float* mn, float* mx, NonFinite* nf);
  // Channel-last rows (rows x c, one channel per column): mins[j] / maxs[j] are running values.
  void (*minMaxRows)(const float* x, size_t rows, size_t c, float* mins, float* maxs, NonFinite* nf);
  // Adds the bin counts of n values (n < 2^32) into counts: `ways` interleaved copies of the
  // histogram (counts[w * bins + j]) that the kernel may spread consecutive values over, so that
  // repeated bins do not serialize on one counter; the driver sums the ways. Returns how many
  // finite values fell outside the histogram.
  uint64_t (*histogram)(const float* x, size_t n, const HistogramSpec& spec, uint32_t* counts, int ways, NonFinite* nf);
};

const ObserveKernelTable* observeKernelsRef();
const ObserveKernelTable* observeKernelsAvx2();
const ObserveKernelTable* observeKernelsAvx512();
const ObserveKernelTable* observeKernelsNeon();
// The table for `isa`, or its fallback tier's. Throws if the CPU lacks `isa`.
const ObserveKernelTable& observeKernels(Isa isa);

// ---- scalar rules (the specification of each BinRule; the SIMD kernels compute the same) ----

static inline bool obsIsFinite(float x) { return std::fabs(x) < INFINITY; }

static inline void obsCountNonFinite(float x, NonFinite* nf) {
  if (x != x)
    ++nf->nan;
  else if (x > 0)
    ++nf->posInf;
  else
    ++nf->negInf;
}

// Precomputed constants of a spec, shared by the scalar and SIMD paths.
struct BinConsts {
  float lo, hi, range, fbins;  // range = hi - lo in float32
  int64_t bins;
  double gridScale;            // 2^-gridLog2
  double gridLo, gridHi;       // [gridOffset, gridOffset + bins) as doubles
};

static inline BinConsts obsBinConsts(const HistogramSpec& s) {
  BinConsts c;
  c.bins = s.bins;
  c.fbins = static_cast<float>(s.bins);
  if (s.rule == BinRule::kNumpy || s.rule == BinRule::kEdges) {
    c.lo = static_cast<float>(s.edges[0]);
    c.hi = static_cast<float>(s.edges[s.bins]);
  } else {
    c.lo = s.lo;
    c.hi = s.hi;
  }
  c.range = c.hi - c.lo;
  c.gridScale = std::ldexp(1.0, -s.gridLog2);
  c.gridLo = static_cast<double>(s.gridOffset);
  c.gridHi = static_cast<double>(s.gridOffset + s.bins);
  return c;
}

// torch.histc's bin of a value known to lie in [lo, hi].
static inline int64_t obsTorchBin(float x, const BinConsts& c) {
  const float t = ((x - c.lo) * c.fbins) / c.range;
  int64_t pos = static_cast<int64_t>(t);
  return pos == c.bins ? c.bins - 1 : pos;
}

// numpy.histogram's bin (uniform float32 edges) of a value known to lie in [edges[0], edges[bins]].
static inline int64_t obsNumpyBinFix(float x, int64_t pos, const double* edges, int64_t bins) {
  if (pos == bins) pos = bins - 1;
  if (static_cast<double>(x) < edges[pos]) --pos;
  if (pos != bins - 1 && static_cast<double>(x) >= edges[pos + 1]) ++pos;
  return pos;
}
static inline int64_t obsNumpyBin(float x, const BinConsts& c, const double* edges) {
  const float t = ((x - c.lo) / c.range) * c.fbins;
  return obsNumpyBinFix(x, static_cast<int64_t>(t), edges, c.bins);
}

// Binary search: the last j with edges[j] <= x (x known to lie in [edges[0], edges[bins]]).
static inline int64_t obsEdgeBin(float x, const double* edges, int64_t bins) {
  const double v = static_cast<double>(x);
  int64_t lo = 0, hi = bins;  // edges[lo] <= v; answer in [lo, hi)
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (edges[mid] <= v)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

// One finite value: its bin, or -1 when it lies outside the histogram.
static inline int64_t obsBinOf(float x, const HistogramSpec& s, const BinConsts& c) {
  if (s.absolute) x = std::fabs(x);
  switch (s.rule) {
    case BinRule::kTorchHistc:
      if (!(x >= c.lo && x <= c.hi)) return -1;
      return obsTorchBin(x, c);
    case BinRule::kNumpy:
      if (!(static_cast<double>(x) >= s.edges[0] && static_cast<double>(x) <= s.edges[s.bins])) return -1;
      return obsNumpyBin(x, c, s.edges);
    case BinRule::kEdges:
      if (!(static_cast<double>(x) >= s.edges[0] && static_cast<double>(x) <= s.edges[s.bins])) return -1;
      return obsEdgeBin(x, s.edges, s.bins);
    case BinRule::kGrid: {
      const double t = std::floor(static_cast<double>(x) * c.gridScale);
      if (!(t >= c.gridLo && t < c.gridHi)) return -1;
      return static_cast<int64_t>(t - c.gridLo);
    }
  }
  return -1;
}

}  // namespace qint8
