// Quantized add / mul: every ISA kernel against the reference kernel, bit for bit, and the driver's
// broadcasting against a direct per-element evaluation.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/binary.h"
#include "qint8/cpu.h"
#include "../runtime/binary_kernels.h"

using namespace qint8;

namespace {
std::vector<uint8_t> randomBytes(size_t n, qt::Rng& r) {
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(r.next());
  return v;
}
}  // namespace

TEST(binary_kernels_every_isa_match_reference) {
  const BinaryKernelTable& ref = *binaryKernelsRef();
  qt::Rng r(11);
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    const BinaryKernelTable& kt = binaryKernels(isa);
    const std::string label = qt::tierLabel("binary", isaName(isa), isaName(kt.isa));
    for (bool s : {false, true})
      for (size_t n : {1, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4099}) {
        qt::covered(label);
        auto a = randomBytes(n, r), b = randomBytes(n, r);
        std::vector<uint8_t> want(n), got(n);
        AddKernelParams ap{r.uniformf(0.001f, 3.f), r.uniformf(0.001f, 3.f), r.uniformf(-300.f, 300.f), 0.f, 255.f};
        if (s) ap.lo = -128.f, ap.hi = 127.f;
        if (n % 2) ap.lo += 10.f;  // a ReLU-style lower bound
        ref.addVV(a.data(), b.data(), n, ap, s, want.data());
        kt.addVV(a.data(), b.data(), n, ap, s, got.data());
        CHECK_MSG(want == got, std::string("addVV ") + isaName(isa) + " n=" + std::to_string(n));
        ref.addVS(a.data(), n, ap, s, want.data());
        kt.addVS(a.data(), n, ap, s, got.data());
        CHECK_MSG(want == got, std::string("addVS ") + isaName(isa) + " n=" + std::to_string(n));
        MulKernelParams mp{r.uniform(-128, 255), r.uniform(-128, 255), r.uniformf(0.0001f, 0.05f),
                           static_cast<float>(r.uniform(-128, 127)), ap.lo, ap.hi};
        ref.mulVV(a.data(), b.data(), n, mp, s, want.data());
        kt.mulVV(a.data(), b.data(), n, mp, s, got.data());
        CHECK_MSG(want == got, std::string("mulVV ") + isaName(isa) + " n=" + std::to_string(n));
        const int32_t bz = r.uniform(-255, 255);
        ref.mulVS(a.data(), bz, n, mp, s, want.data());
        kt.mulVS(a.data(), bz, n, mp, s, got.data());
        CHECK_MSG(want == got, std::string("mulVS ") + isaName(isa) + " n=" + std::to_string(n));
      }
    // Ties: ratios of 0.5 put exact halves in front of the rounding.
    std::vector<uint8_t> a(256 * 256), b(256 * 256), want(a.size()), got(a.size());
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i), b[i] = static_cast<uint8_t>(i >> 8);
    AddKernelParams ap{0.5f, 0.5f, 3.f, 0.f, 255.f};
    ref.addVV(a.data(), b.data(), a.size(), ap, false, want.data());
    kt.addVV(a.data(), b.data(), a.size(), ap, false, got.data());
    CHECK_MSG(want == got, std::string("addVV ties ") + isaName(isa));
    // Every (a, b) pair through mul at the extremes of the zero points: |a - za| * |b - zb| up to
    // 383 * 383 (int16 factors on NEON), with ties, both types.
    for (bool s : {false, true})
      for (int32_t z : {-128, 255, 0}) {
        qt::covered(label);
        MulKernelParams mp{z, s ? 127 : -128, 1.0f / 512, 0.5f, s ? -128.f : 0.f, s ? 127.f : 255.f};
        ref.mulVV(a.data(), b.data(), a.size(), mp, s, want.data());
        kt.mulVV(a.data(), b.data(), a.size(), mp, s, got.data());
        CHECK_MSG(want == got, std::string("mulVV extremes ") + isaName(isa));
        ref.mulVS(a.data(), -383, a.size(), mp, s, want.data());
        kt.mulVS(a.data(), -383, a.size(), mp, s, got.data());
        CHECK_MSG(want == got, std::string("mulVS extremes ") + isaName(isa));
      }
    // Zero points far outside the types (not produced by the driver; kernels must still agree).
    {
      qt::covered(label);
      MulKernelParams mp{40000, -40000, 1e-9f, 3.f, 0.f, 255.f};
      ref.mulVV(a.data(), b.data(), a.size(), mp, false, want.data());
      kt.mulVV(a.data(), b.data(), a.size(), mp, false, got.data());
      CHECK_MSG(want == got, std::string("mulVV large zero points ") + isaName(isa));
      ref.mulVS(a.data(), 50000, a.size(), mp, false, want.data());
      kt.mulVS(a.data(), 50000, a.size(), mp, false, got.data());
      CHECK_MSG(want == got, std::string("mulVS large factor ") + isaName(isa));
    }
  }
}

TEST(binary_add_kernels_fuse_both_products) {
  // The reference adds with two FMAs, fma(a, ra, fma(b, rb, fixed)). Parameters are searched
  // (deterministically) on which rounding either product separately changes an output somewhere
  // on the full 256 x 256 grid, so a kernel that leaves out either fusion fails here (random
  // parameters rarely tell the forms apart).
  std::vector<uint8_t> a(256 * 256), b(256 * 256);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i), b[i] = static_cast<uint8_t>(i >> 8);
  auto finish = [](float v) {
    v = v > 0.f ? v : 0.f;
    v = v < 255.f ? v : 255.f;
    return static_cast<uint8_t>(std::nearbyint(v));
  };
  const BinaryKernelTable& ref = *binaryKernelsRef();
  std::vector<AddKernelParams> found[2];  // [0]: the inner fusion matters, [1]: the outer one
  qt::Rng r(77);
  std::vector<uint8_t> want(a.size());
  for (int tries = 0; tries < 2000 && (found[0].size() < 2 || found[1].size() < 2); ++tries) {
    const AddKernelParams p{r.uniformf(0.01f, 2.f), r.uniformf(0.01f, 2.f), r.uniformf(-200.f, 200.f), 0.f, 255.f};
    ref.addVV(a.data(), b.data(), a.size(), p, false, want.data());
    bool inner = false, outer = false;
    for (size_t i = 0; i < a.size() && !(inner && outer); ++i) {
      const float fa = static_cast<float>(a[i]), fb = static_cast<float>(b[i]);
      const float pb = fb * p.rb, pa = fa * p.ra;  // separately rounded products (-ffp-contract=off)
      inner |= finish(std::fma(fa, p.ra, pb + p.fixed)) != want[i];
      outer |= finish(pa + std::fma(fb, p.rb, p.fixed)) != want[i];
    }
    if (inner && found[0].size() < 2) found[0].push_back(p);
    if (outer && found[1].size() < 2) found[1].push_back(p);
  }
  CHECK_MSG(found[0].size() == 2 && found[1].size() == 2, "no discriminating parameters found");
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    const BinaryKernelTable& kt = binaryKernels(isa);
    for (const auto& set : found)
      for (const AddKernelParams& p : set) {
        qt::covered(qt::tierLabel("binary", isaName(isa), isaName(kt.isa)));
        std::vector<uint8_t> got(a.size());
        ref.addVV(a.data(), b.data(), a.size(), p, false, want.data());
        kt.addVV(a.data(), b.data(), a.size(), p, false, got.data());
        CHECK_MSG(want == got, std::string("addVV fused products ") + isaName(isa));
      }
  }
}

TEST(binary_broadcasting_matches_direct_evaluation) {
  // The reference driver against a per-element evaluation of the same formulas (general path: no
  // operand is constant over an inner span, so every element takes the vector-vector formula).
  qt::Rng r(5);
  BinaryConfig cfg;
  cfg.type = DType::kU8;
  cfg.a = {0.05f, 120};
  cfg.b = {0.02f, 3};
  cfg.c = {0.07f, 128};
  const std::vector<int64_t> as = {2, 3, 4}, bs = {3, 4};
  auto a = randomBytes(24, r), b = randomBytes(12, r);
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul}) {
    cfg.op = op;
    std::vector<uint8_t> got(24);
    qlinearBinary(Isa::kScalar, cfg, a.data(), as, b.data(), bs, got.data());
    const float ra = cfg.a.scale / cfg.c.scale, rb = cfg.b.scale / cfg.c.scale;
    const float fixed = 128.f - std::fma(ra, 120.f, rb * 3.f);
    const float m = cfg.a.scale * cfg.b.scale / cfg.c.scale;
    for (int i = 0; i < 24; ++i) {
      const float x = static_cast<float>(a[i]), y = static_cast<float>(b[i % 12]);
      float v = op == BinaryOp::kAdd ? std::fma(x, ra, std::fma(y, rb, fixed))
                                     : static_cast<float>((a[i] - 120) * (b[i % 12] - 3)) * m + 128.f;
      v = v > 0.f ? v : 0.f;
      v = v < 255.f ? v : 255.f;
      CHECK_MSG(got[i] == static_cast<uint8_t>(std::nearbyint(v)), "broadcast element " + std::to_string(i));
    }
  }
  // Every ISA through the driver, with threads (> 256K elements) and each span kind.
  const std::vector<std::vector<int64_t>> shapes[] = {
      {{600, 501}, {600, 501}}, {{600, 501}, {501}}, {{600, 501}, {600, 1}}, {{600, 1}, {600, 501}},
      {{1}, {300001}}, {{7, 1, 5}, {1, 9, 1}}, {{}, {3}}, {{4, 1}, {1}},
      // Short spans merged into runs (a channel vector over an NHWC image, both ways round; the
      // second crosses the threading grain).
      {{2, 9, 7, 8}, {2, 1, 1, 8}}, {{3, 1, 1, 5}, {3, 200, 300, 5}}, {{1, 9, 7, 3}, {1, 1, 7, 3}},
      {{4, 6, 8}, {4, 1, 8}}, {{5, 3}, {5, 3}}};
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    for (const auto& sh : shapes)
      for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul})
        for (DType t : {DType::kU8, DType::kS8}) {
          cfg.op = op;
          cfg.type = t;
          cfg.a = {0.031f, t == DType::kU8 ? 100 : -5};
          cfg.b = {0.017f, t == DType::kU8 ? 7 : 20};
          cfg.c = {op == BinaryOp::kAdd ? 0.04f : 0.3f, t == DType::kU8 ? 128 : 0};
          cfg.relu = op == BinaryOp::kAdd;
          int64_t na = 1, nb = 1;
          for (auto d : sh[0]) na *= d;
          for (auto d : sh[1]) nb *= d;
          const auto out = broadcastShape(sh[0], sh[1]);
          int64_t nc = 1;
          for (auto d : out) nc *= d;
          auto a2 = randomBytes(na, r), b2 = randomBytes(nb, r);
          std::vector<uint8_t> want(nc), got(nc);
          qlinearBinary(Isa::kScalar, cfg, a2.data(), sh[0], b2.data(), sh[1], want.data());
          qlinearBinary(isa, cfg, a2.data(), sh[0], b2.data(), sh[1], got.data());
          qt::covered(qt::tierLabel("binary", isaName(isa), isaName(binaryKernels(isa).isa)));
          CHECK_MSG(want == got, std::string("driver ") + isaName(isa) + " nc=" + std::to_string(nc));
        }
  }
}

TEST(binary_rejects_bad_config) {
  BinaryConfig cfg;
  cfg.a = {1.f, 0};
  cfg.b = {1.f, 0};
  cfg.c = {1.f, 0};
  uint8_t x[4] = {0}, y[4];
  bool threw = false;
  try {
    qlinearBinary(Isa::kScalar, cfg, x, {2, 2}, x, {3}, y);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  cfg.c.zeroPoint = 300;
  try {
    qlinearBinary(Isa::kScalar, cfg, x, {4}, x, {4}, y);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  cfg.c = {1e-38f, 0};
  cfg.a = {1e38f, 0};
  try {
    qlinearBinary(Isa::kScalar, cfg, x, {4}, x, {4}, y);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}
