// qint8 — scalar reference of the observation kernels (min/max, per-channel min/max, histogram).
#include "../../runtime/observe_kernels.h"

namespace qint8 {
namespace {

void refMinMax(const float* x, size_t n, bool absolute, float* mn, float* mx, NonFinite* nf) {
  float lo = *mn, hi = *mx;
  for (size_t i = 0; i < n; ++i) {
    float v = x[i];
    if (!obsIsFinite(v)) {
      obsCountNonFinite(v, nf);
      continue;
    }
    if (absolute) v = std::fabs(v);
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  *mn = lo;
  *mx = hi;
}

void refMinMaxRows(const float* x, size_t rows, size_t c, float* mins, float* maxs, NonFinite* nf) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < c; ++j) {
      const float v = x[r * c + j];
      if (!obsIsFinite(v)) {
        obsCountNonFinite(v, nf);
        continue;
      }
      mins[j] = v < mins[j] ? v : mins[j];
      maxs[j] = v > maxs[j] ? v : maxs[j];
    }
}

uint64_t refHistogram(const float* x, size_t n, const HistogramSpec& spec, uint32_t* counts, int /*ways*/,
                      NonFinite* nf) {
  const BinConsts c = obsBinConsts(spec);
  uint64_t dropped = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!obsIsFinite(v)) {
      obsCountNonFinite(v, nf);
      continue;
    }
    const int64_t b = obsBinOf(v, spec, c);
    if (b < 0)
      ++dropped;
    else
      ++counts[b];
  }
  return dropped;
}

const ObserveKernelTable kRef = {Isa::kScalar, refMinMax, refMinMaxRows, refHistogram};

}  // namespace

const ObserveKernelTable* observeKernelsRef() { return &kRef; }

}  // namespace qint8
