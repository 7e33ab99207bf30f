// SGEMM: every ISA tier (through the driver, 1 and 2 threads, direct and indirect A) equals the
// reference (sgemmReference) bit for bit. All tiers compute one FMA chain per output in
// increasing k and the same epilogue operations in the same order, so no tolerance is needed.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/sgemm.h"

using namespace qint8;

namespace {

bool sameBits(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

std::string fmtf(float v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}

const char* actName(ActKind k) {
  switch (k) {
    case ActKind::kNone: return "none";
    case ActKind::kRelu: return "relu";
    case ActKind::kClip: return "clip";
    case ActKind::kLeakyRelu: return "leaky";
    case ActKind::kHardSigmoid: return "hardsigmoid";
    case ActKind::kHardSwish: return "hardswish";
  }
  return "?";
}

Activation makeAct(ActKind k) {
  Activation a;
  a.kind = k;
  if (k == ActKind::kClip) {
    a.p0 = -0.5f;
    a.p1 = 0.75f;
  } else if (k == ActKind::kLeakyRelu) {
    a.p0 = 0.1f;
  } else if (k == ActKind::kHardSigmoid) {
    a.p0 = 0.2f;
    a.p1 = 0.5f;
  }
  return a;
}

struct Case {
  int m, n, k;
  bool bias, transB;
  float alpha;
  ActKind act;
};

void runCase(const Case& cs, uint64_t seed) {
  qt::Rng rng(seed);
  std::vector<float> a(static_cast<size_t>(cs.m) * cs.k), b(static_cast<size_t>(cs.k) * cs.n), bias(cs.n);
  for (auto& v : a) v = rng.uniformf(-1, 1);
  for (auto& v : b) v = rng.uniformf(-1, 1);
  for (auto& v : bias) v = rng.uniformf(-1, 1);
  // A few special values: they must travel identically through every tier.
  if (a.size() > 7) {
    a[3] = -0.0f;
    a[5] = std::numeric_limits<float>::quiet_NaN();
  }
  const ptrdiff_t sk = cs.transB ? 1 : cs.n, sn = cs.transB ? cs.k : 1;
  std::vector<float> bt;
  if (cs.transB) {  // B stored N x K
    bt.resize(b.size());
    for (int kk = 0; kk < cs.k; ++kk)
      for (int j = 0; j < cs.n; ++j) bt[static_cast<size_t>(j) * cs.k + kk] = b[static_cast<size_t>(kk) * cs.n + j];
  }
  const float* bsrc = cs.transB ? bt.data() : b.data();
  SgemmEpilogue ep;
  ep.alpha = cs.alpha;
  ep.bias = cs.bias ? bias.data() : nullptr;
  ep.act = makeAct(cs.act);
  const size_t ldc = static_cast<size_t>(cs.n) + 3;
  std::vector<float> want(static_cast<size_t>(cs.m) * ldc, 7.0f);
  sgemmReference(a.data(), cs.k, 1, bsrc, sk, sn, cs.m, cs.n, cs.k, want.data(), ldc, ep);

  char desc[200];
  std::snprintf(desc, sizeof desc, "m=%d n=%d k=%d bias=%d transB=%d alpha=%g act=%s", cs.m, cs.n, cs.k, cs.bias, cs.transB,
                cs.alpha, actName(cs.act));
  auto compare = [&](const std::vector<float>& got, const std::string& what) {
    for (int i = 0; i < cs.m; ++i)
      for (size_t j = 0; j < ldc; ++j) {
        const size_t at = i * ldc + j;
        const bool ok = j < static_cast<size_t>(cs.n) ? sameBits(got[at], want[at]) : got[at] == 7.0f;
        if (!ok) {
          qt::fail(__FILE__, __LINE__,
                   std::string(desc) + " " + what + ": mismatch at (" + std::to_string(i) + ", " + std::to_string(j) +
                       "): got " + fmtf(got[at]) + " want " + fmtf(want[at]));
          return false;
        }
      }
    return true;
  };

  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isaSupported(isa)) continue;
    auto packed = SgemmPackedB::pack(isa, bsrc, sk, sn, cs.k, cs.n);
    for (int threads : {1, 2}) {
      std::vector<float> got(want.size(), 7.0f);
      sgemm(packed->view(), a.data(), cs.k, cs.m, got.data(), ldc, ep, threads);
      if (!compare(got, std::string(isaName(isa)) + " threads=" + std::to_string(threads))) return;
    }
    // Indirect A: each row split into segments (as a convolution passes its taps), rows permuted
    // through the pointer table.
    for (int segLen : {1, 3, cs.k}) {
      if (cs.k % segLen) continue;
      const int segs = cs.k / segLen;
      std::vector<const float*> rows(static_cast<size_t>(cs.m) * segs);
      for (int r = 0; r < cs.m; ++r)
        for (int s = 0; s < segs; ++s) rows[static_cast<size_t>(r) * segs + s] = a.data() + static_cast<size_t>(r) * cs.k + s * segLen;
      std::vector<float> got(want.size(), 7.0f);
      const int nr = sgemmNr(isa);
      // Two column ranges, as a caller splitting the panels would.
      const int split = cs.n > nr ? nr : cs.n;
      sgemmIndirect(packed->view(), rows.data(), segs, segLen, cs.m, 0, split, got.data(), ldc, ep);
      sgemmIndirect(packed->view(), rows.data(), segs, segLen, cs.m, split, cs.n, got.data(), ldc, ep);
      if (!compare(got, std::string(isaName(isa)) + " indirect segLen=" + std::to_string(segLen))) return;
    }
  }
}

}  // namespace

TEST(sgemm_shapes_every_isa_equals_reference) {
  uint64_t seed = 1;
  const int ms[] = {1, 2, 5, 6, 7, 12, 13, 14, 15, 29, 64};
  const int ns[] = {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 70};
  const int ks[] = {1, 2, 3, 17, 64};
  for (int m : ms)
    for (int n : ns)
      for (int k : ks) runCase({m, n, k, (m + n) % 2 == 0, false, 1.0f, ActKind::kNone}, seed++);
}

TEST(sgemm_epilogues_every_isa_equals_reference) {
  uint64_t seed = 100;
  const ActKind acts[] = {ActKind::kNone, ActKind::kRelu, ActKind::kClip, ActKind::kLeakyRelu, ActKind::kHardSigmoid,
                          ActKind::kHardSwish};
  for (ActKind act : acts)
    for (float alpha : {1.0f, 0.5f, -1.25f})
      for (bool bias : {false, true}) {
        runCase({13, 37, 19, bias, false, alpha, act}, seed++);
        runCase({3, 5, 8, bias, true, alpha, act}, seed++);
      }
}

TEST(sgemm_deep_k_chunks_every_isa_equals_reference) {
  // Depths above the chunk threshold: both chunk schedules (long runs split, short runs grouped).
  uint64_t seed = 200;
  for (int k : {513, 700, 1031, 2304})
    for (int n : {16, 40, 96}) runCase({33, n, k, true, k % 2 == 1, 1.0f, ActKind::kRelu}, seed++);
  runCase({200, 70, 600, true, false, 1.0f, ActKind::kHardSwish}, seed++);
  // B larger than the split threshold (1 MB packed) on every tier: K in chunks.
  runCase({30, 200, 2304, true, false, 1.0f, ActKind::kRelu}, seed++);
  runCase({13, 300, 1600, false, true, 0.5f, ActKind::kNone}, seed++);
  runCase({300, 130, 64, true, false, 1.0f, ActKind::kNone}, seed++);
}

TEST(sgemm_panel_by_panel_every_isa_equals_reference) {
  // K split (packed B > 1 MB) with a block of A under 4 MB: on AVX-512 the driver runs each panel
  // through all its chunks and prefetches the next chunk / panel. Every row tail of the 6-row
  // tiles, narrow last panels (n = 200: 8 columns; 257: 1), depths that are not a multiple of
  // the chunk (1031, 1100).
  uint64_t seed = 300;
  const int nk[][2] = {{200, 1031}, {130, 1600}, {257, 1100}};
  for (int m = 1; m <= 13; ++m)
    for (const auto& v : nk) runCase({m, v[0], v[1], m % 2 == 1, m % 3 == 0, 1.0f, ActKind::kRelu}, seed++);
  // A block over 4 MB (400 x 2800 floats; sgemmIndirect runs its rows as one block): chunk by
  // chunk over all the panels, as before. Through sgemm() the rows go in two blocks of 216 and
  // 184 (balanced), each panel by panel.
  runCase({400, 100, 2800, true, false, 1.0f, ActKind::kNone}, seed++);
}

TEST(sgemm_activation_spec) {
  // The scalar activations themselves (the spec the SIMD epilogues are compared with).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Activation relu = makeAct(ActKind::kRelu);
  CHECK(applyActivation(relu, -2.0f) == 0.0f);
  CHECK(applyActivation(relu, 3.0f) == 3.0f);
  CHECK(std::isnan(applyActivation(relu, nan)));
  Activation clip = makeAct(ActKind::kClip);
  CHECK(applyActivation(clip, -3.0f) == -0.5f);
  CHECK(applyActivation(clip, 3.0f) == 0.75f);
  CHECK(std::isnan(applyActivation(clip, nan)));
  Activation leaky = makeAct(ActKind::kLeakyRelu);
  CHECK(applyActivation(leaky, -2.0f) == -2.0f * 0.1f);
  CHECK(applyActivation(leaky, 2.0f) == 2.0f);
  Activation hs = makeAct(ActKind::kHardSwish);
  CHECK(applyActivation(hs, -4.0f) == -0.0f);
  CHECK(applyActivation(hs, 4.0f) == 4.0f);
  CHECK(applyActivation(hs, 0.0f) == 0.0f);
  CHECK(applyActivation(hs, 1.5f) == 1.5f * (1.5f * (1.0f / 6.0f) + 0.5f));
  Activation hsig = makeAct(ActKind::kHardSigmoid);
  CHECK(applyActivation(hsig, 10.0f) == 1.0f);
  CHECK(applyActivation(hsig, -10.0f) == 0.0f);
  CHECK(std::isnan(applyActivation(hsig, nan)));
}

TEST(sgemm_peak_loop_runs) {
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isaSupported(isa)) continue;
    const double g = measureFmaPeakGflops(isa, 2.0);
    CHECK_MSG(g > 0.1 && g < 1e5, std::string(isaName(isa)) + " peak " + std::to_string(g));
  }
}
