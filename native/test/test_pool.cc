// int8 pools: every ISA's kernels against the reference kernels (randomized channel counts,
// window sizes, qparams), and the drivers on randomized geometries (odd channels, 1x1 inputs,
// padding up to kernel - 1, stride/dilation mixes, ceil mode, auto_pad), bit for bit.
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/pool.h"
#include "../runtime/pool_kernels.h"

using namespace qint8;

TEST(pool_kernels_every_isa_match_reference) {
  qt::Rng r(17);
  const PoolKernelTable& ref = *poolKernelsRef();
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    const PoolKernelTable& kt = poolKernels(isa);
    const std::string label = qt::tierLabel("pool", isaName(isa), isaName(kt.isa));
    for (bool s : {false, true})
      for (size_t c : {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129, 300})
        for (size_t k : {0, 1, 2, 4, 9, 25, 300}) {
          qt::covered(label);
          std::vector<std::vector<uint8_t>> data(k, std::vector<uint8_t>(c));
          std::vector<const uint8_t*> rows(k);
          for (size_t i = 0; i < k; ++i) {
            for (auto& v : data[i]) v = static_cast<uint8_t>(r.next());
            rows[i] = data[i].data();
          }
          std::vector<uint8_t> want(c), got(c);
          ref.maxRows(rows.data(), k, c, s, want.data());
          kt.maxRows(rows.data(), k, c, s, got.data());
          CHECK_MSG(want == got, std::string("maxRows ") + isaName(isa) + " c=" + std::to_string(c) + " k=" + std::to_string(k));
          if (k == 0) continue;
          AvgPoolParams p{r.uniformf(0.005f, 0.1f), s ? r.uniform(-128, 127) : r.uniform(0, 255),
                          static_cast<float>(k + (c % 3)), r.uniformf(0.001f, 0.05f),
                          static_cast<float>(s ? r.uniform(-128, 127) : r.uniform(0, 255)), s ? -128.f : 0.f, s ? 127.f : 255.f};
          ref.avgRows(rows.data(), k, c, p, s, want.data());
          kt.avgRows(rows.data(), k, c, p, s, got.data());
          CHECK_MSG(want == got, std::string("avgRows ") + isaName(isa) + " c=" + std::to_string(c) + " k=" + std::to_string(k));
          // sumRows over a strided block, requantRow on the sums.
          std::vector<uint8_t> block(k * (c + 5));
          for (auto& v : block) v = static_cast<uint8_t>(r.next());
          std::vector<int32_t> aw(c), ag(c);
          ref.sumRows(block.data(), k, c + 5, c, s, aw.data());
          kt.sumRows(block.data(), k, c + 5, c, s, ag.data());
          CHECK_MSG(aw == ag, std::string("sumRows ") + isaName(isa));
          const int32_t zp = s ? r.uniform(-128, 127) : r.uniform(0, 255);
          const int32_t lo = s ? -128 : 0, hi = s ? 127 : 255;
          const float sc = r.uniformf(0.001f, 0.5f);
          const int32_t bias = r.uniform(-3000, 3000);
          ref.requantRow(aw.data(), c, bias, sc, zp, lo, hi, want.data());
          kt.requantRow(aw.data(), c, bias, sc, zp, lo, hi, got.data());
          CHECK_MSG(want == got, std::string("requantRow ") + isaName(isa));
        }
    // Column sums at the extremes over many rows: 600 * 255 and 600 * -128 do not fit 16 bits, so
    // a kernel that keeps 16-bit partial sums must widen them in time.
    for (bool s : {false, true})
      for (size_t rows : {255, 256, 257, 600})
        for (size_t c : {5, 16, 37, 64}) {
          qt::covered(label);
          std::vector<uint8_t> block(rows * c, s ? 0x80 : 0xFF);
          std::vector<int32_t> aw(c), ag(c);
          ref.sumRows(block.data(), rows, c, c, s, aw.data());
          kt.sumRows(block.data(), rows, c, c, s, ag.data());
          CHECK_MSG(aw == ag, std::string("sumRows extremes ") + isaName(isa) + " rows=" + std::to_string(rows));
        }
  }
}

TEST(pool_drivers_every_isa_match_reference) {
  qt::Rng r(23);
  for (int trial = 0; trial < 120; ++trial) {
    Pool2dParams p;
    p.n = r.uniform(1, 2);
    p.h = r.uniform(1, 15);
    p.w = r.uniform(1, 15);
    p.c = trial % 7 == 0 ? r.uniform(60, 140) : r.uniform(1, 40);
    p.kh = r.uniform(1, std::min<int64_t>(5, p.h));
    p.kw = r.uniform(1, std::min<int64_t>(5, p.w));
    p.sh = r.uniform(1, 3);
    p.sw = r.uniform(1, 3);
    const bool dil = trial % 3 == 0;
    p.dh = dil ? r.uniform(1, 3) : 1;
    p.dw = dil ? r.uniform(1, 3) : 1;
    p.padTop = r.uniform(0, static_cast<int>(p.kh) - 1);
    p.padLeft = r.uniform(0, static_cast<int>(p.kw) - 1);
    p.padBottom = r.uniform(0, static_cast<int>(p.kh) - 1);
    p.padRight = r.uniform(0, static_cast<int>(p.kw) - 1);
    p.autoPad = trial % 5 == 1 ? AutoPad::kSameUpper : trial % 5 == 2 ? AutoPad::kSameLower : AutoPad::kNotSet;
    p.ceilMode = trial % 2 == 0;
    p.countIncludePad = trial % 4 < 2;
    Pool2dPlan pl;
    try {
      pl = planPool2d(p);
    } catch (const std::invalid_argument&) {
      continue;  // the dilated kernel does not fit
    }
    const size_t in = static_cast<size_t>(p.n * p.h * p.w * p.c), out = static_cast<size_t>(p.n * pl.oh * pl.ow * p.c);
    std::vector<uint8_t> x(in);
    for (auto& v : x) v = static_cast<uint8_t>(r.next());
    for (DType t : {DType::kU8, DType::kS8}) {
      const QParams qi{r.uniformf(0.01f, 0.1f), t == DType::kU8 ? r.uniform(0, 255) : r.uniform(-128, 127)};
      const QParams qo{r.uniformf(0.005f, 0.05f), t == DType::kU8 ? r.uniform(0, 255) : r.uniform(-128, 127)};
      std::vector<uint8_t> want(out), got(out);
      maxPool2d(Isa::kScalar, p, t, x.data(), want.data());
      Pool2dParams pa = p;
      pa.dh = pa.dw = 1;
      const Pool2dPlan pla = planPool2d(pa);
      std::vector<uint8_t> wantA(static_cast<size_t>(p.n * pla.oh * pla.ow * p.c)), gotA(wantA.size());
      averagePool2d(Isa::kScalar, pa, t, qi, qo, x.data(), wantA.data());
      std::vector<uint8_t> wantG(static_cast<size_t>(p.n * p.c)), gotG(wantG.size());
      globalAveragePool(Isa::kScalar, p.n, p.h * p.w, p.c, t, qi, qo, x.data(), wantG.data());
      for (int isaI = 1; isaI < kIsaCount; ++isaI) {
        const Isa isa = static_cast<Isa>(isaI);
        if (!isaSupported(isa)) continue;
        maxPool2d(isa, p, t, x.data(), got.data());
        qt::covered(qt::tierLabel("pool", isaName(isa), isaName(poolKernels(isa).isa)));
        CHECK_MSG(want == got, std::string("maxPool2d ") + isaName(isa) + " trial " + std::to_string(trial));
        averagePool2d(isa, pa, t, qi, qo, x.data(), gotA.data());
        CHECK_MSG(wantA == gotA, std::string("averagePool2d ") + isaName(isa) + " trial " + std::to_string(trial));
        globalAveragePool(isa, p.n, p.h * p.w, p.c, t, qi, qo, x.data(), gotG.data());
        CHECK_MSG(wantG == gotG, std::string("globalAveragePool ") + isaName(isa) + " trial " + std::to_string(trial));
      }
    }
  }
}

TEST(max_pool_2x2_stride_2_matches_naive) {
  // The driver's whole-row path (2x2, stride 2, windows inside the input) against a direct
  // evaluation: odd sizes (the last row / column dropped), channel counts around vector widths,
  // both types, 1 and 2 threads.
  qt::Rng r(77);
  for (int trial = 0; trial < 40; ++trial) {
    Pool2dParams p;
    p.n = r.uniform(1, 3);
    p.h = r.uniform(2, 30);
    p.w = r.uniform(2, 30);
    const int cs[] = {1, 3, 8, 15, 16, 17, 32, 33, 64, 100};
    p.c = cs[trial % 10];
    p.kh = p.kw = p.sh = p.sw = 2;
    const Pool2dPlan pl = planPool2d(p);
    std::vector<uint8_t> x(static_cast<size_t>(p.n * p.h * p.w * p.c));
    for (auto& v : x) v = static_cast<uint8_t>(r.next());
    for (DType t : {DType::kU8, DType::kS8})
      for (int threads : {1, 2}) {
        std::vector<uint8_t> got(static_cast<size_t>(p.n * pl.oh * pl.ow * p.c));
        maxPool2d(Isa::kScalar, p, t, x.data(), got.data(), threads);
        bool ok = true;
        for (int64_t b = 0; b < p.n; ++b)
          for (int64_t oy = 0; oy < pl.oh; ++oy)
            for (int64_t ox = 0; ox < pl.ow; ++ox)
              for (int64_t j = 0; j < p.c; ++j) {
                int best = -1000;
                for (int dy = 0; dy < 2; ++dy)
                  for (int dx = 0; dx < 2; ++dx) {
                    const uint8_t v = x[static_cast<size_t>(((b * p.h + 2 * oy + dy) * p.w + 2 * ox + dx) * p.c + j)];
                    best = std::max(best, t == DType::kS8 ? static_cast<int>(static_cast<int8_t>(v)) : static_cast<int>(v));
                  }
                ok &= got[static_cast<size_t>(((b * pl.oh + oy) * pl.ow + ox) * p.c + j)] == static_cast<uint8_t>(best);
              }
        CHECK_MSG(ok, "2x2 max pool trial " + std::to_string(trial));
      }
  }
}

TEST(pool_threaded_paths_match_reference) {
  qt::Rng r(29);
  Pool2dParams p;
  p.n = 4, p.h = p.w = 32, p.c = 600, p.kh = p.kw = 3, p.padTop = p.padLeft = p.padBottom = p.padRight = 1;
  std::vector<uint8_t> x(static_cast<size_t>(p.n * p.h * p.w * p.c));
  for (auto& v : x) v = static_cast<uint8_t>(r.next());
  const QParams qi{0.05f, 100}, qo{0.03f, 120};
  std::vector<uint8_t> w1(x.size()), g1(x.size()), w2(x.size()), g2(x.size()), w3(4 * 600), g3(4 * 600);
  maxPool2d(Isa::kScalar, p, DType::kU8, x.data(), w1.data(), 1);
  averagePool2d(Isa::kScalar, p, DType::kU8, qi, qo, x.data(), w2.data(), 1);
  globalAveragePool(Isa::kScalar, p.n, p.h * p.w, p.c, DType::kU8, qi, qo, x.data(), w3.data(), 1);
  for (int isaI = 0; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    maxPool2d(isa, p, DType::kU8, x.data(), g1.data());
    averagePool2d(isa, p, DType::kU8, qi, qo, x.data(), g2.data());
    globalAveragePool(isa, p.n, p.h * p.w, p.c, DType::kU8, qi, qo, x.data(), g3.data());
    CHECK_MSG(w1 == g1 && w2 == g2 && w3 == g3, std::string("pool threads ") + isaName(isa));
  }
}

TEST(pool_plan_follows_onnx_rules) {
  Pool2dParams p;
  p.h = p.w = 13;
  p.kh = p.kw = 3;
  p.sh = p.sw = 2;
  Pool2dPlan pl = planPool2d(p);
  CHECK(pl.oh == 6 && pl.ow == 6);
  p.ceilMode = true;
  pl = planPool2d(p);
  CHECK(pl.oh == 6);  // (13 - 3) / 2 = 5 exactly: ceil changes nothing
  p.h = 14;
  pl = planPool2d(p);
  CHECK(pl.oh == 7);  // ceil((14 - 3) / 2) + 1
  p.h = 5;
  p.kh = 2;
  p.sh = 2;
  p.padBottom = 1;
  pl = planPool2d(p);
  CHECK(pl.oh == 3);  // ceil((5 + 1 - 2) / 2) + 1 = 3, last window starts at 4 < 5
  p = Pool2dParams();
  p.h = p.w = 12;
  p.kh = p.kw = 4;
  p.sh = p.sw = 3;
  p.autoPad = AutoPad::kSameLower;
  pl = planPool2d(p);
  CHECK(pl.oh == 4 && pl.padTop == 1 && pl.padBottom == 0);
  p.autoPad = AutoPad::kSameUpper;
  pl = planPool2d(p);
  CHECK(pl.padTop == 0 && pl.padBottom == 1);
  bool threw = false;
  p = Pool2dParams();
  p.h = p.w = 4;
  p.kh = p.kw = 2;
  p.padTop = 2;
  try {
    planPool2d(p);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}
