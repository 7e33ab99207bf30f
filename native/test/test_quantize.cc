// QuantizeLinear / DequantizeLinear: every ISA against the reference, bit for bit.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/quantize.h"
#include "../runtime/elt_kernels.h"

using namespace qint8;

namespace {
std::vector<float> testValues(size_t n, uint64_t seed, float range) {
  qt::Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniformf(-range, range);
  // Specials and exact ties sprinkled in.
  const float specials[] = {0.0f, -0.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 1e30f, -1e30f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(), 127.5f, 128.5f, -128.5f, 254.5f, 255.5f};
  for (size_t i = 0; i < n && i < sizeof(specials) / sizeof(float) * 3; i += 3) v[i] = specials[i / 3];
  return v;
}
}  // namespace

TEST(quantize_reference_semantics) {
  float x[] = {2.5f, 3.5f, -2.5f, 1000.f, -1000.f, std::numeric_limits<float>::quiet_NaN(), 0.49999997f};
  uint8_t q[7];
  float scale = 1.0f;
  int32_t zp = 10;
  quantizeLinear(Isa::kScalar, x, 1, 1, 7, &scale, &zp, DType::kU8, q);
  CHECK(q[0] == 12);   // 2.5 -> 2 (+10)
  CHECK(q[1] == 14);   // 3.5 -> 4
  CHECK(q[2] == 8);    // -2.5 -> -2
  CHECK(q[3] == 255);  // saturate
  CHECK(q[4] == 0);
  CHECK(q[5] == 0);    // NaN -> qmin (MLAS semantics)
  CHECK(q[6] == 10);
}

TEST(quantize_every_isa_matches_reference) {
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    // Tiers without kernels of their own fall back (runtime/dispatch.h); record which ran.
    const Isa ran = eltKernels(isa).isa;
    const std::string label = std::string("quantize/") + isaName(isa) + (ran != isa ? std::string("->") + isaName(ran) : "");
    uint64_t seed = 1;
    for (DType t : {DType::kU8, DType::kS8})
      for (size_t n : {1, 7, 8, 15, 16, 17, 31, 33, 100, 1000, 70001}) {
        ++seed;
        auto x = testValues(n, seed, 300.f);
        float scale = 0.37f + 0.01f * static_cast<float>(seed % 7);
        int32_t zp = t == DType::kU8 ? static_cast<int32_t>(seed * 37 % 256) : static_cast<int32_t>(seed * 37 % 256) - 128;
        qt::covered(label);
        std::vector<uint8_t> want(n), got(n);
        quantizeLinear(Isa::kScalar, x.data(), 1, 1, n, &scale, &zp, t, want.data());
        quantizeLinear(isa, x.data(), 1, 1, n, &scale, &zp, t, got.data());
        CHECK_MSG(want == got, std::string("quantize per-tensor ") + isaName(isa) + " n=" + std::to_string(n));
        std::vector<float> dw(n), dg(n);
        dequantizeLinear(Isa::kScalar, want.data(), 1, 1, n, &scale, &zp, t, dw.data());
        dequantizeLinear(isa, want.data(), 1, 1, n, &scale, &zp, t, dg.data());
        CHECK_MSG(std::memcmp(dw.data(), dg.data(), n * 4) == 0, std::string("dequantize ") + isaName(isa));
      }
    // Per-channel, channel-last (inner == 1) and channel-middle layouts.
    for (DType t : {DType::kU8, DType::kS8})
      for (auto shape : {std::vector<size_t>{5, 3, 1}, {4, 17, 1}, {3, 33, 1}, {2, 5, 7}, {1, 16, 20}, {3, 64, 1}}) {
        ++seed;
        const size_t outer = shape[0], c = shape[1], inner = shape[2], n = outer * c * inner;
        auto x = testValues(n, seed, 50.f);
        qt::Rng rng(seed);
        std::vector<float> sc(c);
        std::vector<int32_t> zp(c);
        for (auto& v : sc) v = rng.uniformf(0.05f, 1.0f);
        for (auto& v : zp) v = t == DType::kU8 ? rng.uniform(0, 255) : rng.uniform(-128, 127);
        qt::covered(label);
        std::vector<uint8_t> want(n), got(n);
        quantizeLinear(Isa::kScalar, x.data(), outer, c, inner, sc.data(), zp.data(), t, want.data());
        quantizeLinear(isa, x.data(), outer, c, inner, sc.data(), zp.data(), t, got.data());
        CHECK_MSG(want == got, std::string("quantize per-channel ") + isaName(isa));
        std::vector<float> dw(n), dg(n);
        dequantizeLinear(Isa::kScalar, want.data(), outer, c, inner, sc.data(), zp.data(), t, dw.data());
        dequantizeLinear(isa, want.data(), outer, c, inner, sc.data(), zp.data(), t, dg.data());
        CHECK_MSG(std::memcmp(dw.data(), dg.data(), n * 4) == 0, std::string("dequantize per-channel ") + isaName(isa));
      }
  }
}
