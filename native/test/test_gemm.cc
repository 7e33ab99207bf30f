// Every ISA's GEMM against the scalar reference, bit for bit, over randomized and edge shapes.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/gemm.h"
#include "qint8/requant.h"
#include "qint8/threadpool.h"

using namespace qint8;

namespace {

std::vector<Isa> simdIsas() {
  std::vector<Isa> v;
  for (int i = 1; i < kIsaCount; ++i)
    if (isaSupported(static_cast<Isa>(i))) v.push_back(static_cast<Isa>(i));
  return v;
}

struct Case {
  int m, n, k;
  GemmOut out;
  bool aSigned;
  bool wzp;
  bool bias;
  int zA, zY, lo, hi;
  uint64_t seed;
  int aMode;  // 0 random, 1 all max, 2 all min, 3 small (zA - 4 .. zA + 3)
  int wMode;  // 0 random, 1 extremes (-128/127 mix), 2 all -128, 3 random without -128,
              // 4 small (-3..3), 5 random without -128 except in every third column, 6 all -127
  int sMode = 0;  // 0 random scales, 1 powers of two (many exact .5 ties after the multiply)
};

std::string describe(const Case& c, Isa isa) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "isa=%s m=%d n=%d k=%d out=%d aSigned=%d wzp=%d bias=%d zA=%d zY=%d [%d,%d] aMode=%d wMode=%d sMode=%d seed=%llu",
                isaName(isa), c.m, c.n, c.k, static_cast<int>(c.out), c.aSigned, c.wzp, c.bias, c.zA, c.zY, c.lo, c.hi,
                c.aMode, c.wMode, c.sMode, static_cast<unsigned long long>(c.seed));
  return buf;
}

void runCase(const Case& c, const std::vector<Isa>& isas) {
  qt::Rng rng(c.seed);
  const int lda = c.k + (c.seed % 3 == 0 ? 5 : 0);  // sometimes a padded leading dimension
  std::vector<uint8_t> a(static_cast<size_t>(c.m) * lda);
  for (auto& v : a) {
    if (c.aMode == 1) v = c.aSigned ? 0x7F : 0xFF;
    else if (c.aMode == 2) v = c.aSigned ? 0x80 : 0;
    else if (c.aMode == 3) v = static_cast<uint8_t>(c.zA + static_cast<int>(rng.next() % 8) - 4);  // wraps like the type
    else v = static_cast<uint8_t>(rng.next());
  }
  std::vector<int8_t> w(static_cast<size_t>(c.n) * c.k);
  for (size_t idx = 0; idx < w.size(); ++idx) {
    int8_t& v = w[idx];
    const int col = static_cast<int>(idx / static_cast<size_t>(c.k));
    if (c.wMode == 1) v = (rng.next() & 1) ? 127 : -128;
    else if (c.wMode == 2) v = -128;
    else if (c.wMode == 3) v = static_cast<int8_t>(static_cast<int>(rng.next() % 255) - 127);
    else if (c.wMode == 4) v = static_cast<int8_t>(static_cast<int>(rng.next() % 7) - 3);
    else if (c.wMode == 6) v = -127;
    else if (c.wMode == 5) v = (col % 3 == 0 && rng.next() % 5 == 0) ? -128 : static_cast<int8_t>(static_cast<int>(rng.next() % 255) - 127);
    else v = static_cast<int8_t>(rng.next());
  }
  std::vector<int32_t> biasQ(c.n), zW(c.n), bias32(c.n);
  for (auto& v : biasQ) v = rng.uniform(-100000, 100000);
  for (auto& v : zW) v = rng.uniform(-128, 127);
  std::vector<float> scale(c.n), biasF(c.n);
  for (auto& v : scale) {
    if (c.sMode == 1) v = 1.0f / static_cast<float>(1 << (1 + rng.next() % 3));  // 1/2, 1/4, 1/8
    else v = c.out == GemmOut::kF32 ? rng.uniformf(1e-5f, 1e-2f) : rng.uniformf(1e-6f, 2e-3f);
  }
  for (auto& v : biasF) v = rng.uniformf(-3.f, 3.f);

  GemmEpilogue ep;
  ep.kind = c.out;
  ep.scale = scale.data();
  ep.biasF = c.bias ? biasF.data() : nullptr;
  ep.zeroPoint = c.zY;
  ep.lo = c.lo;
  ep.hi = c.hi;
  ep.weightZeroPoint = c.wzp ? zW.data() : nullptr;

  const size_t ob = (c.out == GemmOut::kU8 || c.out == GemmOut::kS8) ? 1 : 4;
  const int ldc = c.n + (c.seed % 2 ? 3 : 0);
  auto refW = packWeights(Isa::kScalar, w.data(), c.n, c.k);
  foldBias32(*refW, c.bias ? biasQ.data() : nullptr, c.aSigned ? c.zA + 128 : c.zA, c.wzp ? zW.data() : nullptr, bias32.data());
  ep.bias32 = bias32.data();
  std::vector<uint8_t> want(static_cast<size_t>(c.m) * ldc * ob, 0xCD);
  gemm(*refW, a.data(), lda, c.aSigned, c.m, want.data(), ldc, ep, 1);

  for (Isa isa : isas) {
    qt::covered(std::string("gemm/") + isaName(isa));
    auto pw = packWeights(isa, w.data(), c.n, c.k);
    for (int threads : {1, 2}) {
      std::vector<uint8_t> got(want.size(), 0xCD);
      gemm(*pw, a.data(), lda, c.aSigned, c.m, got.data(), ldc, ep, threads);
      if (std::memcmp(got.data(), want.data(), want.size()) != 0) {
        size_t at = 0;
        while (got[at] == want[at]) ++at;
        qt::fail(__FILE__, __LINE__, describe(c, isa) + " threads=" + std::to_string(threads) +
                                         " first mismatch at byte " + std::to_string(at));
        return;
      }
    }
  }
}

}  // namespace

TEST(gemm_reference_matches_naive_definition) {
  // The reference itself against a direct evaluation of the contract on a small case.
  qt::Rng rng(7);
  const int m = 3, n = 5, k = 7, zA = 131, zY = 9;
  std::vector<uint8_t> a(m * k);
  std::vector<int8_t> w(n * k);
  for (auto& v : a) v = static_cast<uint8_t>(rng.next());
  for (auto& v : w) v = static_cast<int8_t>(rng.next());
  std::vector<float> scale(n, 0.0123f);
  std::vector<int32_t> bq = {5, -7, 0, 1000, -1000}, b32(n);
  auto p = packWeights(Isa::kScalar, w.data(), n, k);
  foldBias32(*p, bq.data(), zA, nullptr, b32.data());
  GemmEpilogue ep;
  ep.kind = GemmOut::kU8;
  ep.bias32 = b32.data();
  ep.scale = scale.data();
  ep.zeroPoint = zY;
  ep.lo = 0;
  ep.hi = 255;
  std::vector<uint8_t> c(m * n);
  gemm(*p, a.data(), k, false, m, c.data(), n, ep, 1);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      int32_t acc = bq[j];
      for (int kk = 0; kk < k; ++kk) acc += (a[i * k + kk] - zA) * w[j * k + kk];
      float v = static_cast<float>(acc) * scale[j];
      long q = std::lrint(v) + zY;
      q = q < 0 ? 0 : q > 255 ? 255 : q;
      CHECK(c[i * n + j] == q);
    }
}

TEST(gemm_requantize_rounds_half_to_even_and_clamps) {
  CHECK(requantize(5, 0.5f, 0, 0, 255) == 2);    // 2.5 -> 2
  CHECK(requantize(7, 0.5f, 0, 0, 255) == 4);    // 3.5 -> 4
  CHECK(requantize(-5, 0.5f, 10, 0, 255) == 8);  // -2.5 -> -2, +10
  CHECK(requantize(2000000000, 1.0f, 3, 0, 255) == 255);
  CHECK(requantize(-2000000000, 1.0f, 3, 0, 255) == 0);
  CHECK(requantize(100, 1.0f, 128, 128, 255) == 228);  // fused ReLU: lo = zp
  CHECK(requantize(-100, 1.0f, 128, 128, 255) == 128);
  CHECK(requantize(1000, 1.0f, 0, -128, 127) == 127);
}

TEST(gemm_every_isa_matches_reference_edge_shapes) {
  const auto isas = simdIsas();
  const int ms[] = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 33};
  const int ns[] = {1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 97};
  const int ks[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 65, 130};
  uint64_t seed = 1;
  for (int m : ms)
    for (int n : ns)
      for (int k : ks) {
        ++seed;
        if (seed % 3 != 0) continue;  // a third of the grid, deterministic
        const GemmOut out = static_cast<GemmOut>(seed % 4);
        const bool s8 = out == GemmOut::kS8;
        Case c{m, n, k, out, seed % 5 == 0, seed % 7 == 0, seed % 2 == 0,
               (seed % 11 == 0) ? 255 : (seed % 13 == 0) ? 0 : static_cast<int>(seed * 37 % 256),
               s8 ? static_cast<int>(seed % 50) - 25 : static_cast<int>(seed * 11 % 256),
               s8 ? -128 : 0, s8 ? 127 : 255, seed, 0, 0};
        if (c.aSigned) c.zA -= 128;
        runCase(c, isas);
      }
}

TEST(gemm_every_isa_matches_reference_extremes) {
  const auto isas = simdIsas();
  uint64_t seed = 1000;
  for (GemmOut out : {GemmOut::kU8, GemmOut::kS8, GemmOut::kF32, GemmOut::kS32})
    for (int aMode : {1, 2, 0})
      for (int wMode : {1, 2, 0})
        for (int zA : {0, 255})
          for (bool wzp : {false, true}) {
            ++seed;
            const bool s8 = out == GemmOut::kS8;
            Case c{9, 50, 1027, out, false, wzp, true, zA, s8 ? -3 : 250, s8 ? -128 : 0, s8 ? 127 : 255, seed, aMode, wMode};
            runCase(c, isas);
          }
}

TEST(gemm_every_isa_matches_reference_fused_clamps) {
  const auto isas = simdIsas();
  uint64_t seed = 5000;
  // ReLU (lo = zp) and ReLU6-style clamps, both output types.
  const int bounds[][3] = {{128, 128, 255}, {0, 0, 255}, {200, 200, 255}, {10, 10, 100}, {-20, -20, 127}, {0, 0, 60}};
  for (auto& b : bounds) {
    ++seed;
    const bool s8 = b[0] < 0 || b[2] == 127;
    Case c{21, 70, 96, s8 ? GemmOut::kS8 : GemmOut::kU8, false, false, true, 77, b[0], b[1], b[2], seed, 0, 0};
    runCase(c, isas);
  }
}

TEST(gemm_every_isa_matches_reference_random_large) {
  const auto isas = simdIsas();
  qt::Rng rng(99);
  for (int it = 0; it < 12; ++it) {
    const GemmOut out = static_cast<GemmOut>(it % 4);
    const bool s8 = out == GemmOut::kS8;
    Case c{rng.uniform(1, 140), rng.uniform(1, 300), rng.uniform(1, 800), out, it % 3 == 0, it % 5 == 0, it % 2 == 0,
           rng.uniform(0, 255), s8 ? rng.uniform(-128, 127) : rng.uniform(0, 255), s8 ? -128 : 0, s8 ? 127 : 255,
           static_cast<uint64_t>(it + 77), 0, 0};
    if (c.aSigned) c.zA -= 128;
    runCase(c, isas);
  }
}

TEST(gemm_every_isa_matches_reference_deep_k) {
  // Depths that take the K-split path of the blocked kernels (chunks plus a partial last chunk).
  const auto isas = simdIsas();
  uint64_t seed = 7000;
  for (int k : {1537, 1600, 2051, 3072, 4099})
    for (GemmOut out : {GemmOut::kU8, GemmOut::kS32, GemmOut::kF32}) {
      ++seed;
      Case c{static_cast<int>(seed % 20) + 1, 53 + static_cast<int>(seed % 50), k, out, seed % 3 == 0, seed % 4 == 0, true,
             static_cast<int>(seed * 7 % 256), 100, 0, 255, seed, 0, 0};
      if (c.aSigned) c.zA -= 128;
      runCase(c, isas);
    }
}

TEST(gemm_every_isa_matches_reference_round_ties) {
  // Power-of-two multipliers and small accumulators: float(acc) * M lands exactly on .5 for
  // about half the outputs, so a kernel rounding ties away from zero (or to +inf) fails here.
  const auto isas = simdIsas();
  uint64_t seed = 9000;
  for (GemmOut out : {GemmOut::kU8, GemmOut::kS8})
    for (bool aSigned : {false, true})
      for (int k : {3, 16, 37}) {
        ++seed;
        const bool s8 = out == GemmOut::kS8;
        // No bias and symmetric weights: |acc| <= 4 * 3 * k stays far inside the output range.
        Case c{11, 29, k, out, aSigned, false, false, aSigned ? -7 : 121, s8 ? 3 : 128, s8 ? -128 : 0,
               s8 ? 127 : 255, seed, 3, 4, 1};
        runCase(c, isas);
      }
}

TEST(gemm_every_isa_matches_reference_int16_pair_extremes) {
  // The plain NEON kernel sums two int8 products in int16 (smull + smlal2). With A flipped to
  // int8, the only pair that overflows is (-128)(-128) + (-128)(-128) = 32768: activation byte 0
  // (int8 -128) meeting weight -128 twice. Panels holding a -128 weight must take the pairless
  // path; panels without one take the pair path, whose worst case is 2 * 128 * 127 = 32512.
  const auto isas = simdIsas();
  uint64_t seed = 11000;
  for (bool aSigned : {false, true})
    for (int aMode : {2, 1, 0})
      for (int wMode : {2, 1, 3, 5})
        for (GemmOut out : {GemmOut::kS32, GemmOut::kU8}) {
          ++seed;
          Case c{7, 21, 48 + static_cast<int>(seed % 5), out, aSigned, seed % 3 == 0, true,
                 aSigned ? -128 : 0, 100, 0, 255, seed, aMode, wMode};
          runCase(c, isas);
        }
  // All-(-127) weights against activation 0 / 255: the pair path at its extremes.
  for (bool aSigned : {false, true})
    for (int aMode : {1, 2}) {
      ++seed;
      Case c{5, 12, 64, GemmOut::kS32, aSigned, false, false, 0, 0, 0, 255, seed, aMode, 6};
      runCase(c, isas);
    }
}

TEST(gemm_unsupported_isa_is_an_error_not_a_crash) {
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (isaSupported(isa)) continue;
    int8_t w[4] = {1, 2, 3, 4};
    bool threw = false;
    try {
      packWeights(isa, w, 1, 4);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    CHECK_MSG(threw, std::string("packWeights accepted unsupported ISA ") + isaName(isa));
  }
}

TEST(gemm_peak_loop_runs_on_every_isa) {
  // The register-only peak loops are hand-written asm per tier (vpdpbusd, sdot, usmmla, ...):
  // each must run on a CPU that has the tier and report a positive rate.
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isaSupported(isa)) continue;
    const double gops = measurePeakGops(isa, 2.0);
    CHECK_MSG(gops > 0, std::string("peak loop of ") + isaName(isa));
  }
}

TEST(threadpool_runs_every_task_once) {
  ThreadPool& pool = ThreadPool::global();
  for (int size : {1, 2, 3}) {
    pool.setNumThreads(size);
    for (int tasks : {1, 2, 7, 100}) {
      std::vector<int> hits(tasks, 0);
      pool.parallelFor(tasks, [&](int t, int) { __atomic_fetch_add(&hits[t], 1, __ATOMIC_RELAXED); });
      for (int t = 0; t < tasks; ++t) CHECK(hits[t] == 1);
    }
  }
  pool.setNumThreads(2);
}
