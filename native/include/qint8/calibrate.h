// qint8 — range searches on histograms (calibration criteria), scalar code.
//
//  - PyTorch's HistogramObserver: merging a histogram into a wider range (_combine_histograms /
//    _upscale_histogram) and the L2-norm range search (_non_linear_param_search), reproduced in
//    float32 step by step as torch evaluates them on the CPU (torch.linspace with the FMA its
//    AVX2/AVX-512 kernels use, torch.div(..., rounding_mode='floor'), float32 accumulation
//    where torch accumulates in float32, float64 where it accumulates in float64).
//  - TensorRT's entropy calibration: the KL-divergence threshold search on a histogram of |x|.
//  - MSE: the threshold minimizing the expected squared quantization error of a histogram of |x|.
//  - onnxruntime's entropy variant (calibrate.py get_entropy_threshold, with its smoothing).
#pragma once
#include <cstddef>
#include <cstdint>

namespace qint8 {

// torch.linspace(start, end, steps) in float32 (steps >= 2).
void torchLinspace(float start, float end, int64_t steps, float* out);

// HistogramObserver._combine_histograms: `orig` (bins, over [origMin, origMax]) mapped into
// [newMin, newMax] and added to `update` (already over the new range). out may alias update.
void torchCombineHistograms(const float* orig, int64_t bins, float origMin, float origMax, const float* update,
                            float newMin, float newMax, int64_t upsampleRate, float* out);

struct TorchSearchResult {
  float min, max;            // the searched range (min_val + bin_width * start_bin, ...)
  int64_t startBin, endBin;  // inclusive bin range kept
  int64_t evaluations;       // calls of _compute_quantization_error
};
// HistogramObserver._non_linear_param_search on a histogram of `bins` bins over [min, max]
// (dstBins = 2^bits of the quantized type, 256 for 8-bit).
TorchSearchResult torchNonlinearSearch(const float* hist, int64_t bins, float min, float max, int64_t dstBins);
// HistogramObserver._compute_quantization_error (exposed for tests).
double torchQuantizationError(const float* hist, int64_t bins, float min, float max, int64_t dstBins, int64_t startBin,
                              int64_t endBin);

// TensorRT's entropy calibration on a histogram of |x| (bin j = [j w, (j+1) w), nbins bins):
// for every candidate i in {startBin, startBin + stride, ...} (i <= nbins) the first i bins are
// kept (threshold i * w), the reference distribution P is those bins with every value beyond
// added to the last one, the candidate Q quantizes the same i bins into `levels` groups (bin j
// in group floor(j * levels / i)) and spreads each group's count evenly over its non-empty
// bins; no smoothing (a non-empty P bin over an empty Q bin gives +Inf). Returns the i with the
// smallest KL(P || Q) (the largest such i on ties), or 0 when the histogram is empty.
// divergences (optional) receives one value per candidate.
int64_t entropyThresholdBins(const double* hist, int64_t nbins, int64_t levels, int64_t startBin, int64_t stride,
                             double* divergences);

// The i (same candidates) minimizing the expected squared error of quantizing the histogram's
// values (uniform within each bin) onto {0, s, 2s, ..., maxQ * s} with s = i * w / maxQ, values
// beyond i * w clipped to it. Returns 0 when the histogram is empty. errors: optional, per candidate.
int64_t mseThresholdBins(const double* hist, int64_t nbins, double binWidth, int64_t maxQ, int64_t startBin,
                         int64_t stride, double* errors);

// onnxruntime.quantization.calibrate.HistogramCollector.get_entropy_threshold on a histogram of
// signed values symmetric around its middle bin: returns the chosen [start, end) bin slice (the
// threshold is (edges[start], edges[end])). Throws std::invalid_argument if numQuantizedBins
// exceeds the bins.
void ortEntropyThreshold(const double* hist, int64_t nbins, int64_t numQuantizedBins, int64_t* start, int64_t* end);

}  // namespace qint8
