// Observation kernels: the reference's semantics on hand-checked values, then every ISA against
// the reference (exact equality of min/max, non-finite counts and every bin count).
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/observe.h"
#include "qint8/threadpool.h"
#include "../runtime/observe_kernels.h"

using namespace qint8;

namespace {
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> values(size_t n, uint64_t seed, float lo, float hi, bool specials) {
  qt::Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniformf(lo, hi);
  if (specials) {
    float sNaN, negSNaN;
    const uint32_t sb = 0x7FA00000u, nsb = 0xFF800001u;
    std::memcpy(&sNaN, &sb, 4);
    std::memcpy(&negSNaN, &nsb, 4);
    const float s[] = {kNaN, kInf, -kInf, -0.0f, 0.0f, lo, hi, std::nextafter(hi, 0.0f), 1e-40f, -1e-40f, sNaN, negSNaN};
    for (size_t i = 0; i < n; i += 37) v[i] = s[(i / 37) % (sizeof(s) / sizeof(float))];
  }
  return v;
}

bool sameNf(const NonFinite& a, const NonFinite& b) { return a.nan == b.nan && a.posInf == b.posInf && a.negInf == b.negInf; }

std::vector<Isa> simdIsas() {
  std::vector<Isa> r;
  for (int i = 1; i < kIsaCount; ++i)
    if (isaSupported(static_cast<Isa>(i))) r.push_back(static_cast<Isa>(i));
  return r;
}

std::vector<double> hist(Isa isa, const std::vector<float>& x, const HistogramSpec& s, uint64_t* dropped, NonFinite* nf) {
  std::vector<double> c(static_cast<size_t>(s.bins), 0.0);
  *dropped = histogram(isa, x.data(), x.size(), s, c.data(), nf);
  return c;
}
}  // namespace

TEST(observe_minmax_reference_semantics) {
  const float x[] = {3.0f, kNaN, -2.5f, kInf, -kInf, kNaN, -0.0f, 7.25f};
  MinMax r = minMax(Isa::kScalar, x, 8);
  CHECK(r.min == -2.5f && r.max == 7.25f);
  CHECK(r.skipped.nan == 2 && r.skipped.posInf == 1 && r.skipped.negInf == 1);
  const float z[] = {-0.0f, -0.0f};
  r = minMax(Isa::kScalar, z, 2);
  CHECK(r.min == 0.0f && !std::signbit(r.min) && !std::signbit(r.max));  // zeros reported as +0
  const float bad[] = {kNaN, kInf};
  r = minMax(Isa::kScalar, bad, 2);
  CHECK(r.min == kInf && r.max == -kInf);  // nothing finite
  r = minMax(Isa::kScalar, x, 0);
  CHECK(r.min == kInf && r.max == -kInf && r.skipped.nan == 0);
  r = minMaxAbs(Isa::kScalar, x, 8);
  CHECK(r.min == 0.0f && r.max == 7.25f && r.skipped.nan == 2);
}

TEST(observe_histogram_reference_semantics) {
  // torch.histc(x, bins=4, min=0, max=1): [0, .25) [.25, .5) [.5, .75) [.75, 1]; outside dropped.
  std::vector<float> x = {0.0f, 0.25f, 0.3f, 0.74f, 0.75f, 1.0f, 1.5f, -0.1f, kNaN, kInf};
  HistogramSpec s;
  s.rule = BinRule::kTorchHistc;
  s.bins = 4;
  s.lo = 0.0f;
  s.hi = 1.0f;
  uint64_t dropped;
  NonFinite nf;
  auto c = hist(Isa::kScalar, x, s, &dropped, &nf);
  CHECK(c[0] == 1 && c[1] == 2 && c[2] == 1 && c[3] == 2);
  CHECK(dropped == 2 && nf.nan == 1 && nf.posInf == 1);
  // |x| histogram.
  s.absolute = true;
  nf = NonFinite{};
  c = hist(Isa::kScalar, x, s, &dropped, &nf);
  CHECK(c[0] == 2 && dropped == 1);  // -0.1 -> 0.1 lands in bin 0; 1.5 is dropped
  // Explicit edges: [0, 1) [1, 3) [3, 4]
  const double edges[] = {0.0, 1.0, 3.0, 4.0};
  HistogramSpec e;
  e.rule = BinRule::kEdges;
  e.bins = 3;
  e.edges = edges;
  std::vector<float> y = {0.0f, 0.999f, 1.0f, 2.9f, 3.0f, 4.0f, 4.01f, -1.0f};
  c = hist(Isa::kScalar, y, e, &dropped, &nf);
  CHECK(c[0] == 2 && c[1] == 2 && c[2] == 2 && dropped == 2);
  // Grid of width 2^-1 anchored at 0, bins covering [-1, 1): floor(x * 2) - (-2).
  HistogramSpec g;
  g.rule = BinRule::kGrid;
  g.bins = 4;
  g.gridLog2 = -1;
  g.gridOffset = -2;
  std::vector<float> z = {-1.0f, -0.5f, -1e-30f, 0.0f, 0.49f, 0.5f, 0.99f, 1.0f, -1.01f};
  c = hist(Isa::kScalar, z, g, &dropped, &nf);
  CHECK(c[0] == 1 && c[1] == 2 && c[2] == 2 && c[3] == 2 && dropped == 2);  // -1e-30 is in [-0.5, 0)
}

TEST(observe_numpy_rule_matches_numpy_edges) {
  // The numpy rule must place every value in the bin its float32 edges say, even where the
  // division alone would be off by one (values next to an edge).
  const int bins = 128;
  const float lo = -3.1f, hi = 3.3f;
  std::vector<double> edges(bins + 1);
  const float step = (hi - lo) / static_cast<float>(bins);
  for (int i = 0; i <= bins; ++i) edges[i] = static_cast<double>(static_cast<float>(i) * step + lo);
  edges[bins] = hi;
  std::vector<float> x;
  for (int i = 0; i <= bins; ++i) {
    const float e = static_cast<float>(edges[i]);
    x.push_back(e);
    x.push_back(std::nextafter(e, -kInf));
    x.push_back(std::nextafter(e, kInf));
  }
  HistogramSpec s;
  s.rule = BinRule::kNumpy;
  s.bins = bins;
  s.edges = edges.data();
  uint64_t dropped;
  NonFinite nf;
  auto c = hist(Isa::kScalar, x, s, &dropped, &nf);
  HistogramSpec b = s;
  b.rule = BinRule::kEdges;
  auto d = hist(Isa::kScalar, x, b, &dropped, &nf);
  CHECK(c == d);
}

TEST(observe_every_isa_matches_reference) {
  ThreadPool::global().setNumThreads(2);
  uint64_t seed = 100;
  for (Isa isa : simdIsas()) {
    const std::string label = qt::tierLabel("observe", isaName(isa), isaName(observeKernels(isa).isa));
    for (size_t n : {0, 1, 5, 15, 16, 17, 63, 64, 65, 1000, 70001, 300000}) {
      for (bool specials : {false, true}) {
        qt::covered(label);
        auto x = values(n, ++seed, -5.0f, 3.0f, specials);
        const MinMax a = minMax(Isa::kScalar, x.data(), n), b = minMax(isa, x.data(), n);
        CHECK_MSG(std::memcmp(&a.min, &b.min, 4) == 0 && std::memcmp(&a.max, &b.max, 4) == 0 && sameNf(a.skipped, b.skipped),
                  std::string("minMax ") + isaName(isa) + " n=" + std::to_string(n));
        const MinMax c = minMaxAbs(Isa::kScalar, x.data(), n), d = minMaxAbs(isa, x.data(), n);
        CHECK_MSG(std::memcmp(&c.min, &d.min, 4) == 0 && std::memcmp(&c.max, &d.max, 4) == 0 && sameNf(c.skipped, d.skipped),
                  std::string("minMaxAbs ") + isaName(isa) + " n=" + std::to_string(n));
      }
    }
    // Per channel: channel-last and channel-middle layouts, tails of every width.
    for (auto shape : {std::vector<size_t>{5, 3, 1}, {7, 17, 1}, {3, 33, 1}, {2, 5, 7}, {1, 16, 20}, {3, 8, 33},
                       {1, 8, 4096}, {20000, 4, 1}, {2, 3, 40000}}) {
      const size_t outer = shape[0], c = shape[1], inner = shape[2], n = outer * c * inner;
      qt::covered(label);
      auto x = values(n, ++seed, -2.0f, 9.0f, true);
      std::vector<float> mn0(c), mx0(c), mn1(c), mx1(c);
      NonFinite nf0, nf1;
      minMaxPerChannel(Isa::kScalar, x.data(), outer, c, inner, mn0.data(), mx0.data(), &nf0);
      minMaxPerChannel(isa, x.data(), outer, c, inner, mn1.data(), mx1.data(), &nf1);
      CHECK_MSG(std::memcmp(mn0.data(), mn1.data(), c * 4) == 0 && std::memcmp(mx0.data(), mx1.data(), c * 4) == 0 &&
                    sameNf(nf0, nf1),
                std::string("minMaxPerChannel ") + isaName(isa) + " c=" + std::to_string(c));
    }
    // Histograms: every rule, with and without |x|, ranges narrower than the data.
    for (BinRule rule : {BinRule::kTorchHistc, BinRule::kNumpy, BinRule::kEdges, BinRule::kGrid})
      for (bool absolute : {false, true})
        for (size_t n : {1, 7, 16, 33, 5000, 200001})
          for (int bins : {1, 3, 256, 2048, 8192}) {
            qt::covered(label);
            auto x = values(n, ++seed, -4.0f, 6.0f, true);
            HistogramSpec s;
            s.rule = rule;
            s.bins = bins;
            s.absolute = absolute;
            s.lo = absolute ? 0.0f : -3.5f;
            s.hi = 5.0f;
            std::vector<double> edges(static_cast<size_t>(bins) + 1);
            const float step = (s.hi - s.lo) / static_cast<float>(bins);
            for (int i = 0; i <= bins; ++i) edges[i] = static_cast<double>(static_cast<float>(i) * step + s.lo);
            edges[static_cast<size_t>(bins)] = s.hi;
            s.edges = edges.data();
            s.gridLog2 = -6;
            s.gridOffset = -200;
            // The outer edges themselves (the last bin is closed) and the grid's last value.
            const float edgesVals[] = {s.lo, s.hi, -s.hi, std::nextafter(s.hi, 0.0f), 199.0f / 64.0f, 200.0f / 64.0f};
            for (size_t i = 5; i < n; i += 41) x[i] = edgesVals[(i / 41) % 6];
            uint64_t d0, d1;
            NonFinite nf0, nf1;
            auto c0 = hist(Isa::kScalar, x, s, &d0, &nf0);
            auto c1 = hist(isa, x, s, &d1, &nf1);
            double total = 0;
            for (double v : c0) total += v;
            CHECK_MSG(c0 == c1 && d0 == d1 && sameNf(nf0, nf1),
                      std::string("histogram ") + isaName(isa) + " rule=" + std::to_string(static_cast<int>(rule)) +
                          " abs=" + std::to_string(absolute) + " n=" + std::to_string(n) + " bins=" + std::to_string(bins));
            CHECK(total + static_cast<double>(d0 + nf0.nan + nf0.posInf + nf0.negInf) == static_cast<double>(n));
          }
  }
}

TEST(observe_histogram_rejects_bad_specs) {
  float x[1] = {0.0f};
  double c[4] = {0, 0, 0, 0};
  auto threw = [&](HistogramSpec s) {
    try {
      histogram(Isa::kScalar, x, 1, s, c, nullptr);
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  HistogramSpec s;
  s.bins = 4;
  s.lo = 1.0f;
  s.hi = 1.0f;
  CHECK(threw(s));  // empty range
  s.hi = kInf;
  CHECK(threw(s));
  s.bins = 0;
  s.hi = 2.0f;
  CHECK(threw(s));
  HistogramSpec e;
  e.rule = BinRule::kEdges;
  e.bins = 3;
  CHECK(threw(e));  // no edges
  const double dec[] = {0.0, 2.0, 1.0, 3.0};
  e.edges = dec;
  CHECK(threw(e));  // not increasing
  HistogramSpec g;
  g.rule = BinRule::kGrid;
  g.bins = 4;
  g.gridLog2 = 500;
  CHECK(threw(g));
}
