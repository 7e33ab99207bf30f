// qint8 — the heavy loops of calibration: min/max (per tensor and per channel) and histogram
// accumulation, vectorized per ISA. NaN and ±Inf never enter a range: they are skipped and
// counted. Every ISA path gives exactly the reference's result (kernels/ref/observe_ref.cc).
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

// Counts of the non-finite values a pass skipped.
struct NonFinite {
  uint64_t nan = 0;
  uint64_t posInf = 0;
  uint64_t negInf = 0;
};

// min and max of the finite values of x (+Inf / -Inf when there is none); zeros are reported
// as +0 whatever their sign, so the result does not depend on the order of the reduction.
struct MinMax {
  float min;
  float max;
  NonFinite skipped;
};
MinMax minMax(Isa isa, const float* x, size_t n, int maxThreads = 0);
// The same over |x| (min and max of the absolute values of the finite values).
MinMax minMaxAbs(Isa isa, const float* x, size_t n, int maxThreads = 0);

// Per channel of the [outer, channels, inner] view of x: mins/maxs get `channels` entries
// (+Inf / -Inf for a channel without finite values).
void minMaxPerChannel(Isa isa, const float* x, size_t outer, size_t channels, size_t inner, float* mins, float* maxs,
                      NonFinite* skipped, int maxThreads = 0);

// How a value is mapped to a bin (each rule reproduces a reference tool bit for bit).
enum class BinRule : int {
  // torch.histc: values outside [lo, hi] and NaN are dropped;
  //   bin = int((x - lo) * bins / (hi - lo)) in float32, x == hi -> last bin.
  kTorchHistc = 0,
  // numpy.histogram with bins = count and float32 edges (onnxruntime's HistogramCollector):
  //   values outside [edges[0], edges[bins]] and NaN are dropped;
  //   bin = int(((x - lo) / (hi - lo)) * bins) in float32, then moved by one where the float32
  //   edges disagree (numpy's correction), x == hi -> last bin.
  kNumpy = 1,
  // numpy.histogram with explicit edges (binary search): bin j holds edges[j] <= x < edges[j+1],
  //   the last bin also holds x == edges[bins]; values outside and NaN are dropped.
  kEdges = 2,
  // A fixed grid anchored at 0 with a power-of-two width w: bin = floor(x / w) - offset.
  //   Exact (x / w is a scaling by a power of two) and independent of the data seen before:
  //   the order-independent histograms use it. Values outside [offset, offset + bins) and NaN
  //   are dropped.
  kGrid = 3,
};

struct HistogramSpec {
  BinRule rule = BinRule::kTorchHistc;
  int64_t bins = 0;
  float lo = 0.0f, hi = 0.0f;    // kTorchHistc, kNumpy: the outer edges (lo < hi)
  const double* edges = nullptr;  // kNumpy, kEdges: bins + 1 increasing edges (float32 values for kNumpy)
  int32_t gridLog2 = 0;           // kGrid: w = 2^gridLog2 (in [-140, 120])
  int64_t gridOffset = 0;         // kGrid: index of counts[0] on the grid
  bool absolute = false;          // histogram of |x| (TensorRT's calibrator, onnxruntime's symmetric percentile)
};

// Adds the counts of x's values to counts[0..bins) (not zeroed first). Returns how many values
// were dropped for lying outside the histogram's range (NaN and ±Inf are counted in *skipped).
// Throws std::invalid_argument for an inconsistent spec.
uint64_t histogram(Isa isa, const float* x, size_t n, const HistogramSpec& spec, double* counts,
                   NonFinite* skipped, int maxThreads = 0);

}  // namespace qint8
