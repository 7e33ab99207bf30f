// qint8 — range searches on histograms (see qint8/calibrate.h). Scalar code compiled without ISA
// flags and with -ffp-contract=off: every float32 step below is one IEEE float32 operation, and
// where the reference used a fused multiply-add it is written as std::fma.
#include "qint8/calibrate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace qint8 {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// c10::div_floor_floating (torch.div(a, b, rounding_mode='floor')) in float32.
float torchFloorDiv(float a, float b) {
  if (b == 0.0f) return a / b;
  const float mod = std::fmod(a, b);
  float div = (a - mod) / b;
  if (mod != 0.0f && ((b < 0.0f) != (mod < 0.0f))) div -= 1.0f;
  if (div == 0.0f) return std::copysign(0.0f, a / b);
  float fl = std::floor(div);
  if (div - fl > 0.5f) fl += 1.0f;
  return fl;
}

// torch.histc's bin of one value over [lo, hi] (float32 edges), or -1 if outside.
int64_t torchBin(float x, float lo, float hi, int64_t bins) {
  if (!(x >= lo && x <= hi)) return -1;
  const float t = ((x - lo) * static_cast<float>(bins)) / (hi - lo);
  const int64_t pos = static_cast<int64_t>(t);
  return pos == bins ? bins - 1 : pos;
}

// float32 sum of a histogram as torch.sum reports it: exact for integer counts (the histograms
// here), i.e. the correctly rounded sum.
float torchSum(const float* h, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += h[i];
  return static_cast<float>(s);
}

// numpy's pairwise summation of float32 (numpy/_core/src/umath/loops_utils.h.src).
float numpyPairwiseSum(const float* a, int64_t n) {
  if (n < 8) {
    float r = 0.0f;
    for (int64_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    float r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpyPairwiseSum(a, n2) + numpyPairwiseSum(a + n2, n - n2);
}

}  // namespace

void torchLinspace(float start, float end, int64_t steps, float* out) {
  // at::native linspace_kernel: step in float32; the first half counts up from start, the second
  // down from end; `start + step * idx` is contracted to one FMA in torch's AVX2/AVX-512 builds.
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int64_t halfway = steps / 2;
  for (int64_t i = 0; i < steps; ++i)
    out[i] = i < halfway ? std::fma(step, static_cast<float>(i), start)
                         : std::fma(-step, static_cast<float>(steps - i - 1), end);
}

void torchCombineHistograms(const float* orig, int64_t bins, float origMin, float origMax, const float* update,
                            float newMin, float newMax, int64_t upsampleRate, float* out) {
  if (newMin == origMin && newMax == origMax) {
    for (int64_t j = 0; j < bins; ++j) out[j] = orig[j] + update[j];
    return;
  }
  std::vector<float> transformed(static_cast<size_t>(bins), 0.0f);
  if (origMin == origMax) {
    // torch.histc(orig_min, bins, min=update_min, max=update_max) * sum(orig_hist)
    const float binValue = torchSum(orig, bins);
    const int64_t b = torchBin(origMin, newMin, newMax, bins);
    if (b >= 0) transformed[static_cast<size_t>(b)] = 1.0f * binValue;
  } else {
    if (newMin > origMin || newMax < origMax) throw std::invalid_argument("the new range must contain the old one");
    // _upscale_histogram
    const int64_t fine = bins * upsampleRate;
    const float binSize = (origMax - origMin) / static_cast<float>(fine);
    const float halfBin = 0.5f * binSize;
    std::vector<float> mids(static_cast<size_t>(fine) + 1), bounds(static_cast<size_t>(bins) + 1);
    torchLinspace(origMin, origMax, fine + 1, mids.data());
    torchLinspace(newMin, newMax, bins + 1, bounds.data());
    const float rate = static_cast<float>(upsampleRate);
    for (int64_t k = 0; k < fine; ++k) {
      const float mid = mids[static_cast<size_t>(k)] + halfBin;
      // torch.bucketize(mid, bounds, right=True) - 1, clamped to [0, bins - 1]
      int64_t b = (std::upper_bound(bounds.begin(), bounds.end(), mid) - bounds.begin()) - 1;
      b = std::min(std::max(b, int64_t{0}), bins - 1);
      transformed[static_cast<size_t>(b)] += orig[k / upsampleRate] / rate;  // bincount: float32, in order
    }
  }
  for (int64_t j = 0; j < bins; ++j) out[j] = update[j] + transformed[static_cast<size_t>(j)];
}

double torchQuantizationError(const float* hist, int64_t bins, float min, float max, int64_t dstBins, int64_t startBin,
                              int64_t endBin) {
  // Python floats (float64) where observer.py uses .item(); float32 tensors everywhere else.
  const double bw = (static_cast<double>(max) - static_cast<double>(min)) / static_cast<double>(bins);
  const double dbw = bw * static_cast<double>(endBin - startBin + 1) / static_cast<double>(dstBins);
  if (dbw == 0.0) return 0.0;
  const float bwf = static_cast<float>(bw), dbwf = static_cast<float>(dbw);
  const float half = static_cast<float>(dbw / 2), nhalf = static_cast<float>(-dbw / 2);
  const float dmax = static_cast<float>(dstBins - 1);
  const float half3 = (half * half) * half, nhalf3 = (nhalf * nhalf) * nhalf;
  const float inner = (half3 - nhalf3) / 3.0f;  // _get_norm(-dbw/2, dbw/2) without the density
  double sum = 0.0;
  for (int64_t j = 0; j < bins; ++j) {
    const float begin = static_cast<float>(j - startBin) * bwf;
    const float end = begin + bwf;
    const float dBegin = std::min(std::max(torchFloorDiv(begin, dbwf), 0.0f), dmax);
    const float dBeginCenter = (dBegin + 0.5f) * dbwf;
    const float dEnd = std::min(std::max(torchFloorDiv(end, dbwf), 0.0f), dmax);
    const float density = hist[j] / bwf;
    float norm = 0.0f;
    const float db = begin - dBeginCenter;
    norm += density * ((half3 - (db * db) * db) / 3.0f);
    norm += (dEnd - dBegin - 1.0f) * (density * inner);
    const float dEndCenter = dEnd * dbwf + half;
    const float de = end - dEndCenter;
    norm += density * (((de * de) * de - nhalf3) / 3.0f);
    sum += norm;
  }
  return static_cast<double>(static_cast<float>(sum));  // norm.sum().item() of a float32 tensor
}

TorchSearchResult torchNonlinearSearch(const float* hist, int64_t bins, float min, float max, int64_t dstBins) {
  const float binWidth = (max - min) / static_cast<float>(bins);
  const double total = torchSum(hist, bins);
  std::vector<float> cSum(static_cast<size_t>(bins));  // torch.cumsum: accumulates in float64
  double acc = 0.0;
  for (int64_t j = 0; j < bins; ++j) cSum[static_cast<size_t>(j)] = static_cast<float>(acc += hist[j]);
  const double stepsize = 1e-5;
  double alpha = 0.0, beta = 1.0, normMin = kInf;
  int64_t startBin = 0, endBin = bins - 1, evals = 0;
  while (alpha < beta) {
    const double nextAlpha = alpha + stepsize, nextBeta = beta - stepsize;
    // cSum[l] < next_alpha * total compares a float32 tensor with a Python float: in float32.
    const float ta = static_cast<float>(nextAlpha * total), tb = static_cast<float>(nextBeta * total);
    int64_t l = startBin, r = endBin;
    while (l < endBin && cSum[static_cast<size_t>(l)] < ta) ++l;
    while (r > startBin && cSum[static_cast<size_t>(r)] > tb) --r;
    int64_t nextStart = startBin, nextEnd = endBin;
    if ((l - startBin) > (endBin - r)) {
      nextStart = l;
      alpha = nextAlpha;
    } else {
      nextEnd = r;
      beta = nextBeta;
    }
    if (nextStart == startBin && nextEnd == endBin) continue;
    const double norm = torchQuantizationError(hist, bins, min, max, dstBins, nextStart, nextEnd);
    ++evals;
    if (norm > normMin) break;
    normMin = norm;
    startBin = nextStart;
    endBin = nextEnd;
  }
  TorchSearchResult r;
  r.min = min + binWidth * static_cast<float>(startBin);
  r.max = min + binWidth * static_cast<float>(endBin + 1);
  r.startBin = startBin;
  r.endBin = endBin;
  r.evaluations = evals;
  return r;
}

int64_t entropyThresholdBins(const double* hist, int64_t nbins, int64_t levels, int64_t startBin, int64_t stride,
                             double* divergences) {
  if (nbins < 1 || levels < 1 || stride < 1) throw std::invalid_argument("entropy search: bins, levels and stride must be >= 1");
  // Prefix sums: counts, non-empty bins, and h ln h (the P ln P terms of all but the last bin).
  std::vector<double> cum(static_cast<size_t>(nbins) + 1, 0.0), hlogh(static_cast<size_t>(nbins) + 1, 0.0);
  std::vector<int64_t> nz(static_cast<size_t>(nbins) + 1, 0);
  for (int64_t j = 0; j < nbins; ++j) {
    const double h = hist[j];
    if (!(h >= 0) || !std::isfinite(h)) throw std::invalid_argument("histogram counts must be finite and >= 0");
    cum[j + 1] = cum[j] + h;
    nz[j + 1] = nz[j] + (h != 0 ? 1 : 0);
    hlogh[j + 1] = hlogh[j] + (h > 0 ? h * std::log(h) : 0.0);
  }
  const double total = cum[static_cast<size_t>(nbins)];
  if (total <= 0) return 0;
  const int64_t first = std::max<int64_t>(1, std::min(startBin, nbins));
  int64_t best = 0;
  double bestDiv = kInf;
  int64_t slot = 0;
  for (int64_t i = first; i <= nbins; i += stride, ++slot) {
    const double kept = cum[static_cast<size_t>(i)];
    const double outliers = total - kept;
    const double hLast = hist[i - 1];
    double div;
    if (kept <= 0 || (hLast == 0 && outliers > 0)) {
      div = kInf;  // Q is empty, or P has mass where Q has none
    } else {
      // KL(P/T || Q/S) = (sum P ln P - sum P ln Q) / T + ln(S / T), T = total, S = kept.
      const double pLast = hLast + outliers;
      double plogp = hlogh[static_cast<size_t>(i - 1)] + (pLast > 0 ? pLast * std::log(pLast) : 0.0);
      double plogq = 0.0;
      for (int64_t g = 0; g < levels; ++g) {
        // Group g holds the bins j with floor(j * levels / i) == g.
        const int64_t lo = (g * i + levels - 1) / levels, hi = std::min(i, ((g + 1) * i + levels - 1) / levels);
        if (lo >= hi) continue;
        const int64_t cnt = nz[static_cast<size_t>(hi)] - nz[static_cast<size_t>(lo)];
        if (cnt == 0) continue;
        const double G = cum[static_cast<size_t>(hi)] - cum[static_cast<size_t>(lo)];
        double mass = G;  // sum of P over the group's non-empty bins
        if (hi == i && hLast != 0) mass += outliers;
        plogq += mass * std::log(G / static_cast<double>(cnt));
      }
      div = (plogp - plogq) / total + std::log(kept / total);
      if (div < 0) div = 0;  // rounding: KL >= 0
    }
    if (divergences) divergences[slot] = div;
    if (div <= bestDiv) {
      bestDiv = div;
      best = i;
    }
  }
  return bestDiv == kInf ? nbins : best;
}

namespace {

// Cumulative moments of a histogram whose values are uniform within each bin j = [j w, (j+1) w).
struct Moments {
  const double* h;
  int64_t n;
  double w, invW;
  std::vector<double> m0, m1;  // count and sum of values over whole bins [0, j)
  double total2;               // sum of squares of all values
  Moments(const double* hist, int64_t nbins, double width)
      : h(hist), n(nbins), w(width), invW(1.0 / width), m0(nbins + 1), m1(nbins + 1), total2(0) {
    for (int64_t j = 0; j < n; ++j) {
      const double a = j * w, b = (j + 1) * w;
      m0[j + 1] = m0[j] + h[j];
      m1[j + 1] = m1[j] + h[j] * (a + b) / 2;
      total2 += h[j] * (a * a + a * b + b * b) / 3;
    }
  }
  // Count and sum of the values in [0, x].
  void at(double x, double* c0, double* c1) const {
    if (x <= 0) {
      *c0 = *c1 = 0;
      return;
    }
    const double t = x * invW;
    if (t >= static_cast<double>(n)) {
      *c0 = m0[n];
      *c1 = m1[n];
      return;
    }
    const int64_t j = static_cast<int64_t>(t);
    const double a = j * w, d = h[j] * invW;
    *c0 = m0[j] + d * (x - a);
    *c1 = m1[j] + d * (x * x - a * a) / 2;
  }
};

}  // namespace

int64_t mseThresholdBins(const double* hist, int64_t nbins, double binWidth, int64_t maxQ, int64_t startBin,
                         int64_t stride, double* errors) {
  if (nbins < 1 || maxQ < 1 || stride < 1 || !(binWidth > 0)) throw std::invalid_argument("mse search: bad arguments");
  for (int64_t j = 0; j < nbins; ++j)
    if (!(hist[j] >= 0) || !std::isfinite(hist[j])) throw std::invalid_argument("histogram counts must be finite and >= 0");
  const Moments mo(hist, nbins, binWidth);
  if (mo.m0[nbins] <= 0) return 0;
  const int64_t first = std::max<int64_t>(1, std::min(startBin, nbins));
  int64_t best = 0;
  double bestErr = kInf;
  int64_t slot = 0;
  for (int64_t i = first; i <= nbins; i += stride, ++slot) {
    const double T = static_cast<double>(i) * binWidth, s = T / static_cast<double>(maxQ);
    // Cell k = [(k - 1/2) s, (k + 1/2) s] rounds to q = k s; the last cell extends to infinity
    // (clipping). Over a cell, sum (a - q)^2 = S2 - 2 q S1 + q^2 S0; the S2 terms add up to the
    // total sum of squares, so only the counts and sums per cell are needed.
    double cross = 0, p0, p1;
    mo.at(0.5 * s, &p0, &p1);
    for (int64_t k = 1; k <= maxQ; ++k) {
      double c0, c1;
      if (k == maxQ) {
        c0 = mo.m0[nbins];
        c1 = mo.m1[nbins];
      } else {
        mo.at((static_cast<double>(k) + 0.5) * s, &c0, &c1);
      }
      const double q = static_cast<double>(k) * s;
      cross += q * (2 * (c1 - p1) - q * (c0 - p0));
      p0 = c0;
      p1 = c1;
    }
    double err = mo.total2 - cross;
    if (err < 0) err = 0;
    if (errors) errors[slot] = err;
    if (err <= bestErr) {
      bestErr = err;
      best = i;
    }
  }
  return best;
}

void ortEntropyThreshold(const double* hist, int64_t nbins, int64_t numQuantizedBins, int64_t* startOut, int64_t* endOut) {
  const int64_t zero = nbins / 2, halfQ = numQuantizedBins / 2;
  if (numQuantizedBins < 1 || halfQ > zero) throw std::invalid_argument("num_quantized_bins exceeds the histogram's bins");
  std::vector<double> cum(static_cast<size_t>(nbins) + 1, 0.0);
  for (int64_t j = 0; j < nbins; ++j) cum[j + 1] = cum[j] + hist[j];
  const double total = cum[static_cast<size_t>(nbins)];
  double bestDiv = kInf;
  int64_t bestStart = zero - halfQ, bestEnd = std::min(zero + halfQ + 1, nbins);
  bool first = true;
  std::vector<double> p, q;
  std::vector<float> pf, qf, rel;
  for (int64_t i = halfQ; i <= zero; ++i) {
    const int64_t start = zero - i, end = std::min(zero + i + 1, nbins), size = end - start;
    p.assign(hist + start, hist + end);
    p[0] += cum[static_cast<size_t>(start)];
    p[static_cast<size_t>(size - 1)] += total - cum[static_cast<size_t>(end)];
    const int64_t merged = size / numQuantizedBins;
    // quantized_bins (int64 sums of the sliced histogram, remainder into the last one)
    q.assign(static_cast<size_t>(size), 0.0);
    for (int64_t k = 0; k < numQuantizedBins; ++k) {
      const int64_t a = k * merged, b = a + merged;
      double qb = 0;
      for (int64_t j = a; j < b; ++j) qb += hist[start + j];
      if (k == numQuantizedBins - 1)
        for (int64_t j = numQuantizedBins * merged; j < size; ++j) qb += hist[start + j];
      int64_t norm = 0;
      for (int64_t j = a; j < b; ++j) norm += p[static_cast<size_t>(j)] != 0 ? 1 : 0;
      // q[start:end] = quantized_bins[index] / norm, assigned into an int64 array (truncation)
      if (norm != 0)
        for (int64_t j = a; j < b; ++j) q[static_cast<size_t>(j)] = std::trunc(qb / static_cast<double>(norm));
    }
    // smooth_distribution(p) and (q), in float32 as quant_utils computes them.
    bool bad = false;
    auto smooth = [&](const std::vector<double>& in, std::vector<float>& out) {
      int64_t zeros = 0;
      for (double v : in) zeros += v == 0 ? 1 : 0;
      const int64_t nonzeros = static_cast<int64_t>(in.size()) - zeros;
      if (nonzeros == 0) return false;
      const double eps1 = 0.0001 * static_cast<double>(zeros) / static_cast<double>(nonzeros);
      if (!(eps1 < 1.0)) return false;  // onnxruntime asserts here
      const float e = static_cast<float>(0.0001), ne = static_cast<float>(-eps1);
      out.resize(in.size());
      for (size_t j = 0; j < in.size(); ++j) {
        const float add = in[j] == 0 ? e + 0.0f * ne : 0.0f * e + ne;
        out[j] = static_cast<float>(in[j]) + add;
        if (!(out[j] > 0)) bad = true;
      }
      return true;
    };
    double div;
    if (!smooth(p, pf) || !smooth(q, qf) || bad) {
      div = kInf;
    } else {
      // entropy(): pk / sum(pk) and qk / sum(qk) in float32 (numpy's pairwise sums), then
      // sum of pk * log(pk / qk) in float32, rounded to float32.
      const float sp = numpyPairwiseSum(pf.data(), size), sq = numpyPairwiseSum(qf.data(), size);
      rel.resize(static_cast<size_t>(size));
      for (int64_t j = 0; j < size; ++j) {
        const float pk = (1.0f * pf[static_cast<size_t>(j)]) / sp, qk = (1.0f * qf[static_cast<size_t>(j)]) / sq;
        rel[static_cast<size_t>(j)] = pk * static_cast<float>(std::log(static_cast<double>(pk / qk)));
      }
      div = static_cast<double>(numpyPairwiseSum(rel.data(), size));
    }
    if (first || div < bestDiv) {  // np.argmin: the first minimum
      first = false;
      bestDiv = div;
      bestStart = start;
      bestEnd = end;
    }
  }
  *startOut = bestStart;
  *endOut = bestEnd;
}

}  // namespace qint8
