// DynamicQuantizeLinear: every ISA's min/max against the reference (NaN ignored), qparams formula.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/dynquant.h"
#include "../runtime/dynquant_kernels.h"

using namespace qint8;

namespace {
float bitsToFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
}  // namespace

TEST(dynquant_minmax_every_isa_matches_reference) {
  qt::Rng r(41);
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    const std::string label = qt::tierLabel("dynquant", isaName(isa), isaName(dynQuantKernels(isa).isa));
    for (size_t n : {0, 1, 7, 15, 16, 17, 63, 64, 65, 1000, 600001}) {
      qt::covered(label);
      std::vector<float> x(n);
      for (auto& v : x) v = r.uniformf(-50.f, 80.f);
      if (n > 3) x[2] = std::numeric_limits<float>::quiet_NaN();
      if (n > 10) x[n - 1] = std::numeric_limits<float>::quiet_NaN();
      // Signaling NaNs (of either sign) are ignored too. fminnm / fmaxnm return NaN for them, and
      // the next value then replaces the lane's running value: the extremes placed 32 values
      // earlier (the same lane for 4-, 8- and 16-lane kernels) would be lost.
      if (n > 40) {
        x[1] = -1000.f;
        x[3] = 2000.f;
        x[33] = bitsToFloat(0x7FA00000u);
        x[35] = bitsToFloat(0xFF800001u);
      }
      float a0, a1, b0, b1;
      minMax(Isa::kScalar, x.data(), n, &a0, &a1);
      minMax(isa, x.data(), n, &b0, &b1);
      CHECK_MSG(a0 == b0 && a1 == b1, std::string("minMax ") + isaName(isa) + " n=" + std::to_string(n));
      std::vector<uint8_t> ya(n), yb(n);
      const QParams qa = dynamicQuantizeLinear(Isa::kScalar, x.data(), n, ya.data());
      const QParams qb = dynamicQuantizeLinear(isa, x.data(), n, yb.data());
      CHECK_MSG(qa.scale == qb.scale && qa.zeroPoint == qb.zeroPoint && ya == yb,
                std::string("dynamicQuantizeLinear ") + isaName(isa) + " n=" + std::to_string(n));
    }
  }
}

TEST(dynquant_qparams_formula) {
  QParams q = dynamicQParams(0.f, 0.f);
  CHECK(q.scale == 1.f && q.zeroPoint == 0);
  q = dynamicQParams(2.f, 5.f);  // the range is widened to include 0
  CHECK(q.scale == 5.f / 255.f && q.zeroPoint == 0);
  q = dynamicQParams(-5.f, -1.f);
  CHECK(q.scale == 5.f / 255.f && q.zeroPoint == 255);
  q = dynamicQParams(-1.f, 1.f);  // 0 - (-1) / float32(2 / 255) = 127.49999 in float32 -> 127
  CHECK(q.zeroPoint == 127);
  q = dynamicQParams(-1.f, 3.f);  // 1 / float32(4 / 255) = 63.75 -> 64
  CHECK(q.zeroPoint == 64);
}
