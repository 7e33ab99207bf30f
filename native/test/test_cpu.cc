// CPU detection and the QINT8_ISA override. scripts/arm-tests.js runs these under qemu-aarch64
// once per CPU model, with QINT8_ISA set to the tier that model should reach and
// QINT8_TEST_EXPECT_BEST naming the tier detection must find (so an emulator that silently lacks
// a feature fails the run instead of testing fewer tiers).
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/gemm.h"

using namespace qint8;

TEST(cpu_features_are_consistent_with_supported_tiers) {
  const CpuFeatures& f = cpuFeatures();
  CHECK(isaSupported(Isa::kScalar));
  if (std::strcmp(f.arch, "arm64") == 0) {
    CHECK(f.neon);
    CHECK(isaSupported(Isa::kNeon));
    CHECK(isaSupported(Isa::kNeonDot) == f.dotprod);
    CHECK(isaSupported(Isa::kI8mm) == (f.dotprod && f.i8mm));
    CHECK(!isaSupported(Isa::kAvx2) && !isaSupported(Isa::kAvx512Vnni));
  } else if (std::strcmp(f.arch, "x64") == 0) {
    CHECK(!isaSupported(Isa::kNeon) && !isaSupported(Isa::kNeonDot) && !isaSupported(Isa::kI8mm));
  }
  CHECK(isaSupported(bestIsa()));
  const char* expect = std::getenv("QINT8_TEST_EXPECT_BEST");
  if (expect && *expect) {
    Isa want;
    CHECK_MSG(parseIsa(expect, &want), std::string("QINT8_TEST_EXPECT_BEST=") + expect + " is not an ISA name");
    CHECK_MSG(bestIsa() == want, std::string("detected best tier ") + isaName(bestIsa()) + ", expected " + expect);
  }
}

TEST(cpu_isa_override_from_environment) {
  const char* env = std::getenv("QINT8_ISA");
  if (!env || !*env) {
    CHECK(isaEnvError().empty());
    CHECK(activeIsa() == bestIsa());
    return;
  }
  Isa requested;
  if (!parseIsa(env, &requested)) {
    CHECK_MSG(!isaEnvError().empty(), "an unknown QINT8_ISA must be reported");
    CHECK(activeIsa() == bestIsa());
  } else if (!isaSupported(requested)) {
    CHECK_MSG(isaEnvError().find("not supported") != std::string::npos, "an unsupported QINT8_ISA must be reported");
    CHECK(activeIsa() == bestIsa());
  } else {
    CHECK_MSG(isaEnvError().empty(), isaEnvError());
    CHECK_MSG(activeIsa() == requested, std::string("active tier ") + isaName(activeIsa()) + ", QINT8_ISA=" + env);
    // The active tier's GEMM runs and agrees with the reference on a small requantized case.
    const int m = 5, n = 19, k = 23;
    qt::Rng rng(4242);
    std::vector<uint8_t> a(m * k);
    std::vector<int8_t> w(n * k);
    for (auto& v : a) v = static_cast<uint8_t>(rng.next());
    for (auto& v : w) v = static_cast<int8_t>(rng.next());
    std::vector<float> scale(n, 0.0007f);
    std::vector<int32_t> b32(n);
    auto ref = packWeights(Isa::kScalar, w.data(), n, k);
    auto act = packWeights(activeIsa(), w.data(), n, k);
    foldBias32(*ref, nullptr, 128, nullptr, b32.data());
    GemmEpilogue ep;
    ep.kind = GemmOut::kU8;
    ep.bias32 = b32.data();
    ep.scale = scale.data();
    ep.zeroPoint = 128;
    std::vector<uint8_t> want(m * n), got(m * n);
    gemm(*ref, a.data(), k, false, m, want.data(), n, ep, 1);
    gemm(*act, a.data(), k, false, m, got.data(), n, ep, 1);
    CHECK_MSG(want == got, std::string("GEMM on the active tier ") + isaName(activeIsa()) + " differs from the reference");
    qt::covered(std::string("gemm/active=") + isaName(activeIsa()));
  }
}

TEST(cpu_unsupported_tier_cannot_be_activated) {
  const Isa before = activeIsa();
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isaSupported(isa)) {
      CHECK(!setActiveIsa(isa));
      CHECK(activeIsa() == before);
    }
  }
}
