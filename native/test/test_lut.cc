// Lookup tables: every ISA's byte lookup (and the AVX512_VBMI variant where the CPU has it) against
// the reference; table construction semantics.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/lut.h"
#include "qint8/requant.h"
#include "../runtime/lut_kernels.h"

using namespace qint8;

TEST(lut_lookup_every_isa_matches_reference) {
  qt::Rng r(3);
  uint8_t table[256];
  for (auto& t : table) t = static_cast<uint8_t>(r.next());
  const LutKernelTable& ref = *lutKernelsRef();
  for (int isaI = 1; isaI < kIsaCount; ++isaI) {
    const Isa isa = static_cast<Isa>(isaI);
    if (!isaSupported(isa)) continue;
    const LutKernelTable& kt = lutKernels(isa);
    const std::string label = qt::tierLabel("lut", isaName(isa), isaName(kt.isa));
    for (size_t n : {1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 256, 1000, 4097}) {
      qt::covered(label);
      std::vector<uint8_t> x(n), want(n), got(n);
      for (size_t i = 0; i < n; ++i) x[i] = static_cast<uint8_t>(i < 256 ? i : r.next());
      ref.lookup(table, x.data(), n, want.data());
      kt.lookup(table, x.data(), n, got.data());
      CHECK_MSG(want == got, std::string("lookup ") + isaName(isa) + " n=" + std::to_string(n));
      if (lutFastSupported(kt)) {
        std::fill(got.begin(), got.end(), 0);
        kt.lookupFast(table, x.data(), n, got.data());
        CHECK_MSG(want == got, std::string("lookupFast ") + isaName(isa) + " n=" + std::to_string(n));
      }
      // In place.
      std::vector<uint8_t> inPlace = x;
      kt.lookup(table, inPlace.data(), n, inPlace.data());
      CHECK_MSG(want == inPlace, std::string("lookup in place ") + isaName(isa));
    }
    // Through the driver (threads above 1M elements).
    std::vector<uint8_t> x(2100001), want(x.size()), got(x.size());
    for (auto& v : x) v = static_cast<uint8_t>(r.next());
    applyLookupTable(Isa::kScalar, table, x.data(), x.size(), want.data());
    applyLookupTable(isa, table, x.data(), x.size(), got.data());
    qt::covered(label);
    CHECK_MSG(want == got, std::string("applyLookupTable ") + isaName(isa));
  }
}

TEST(lut_table_is_dequantize_f_quantize) {
  QParams in{0.05f, 100}, out{1.0f / 256, 0};
  uint8_t t[256];
  buildLookupTable(UnaryFn::kTanh, {}, DType::kU8, in, DType::kU8, out, t);
  for (int b = 0; b < 256; ++b) {
    const float x = static_cast<float>(b - 100) * 0.05f;
    const float y = static_cast<float>(std::tanh(static_cast<double>(x)));
    CHECK(t[b] == quantizeOne(y, out.scale, 0, 0, 255));
  }
  // int8 input: byte 255 is -1.
  buildLookupTable(UnaryFn::kIdentity, {}, DType::kS8, {0.5f, 0}, DType::kS8, {0.25f, 3}, t);
  CHECK(static_cast<int8_t>(t[255]) == 1);   // -1 * 0.5 / 0.25 + 3
  CHECK(static_cast<int8_t>(t[127]) == 127);  // saturates
  // leakyRelu and the MLAS logistic at fixed points.
  CHECK(unaryEval(UnaryFn::kLeakyRelu, {0.1f, 0.f}, -2.f) == 0.1f * -2.f);
  CHECK(unaryEval(UnaryFn::kSigmoid, {}, 0.f) == 0.5f);
  CHECK(std::fabs(unaryEval(UnaryFn::kSigmoid, {}, 3.f) - 0.95257413f) < 1e-6f);
  CHECK(unaryEval(UnaryFn::kSigmoid, {}, -100.f) >= 0.f);
  bool threw = false;
  try {
    buildLookupTable(UnaryFn::kTanh, {}, DType::kU8, {0.f, 0}, DType::kU8, out, t);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}
