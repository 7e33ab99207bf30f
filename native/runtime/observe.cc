// qint8 — observation driver: argument checks, ISA dispatch, threads (per-thread partial results
// merged at the end, so the result does not depend on the split).
#include "qint8/observe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/threadpool.h"
#include "dispatch.h"
#include "observe_kernels.h"

namespace qint8 {

const ObserveKernelTable& observeKernels(Isa isa) {
  static const IsaTables<ObserveKernelTable> tables = {
      observeKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      observeKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      observeKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      observeKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: no dot products here, they fall back to neon
  };
  return selectTable(isa, tables, "observe");
}

namespace {

constexpr size_t kGrain = 1 << 16;  // values per task

static inline float plusZero(float v) { return v == 0.0f ? 0.0f : v; }

void addNonFinite(NonFinite* to, const NonFinite& from) {
  to->nan += from.nan;
  to->posInf += from.posInf;
  to->negInf += from.negInf;
}

int participants(int maxThreads) {
  const int t = ThreadPool::global().numThreads();
  return maxThreads > 0 ? std::min(t, maxThreads) : t;
}

}  // namespace

namespace {

MinMax minMaxImpl(Isa isa, const float* x, size_t n, bool absolute, int maxThreads) {
  const ObserveKernelTable& kt = observeKernels(isa);
  const size_t tasks = (n + kGrain - 1) / kGrain;
  MinMax r{INFINITY, -INFINITY, {}};
  if (tasks <= 1) {
    kt.minMax(x, n, absolute, &r.min, &r.max, &r.skipped);
  } else {
    const int threads = participants(maxThreads);
    std::vector<MinMax> part(static_cast<size_t>(threads), MinMax{INFINITY, -INFINITY, {}});
    ThreadPool::global().parallelFor(
        static_cast<int>(tasks),
        [&](int t, int th) {
          const size_t b = static_cast<size_t>(t) * kGrain, e = std::min(n, b + kGrain);
          MinMax& p = part[static_cast<size_t>(th)];
          kt.minMax(x + b, e - b, absolute, &p.min, &p.max, &p.skipped);
        },
        maxThreads);
    for (const MinMax& p : part) {
      r.min = std::min(r.min, p.min);
      r.max = std::max(r.max, p.max);
      addNonFinite(&r.skipped, p.skipped);
    }
  }
  r.min = plusZero(r.min);
  r.max = plusZero(r.max);
  return r;
}

}  // namespace

MinMax minMax(Isa isa, const float* x, size_t n, int maxThreads) { return minMaxImpl(isa, x, n, false, maxThreads); }
MinMax minMaxAbs(Isa isa, const float* x, size_t n, int maxThreads) { return minMaxImpl(isa, x, n, true, maxThreads); }

void minMaxPerChannel(Isa isa, const float* x, size_t outer, size_t channels, size_t inner, float* mins, float* maxs,
                      NonFinite* skipped, int maxThreads) {
  if (channels == 0) throw std::invalid_argument("channels must be >= 1");
  const ObserveKernelTable& kt = observeKernels(isa);
  const size_t n = outer * channels * inner;
  const int threads = participants(maxThreads);
  // Per-thread running values; one task is a block of rows (channel-last) or of runs.
  std::vector<float> pmin(static_cast<size_t>(threads) * channels, INFINITY);
  std::vector<float> pmax(static_cast<size_t>(threads) * channels, -INFINITY);
  std::vector<NonFinite> pnf(static_cast<size_t>(threads));
  if (inner == 1) {
    const size_t rowsPerTask = std::max<size_t>(1, kGrain / channels);
    const size_t tasks = (outer + rowsPerTask - 1) / rowsPerTask;
    auto body = [&](int t, int th) {
      const size_t b = static_cast<size_t>(t) * rowsPerTask, e = std::min(outer, b + rowsPerTask);
      kt.minMaxRows(x + b * channels, e - b, channels, &pmin[static_cast<size_t>(th) * channels],
                    &pmax[static_cast<size_t>(th) * channels], &pnf[static_cast<size_t>(th)]);
    };
    if (n <= kGrain || tasks <= 1)
      for (size_t t = 0; t < tasks; ++t) body(static_cast<int>(t), 0);
    else
      ThreadPool::global().parallelFor(static_cast<int>(tasks), body, maxThreads);
  } else {
    const size_t runs = outer * channels;
    const size_t runsPerTask = std::max<size_t>(1, kGrain / inner);
    const size_t tasks = (runs + runsPerTask - 1) / runsPerTask;
    auto body = [&](int t, int th) {
      const size_t b = static_cast<size_t>(t) * runsPerTask, e = std::min(runs, b + runsPerTask);
      float* mn = &pmin[static_cast<size_t>(th) * channels];
      float* mx = &pmax[static_cast<size_t>(th) * channels];
      for (size_t r = b; r < e; ++r) {
        const size_t c = r % channels;
        kt.minMax(x + r * inner, inner, false, &mn[c], &mx[c], &pnf[static_cast<size_t>(th)]);
      }
    };
    if (n <= kGrain || tasks <= 1)
      for (size_t t = 0; t < tasks; ++t) body(static_cast<int>(t), 0);
    else
      ThreadPool::global().parallelFor(static_cast<int>(tasks), body, maxThreads);
  }
  NonFinite nf;
  for (size_t c = 0; c < channels; ++c) {
    float mn = INFINITY, mx = -INFINITY;
    for (int th = 0; th < threads; ++th) {
      mn = std::min(mn, pmin[static_cast<size_t>(th) * channels + c]);
      mx = std::max(mx, pmax[static_cast<size_t>(th) * channels + c]);
    }
    mins[c] = plusZero(mn);
    maxs[c] = plusZero(mx);
  }
  for (const NonFinite& p : pnf) addNonFinite(&nf, p);
  if (skipped) *skipped = nf;
}

namespace {

void checkSpec(const HistogramSpec& s) {
  if (s.bins < 1 || s.bins > (int64_t{1} << 24)) throw std::invalid_argument("histogram bins must be in [1, 2^24]");
  switch (s.rule) {
    case BinRule::kTorchHistc:
      if (!(std::isfinite(s.lo) && std::isfinite(s.hi) && s.lo < s.hi) || !std::isfinite(s.hi - s.lo))
        throw std::invalid_argument("histogram range must be finite with lo < hi");
      break;
    case BinRule::kNumpy:
    case BinRule::kEdges:
      if (!s.edges) throw std::invalid_argument("histogram edges are missing");
      for (int64_t i = 0; i <= s.bins; ++i) {
        if (!std::isfinite(s.edges[i])) throw std::invalid_argument("histogram edges must be finite");
        if (i > 0 && !(s.edges[i] > s.edges[i - 1])) throw std::invalid_argument("histogram edges must increase");
        if (s.rule == BinRule::kNumpy && static_cast<double>(static_cast<float>(s.edges[i])) != s.edges[i])
          throw std::invalid_argument("numpy-rule edges must be float32 values");
      }
      if (s.rule == BinRule::kNumpy && !std::isfinite(static_cast<float>(s.edges[s.bins]) - static_cast<float>(s.edges[0])))
        throw std::invalid_argument("histogram range overflows float32");
      break;
    case BinRule::kGrid:
      if (s.gridLog2 < -160 || s.gridLog2 > 130) throw std::invalid_argument("grid width must be 2^k with k in [-160, 130]");
      if (s.gridOffset < -(int64_t{1} << 52) || s.gridOffset > (int64_t{1} << 52))
        throw std::invalid_argument("grid offset must be within +-2^52");
      break;
    default:
      throw std::invalid_argument("unknown histogram rule");
  }
}

}  // namespace

uint64_t histogram(Isa isa, const float* x, size_t n, const HistogramSpec& spec, double* counts, NonFinite* skipped,
                   int maxThreads) {
  checkSpec(spec);
  const ObserveKernelTable& kt = observeKernels(isa);
  const size_t bins = static_cast<size_t>(spec.bins);
  // Several interleaved copies of a small histogram keep runs of one bin from serializing on a
  // single counter; a large one is already spread out (and would not fit in L1 four times).
  const int ways = bins <= 4096 ? 4 : 1;
  const size_t tasks = (n + kGrain - 1) / kGrain;
  const int threads = tasks <= 1 ? 1 : participants(maxThreads);
  std::vector<uint32_t> local(static_cast<size_t>(threads) * ways * bins, 0);
  std::vector<uint64_t> dropped(static_cast<size_t>(threads), 0);
  std::vector<NonFinite> nf(static_cast<size_t>(threads));
  std::vector<double> acc(bins, 0.0);
  // uint32 counters: flush into `acc` at least every 2^31 values.
  const size_t flushEvery = size_t{1} << 31;
  auto flush = [&]() {
    for (size_t t = 0; t < local.size() / bins; ++t)
      for (size_t j = 0; j < bins; ++j) acc[j] += static_cast<double>(local[t * bins + j]);
    std::fill(local.begin(), local.end(), 0u);
  };
  for (size_t base = 0; base < n || base == 0; base += flushEvery) {
    const size_t len = std::min(flushEvery, n - base);
    const float* xb = x + base;
    const size_t tk = (len + kGrain - 1) / kGrain;
    auto body = [&](int t, int th) {
      const size_t b = static_cast<size_t>(t) * kGrain, e = std::min(len, b + kGrain);
      dropped[static_cast<size_t>(th)] += kt.histogram(xb + b, e - b, spec, &local[static_cast<size_t>(th) * ways * bins],
                                                       ways, &nf[static_cast<size_t>(th)]);
    };
    if (tk <= 1)
      body(0, 0);
    else
      ThreadPool::global().parallelFor(static_cast<int>(tk), body, maxThreads);
    flush();
    if (n == 0) break;
  }
  uint64_t drop = 0;
  NonFinite all;
  for (int t = 0; t < threads; ++t) {
    drop += dropped[static_cast<size_t>(t)];
    addNonFinite(&all, nf[static_cast<size_t>(t)]);
  }
  for (size_t j = 0; j < bins; ++j) counts[j] += acc[j];
  if (skipped) addNonFinite(skipped, all);
  return drop;
}

}  // namespace qint8
