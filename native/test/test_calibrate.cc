// Range searches on histograms: the fast entropy and MSE searches against direct (slow)
// evaluations of their definitions, a hand-checked example, and torch.linspace's rounding.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/calibrate.h"

using namespace qint8;

namespace {
const double kInf = std::numeric_limits<double>::infinity();

// KL(P || Q) of TensorRT's algorithm, straight from its description.
double directKL(const std::vector<double>& h, int64_t i, int64_t levels) {
  double total = 0;
  for (double v : h) total += v;
  std::vector<double> p(h.begin(), h.begin() + i), q(static_cast<size_t>(i), 0.0);
  for (size_t j = static_cast<size_t>(i); j < h.size(); ++j) p[static_cast<size_t>(i - 1)] += h[j];
  for (int64_t g = 0; g < levels; ++g) {
    double sum = 0;
    int64_t nz = 0;
    for (int64_t j = 0; j < i; ++j)
      if (j * levels / i == g) {
        sum += h[static_cast<size_t>(j)];
        nz += h[static_cast<size_t>(j)] != 0;
      }
    for (int64_t j = 0; j < i; ++j)
      if (j * levels / i == g && h[static_cast<size_t>(j)] != 0) q[static_cast<size_t>(j)] = sum / static_cast<double>(nz);
  }
  double sp = 0, sq = 0;
  for (int64_t j = 0; j < i; ++j) {
    sp += p[static_cast<size_t>(j)];
    sq += q[static_cast<size_t>(j)];
  }
  if (sq == 0) return kInf;
  double kl = 0;
  for (int64_t j = 0; j < i; ++j) {
    const double pj = p[static_cast<size_t>(j)] / sp, qj = q[static_cast<size_t>(j)] / sq;
    if (pj == 0) continue;
    if (qj == 0) return kInf;
    kl += pj * std::log(pj / qj);
  }
  return kl;
}

// Expected squared error of the MSE criterion by midpoint integration (fine sub-steps).
double directMse(const std::vector<double>& h, double w, int64_t i, int64_t maxQ) {
  const double T = static_cast<double>(i) * w, s = T / static_cast<double>(maxQ);
  const int sub = 4000;
  double err = 0;
  for (size_t j = 0; j < h.size(); ++j) {
    if (h[j] == 0) continue;
    double acc = 0;
    for (int k = 0; k < sub; ++k) {
      const double a = (static_cast<double>(j) + (k + 0.5) / sub) * w;
      const double q = a >= T ? T : std::nearbyint(a / s) * s;
      acc += (a - q) * (a - q);
    }
    err += h[j] * acc / sub;
  }
  return err;
}

std::vector<double> randomHist(qt::Rng& rng, int n, double zeroFrac) {
  std::vector<double> h(static_cast<size_t>(n));
  for (auto& v : h) v = rng.uniformf(0, 1) < zeroFrac ? 0.0 : static_cast<double>(rng.uniform(1, 1000));
  return h;
}
}  // namespace

TEST(calibrate_entropy_hand_checked) {
  // 4 bins [4, 2, 0, 2], 2 levels. Candidates i = 2, 3, 4 (startBin 2).
  //  i = 4: P = [4,2,0,2]/8; groups {0,1} -> 6 over 2 non-empty = 3,3; {2,3} -> 2 over 1 = 0,2:
  //         Q = [3,3,0,2]/8; KL = .5 ln(4/3) + .25 ln(2/3) = 0.0425596...
  //  i = 3: P = [4,2,2]/8 (bin 3 folded into bin 2, which is empty in H): Q[2] = 0 -> +Inf.
  //  i = 2: P = [4,4]/8, Q = [4,2]/6 (one bin per level): KL = .5 ln(.5/(4/6)) + .5 ln(.5/(2/6)) = 0.0588915...
  const std::vector<double> h = {4, 2, 0, 2};
  double div[3];
  const int64_t best = entropyThresholdBins(h.data(), 4, 2, 2, 1, div);
  CHECK(std::fabs(div[0] - (0.5 * std::log(0.5 / (4.0 / 6)) + 0.5 * std::log(0.5 / (2.0 / 6)))) < 1e-12);
  CHECK(div[1] == kInf);
  CHECK(std::fabs(div[2] - (0.5 * std::log(4.0 / 3) + 0.25 * std::log(2.0 / 3))) < 1e-12);
  CHECK(best == 4);
}

TEST(calibrate_entropy_matches_direct_definition) {
  qt::Rng rng(7);
  for (int t = 0; t < 30; ++t) {
    const int n = rng.uniform(8, 300);
    const int64_t levels = t % 3 == 0 ? 16 : (t % 3 == 1 ? 7 : 64);
    auto h = randomHist(rng, n, t % 2 ? 0.3 : 0.0);
    if (t % 5 == 0) h[static_cast<size_t>(n - 1)] = 5000;  // a far outlier bin
    const int64_t start = std::min<int64_t>(n, rng.uniform(1, 20));
    std::vector<double> div(static_cast<size_t>(n - start + 1));
    const int64_t best = entropyThresholdBins(h.data(), n, levels, start, 1, div.data());
    int64_t directBest = 0;
    double directMin = kInf;
    for (int64_t i = start; i <= n; ++i) {
      const double d = directKL(h, i, levels), f = div[static_cast<size_t>(i - start)];
      CHECK_MSG(d == f || std::fabs(d - f) <= 1e-9 * std::max(1.0, std::fabs(d)) + 1e-12,
                "divergence " + std::to_string(i) + ": " + std::to_string(f) + " vs " + std::to_string(d));
      if (d <= directMin) {
        directMin = d;
        directBest = i;
      }
    }
    CHECK(std::fabs(div[static_cast<size_t>(best - start)] - directMin) <= 1e-9 * std::max(1.0, directMin) + 1e-12);
    (void)directBest;
  }
}

TEST(calibrate_mse_matches_numerical_integration) {
  qt::Rng rng(11);
  for (int t = 0; t < 12; ++t) {
    const int n = rng.uniform(20, 120);
    auto h = randomHist(rng, n, 0.2);
    const double w = 0.01 * (1 + t);
    const int64_t maxQ = t % 2 ? 15 : 7;
    std::vector<double> err(static_cast<size_t>(n - 10 + 1));
    mseThresholdBins(h.data(), n, w, maxQ, 10, 1, err.data());
    for (int64_t i = 10; i <= n; i += 7) {
      const double d = directMse(h, w, i, maxQ), f = err[static_cast<size_t>(i - 10)];
      CHECK_MSG(std::fabs(d - f) <= 1e-5 * d + 1e-12, "mse " + std::to_string(i) + ": " + std::to_string(f) + " vs " + std::to_string(d));
    }
  }
  // Values all at one point far below the candidates: the smallest threshold wins (least rounding
  // error for the bulk), and an empty histogram returns 0.
  std::vector<double> h(100, 0.0);
  h[0] = 50;
  CHECK(mseThresholdBins(h.data(), 100, 1.0, 127, 10, 1, nullptr) == 10);
  std::vector<double> z(10, 0.0);
  CHECK(mseThresholdBins(z.data(), 10, 1.0, 127, 1, 1, nullptr) == 0);
  CHECK(entropyThresholdBins(z.data(), 10, 4, 1, 1, nullptr) == 0);
}

TEST(calibrate_torch_linspace) {
  float v[5];
  torchLinspace(0.0f, 1.0f, 5, v);
  CHECK(v[0] == 0.0f && v[1] == 0.25f && v[2] == 0.5f && v[3] == 0.75f && v[4] == 1.0f);
  // Endpoints exact; the second half counts down from the end (symmetric rounding).
  std::vector<float> w(2049);
  torchLinspace(-3.1f, 7.3f, 2049, w.data());
  CHECK(w[0] == -3.1f && w[2048] == 7.3f);
  for (size_t i = 1; i < w.size(); ++i) CHECK(w[i] > w[i - 1]);
}

TEST(calibrate_torch_search_keeps_the_bulk) {
  // A histogram with the bulk in the middle: the search never cuts into it, and an empty
  // range (min == max) returns that point.
  std::vector<float> h(256, 0.0f);
  for (int j = 100; j < 160; ++j) h[static_cast<size_t>(j)] = 1000.0f;
  h[0] = 1.0f;
  h[255] = 1.0f;
  const TorchSearchResult r = torchNonlinearSearch(h.data(), 256, -1.0f, 1.0f, 256);
  const float bw = 2.0f / 256.0f;
  CHECK(r.min <= -1.0f + 100 * bw && r.max >= -1.0f + 160 * bw);
  CHECK(r.evaluations >= 1);
  const TorchSearchResult c = torchNonlinearSearch(h.data(), 256, 0.5f, 0.5f, 256);
  CHECK(c.min == 0.5f && c.max == 0.5f);
}
