// Float32 pooling (NHWC): every ISA tier and thread count equals the reference (poolF32Reference)
// bit for bit (same operations in the same order per channel), and the output geometry follows
// onnxruntime's rules on the cases checked against onnxruntime 1.30 by hand (ceil_mode's dropped
// last window, count_include_pad's divisor).
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.h"
#include "qint8/cpu.h"
#include "qint8/pool_f32.h"

using namespace qint8;

namespace {

bool sameBits(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

void runCase(PoolF32Config cfg, int n, int h, int w, int c, uint64_t seed, bool specials) {
  qt::Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(n) * h * w * c);
  for (auto& v : x) v = rng.uniformf(-4, 4);
  if (specials && x.size() > 20) {
    x[3] = std::numeric_limits<float>::quiet_NaN();
    x[7] = -std::numeric_limits<float>::infinity();
    x[11] = -0.0f;
  }
  const PoolF32Geometry g = poolF32Geometry(cfg, h, w);
  const size_t ysize = static_cast<size_t>(n) * g.oh * g.ow * c;
  std::vector<float> want(ysize, 7.0f);
  poolF32Reference(cfg, x.data(), n, h, w, c, want.data());
  char desc[300];
  std::snprintf(desc, sizeof desc, "%s%s n=%d h=%d w=%d c=%d k=%dx%d s=%d,%d d=%d,%d pads=%d,%d,%d,%d auto=%d ceil=%d incl=%d",
                cfg.global ? "Global" : "", cfg.kind == PoolKind::kMax ? "MaxPool" : "AveragePool", n, h, w, c, cfg.kh, cfg.kw,
                cfg.strideH, cfg.strideW, cfg.dilationH, cfg.dilationW, cfg.padTop, cfg.padLeft, cfg.padBottom, cfg.padRight,
                static_cast<int>(cfg.autoPad), cfg.ceilMode, cfg.countIncludePad);
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (!isaSupported(isa)) continue;
    cfg.isa = isa;
    for (int threads : {1, 2}) {
      std::vector<float> got(ysize, 9.0f);
      poolF32(cfg, x.data(), n, h, w, c, got.data(), threads);
      for (size_t at = 0; at < ysize; ++at)
        if (!sameBits(got[at], want[at])) {
          char m[160];
          std::snprintf(m, sizeof m, " isa=%s threads=%d: first mismatch at %zu: got %.9g want %.9g", isaName(isa), threads, at, got[at], want[at]);
          qt::fail(__FILE__, __LINE__, std::string(desc) + m);
          return;
        }
    }
  }
}

PoolF32Config pool(PoolKind kind, int k, int s, int pad, bool ceil = false, bool incl = false) {
  PoolF32Config c;
  c.kind = kind;
  c.kh = c.kw = k;
  c.strideH = c.strideW = s;
  c.padTop = c.padLeft = c.padBottom = c.padRight = pad;
  c.ceilMode = ceil;
  c.countIncludePad = incl;
  return c;
}

}  // namespace

TEST(pool_f32_every_isa_equals_reference) {
  uint64_t seed = 1;
  for (PoolKind kind : {PoolKind::kMax, PoolKind::kAverage})
    for (int c : {1, 3, 8, 16, 17, 40, 64, 70}) {
      runCase(pool(kind, 3, 2, 1), 1, 9, 11, c, seed++, true);
      runCase(pool(kind, 2, 2, 0), 2, 8, 7, c, seed++, false);
      runCase(pool(kind, 3, 1, 1, false, true), 1, 5, 6, c, seed++, false);
      runCase(pool(kind, 3, 2, 1, true, true), 1, 6, 6, c, seed++, false);
      runCase(pool(kind, 2, 2, 1, true, false), 1, 5, 5, c, seed++, true);
      PoolF32Config d = pool(kind, 2, 1, 0);
      d.dilationH = 2;
      d.dilationW = 3;
      d.padTop = 1;
      d.padRight = 2;
      runCase(d, 1, 7, 9, c, seed++, false);
      PoolF32Config a = pool(kind, 3, 2, 0);
      a.autoPad = AutoPad::kSameUpper;
      runCase(a, 1, 8, 9, c, seed++, false);
      a.autoPad = AutoPad::kSameLower;
      runCase(a, 1, 8, 9, c, seed++, false);
      PoolF32Config gl;
      gl.kind = kind;
      gl.global = true;
      runCase(gl, 2, 7, 5, c, seed++, true);
      runCase(gl, 1, 1, 1, c, seed++, false);
    }
}

TEST(pool_f32_geometry_matches_onnxruntime) {
  // Checked against onnxruntime 1.30 (Python): 5x5, k2 s2 p1 ceil -> 3 (the 4th window would start
  // in the end padding); 6x6 k3 s2 p1 ceil -> 4.
  PoolF32Geometry g = poolF32Geometry(pool(PoolKind::kMax, 2, 2, 1, true), 5, 5);
  CHECK(g.oh == 3 && g.ow == 3);
  g = poolF32Geometry(pool(PoolKind::kAverage, 3, 2, 1, true, true), 6, 6);
  CHECK(g.oh == 4 && g.ow == 4);
  g = poolF32Geometry(pool(PoolKind::kAverage, 3, 2, 0, true, true), 6, 6);
  CHECK(g.oh == 3 && g.ow == 3);
  g = poolF32Geometry(pool(PoolKind::kMax, 3, 2, 1), 112, 112);
  CHECK(g.oh == 56 && g.ow == 56);
  // count_include_pad divisors from onnxruntime's output on arange(36) as 6x6, k3 s2 p1 ceil:
  // y[0][0] = 14 / 9, y[0][3] = 16 / 6, y[3][3] = 35 / 4.
  std::vector<float> x(36), y(16);
  for (int i = 0; i < 36; ++i) x[i] = static_cast<float>(i);
  poolF32Reference(pool(PoolKind::kAverage, 3, 2, 1, true, true), x.data(), 1, 6, 6, 1, y.data());
  CHECK(y[0] == 14.0f / 9.0f);
  CHECK(y[3] == 16.0f / 6.0f);
  CHECK(y[15] == 35.0f / 4.0f);
}
