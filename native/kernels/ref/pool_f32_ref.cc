// qint8 — reference float32 pooling kernels (the scalar tier) and poolF32Reference.
#include <cmath>
#include <stdexcept>

#include "qint8/pool_f32.h"
#include "../../runtime/pool_f32_kernels.h"

namespace qint8 {
namespace {

void refRun(const PoolF32Args& a) {
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy)
    for (int ox = 0; ox < a.ow; ++ox) {
      const int y0 = oy * a.sh - a.padT, x0 = ox * a.sw - a.padL;
      const float count = static_cast<float>(poolCount(y0, a.kh, a.dh, a.h, a.padB, a.countIncludePad) *
                                             poolCount(x0, a.kw, a.dw, a.w, a.padR, a.countIncludePad));
      for (int ch = 0; ch < a.c; ++ch) {
        float acc = a.max ? -INFINITY : 0.0f;
        for (int ky = 0; ky < a.kh; ++ky) {
          const int iy = y0 + ky * a.dh;
          if (iy < 0 || iy >= a.h) continue;
          for (int kx = 0; kx < a.kw; ++kx) {
            const int ix = x0 + kx * a.dw;
            if (ix < 0 || ix >= a.w) continue;
            const float v = a.x[(static_cast<size_t>(iy) * a.w + ix) * a.c + ch];
            acc = a.max ? poolMax(acc, v) : acc + v;
          }
        }
        a.y[(static_cast<size_t>(oy) * a.ow + ox) * a.c + ch] = a.max ? acc : acc / count;
      }
    }
}

void refGlobal(const float* x, size_t hw, int c, int c0, int c1, bool max, float* y) {
  for (int ch = c0; ch < c1; ++ch) {
    float acc = max ? -INFINITY : 0.0f;
    for (size_t p = 0; p < hw; ++p) {
      const float v = x[p * c + ch];
      acc = max ? poolMax(acc, v) : acc + v;
    }
    y[ch] = max ? acc : acc / static_cast<float>(hw);
  }
}

const PoolF32KernelTable kRef = {Isa::kScalar, refRun, refGlobal};

}  // namespace

const PoolF32KernelTable* poolF32KernelsRef() { return &kRef; }

void poolF32Reference(const PoolF32Config& cfg, const float* x, int n, int h, int w, int c, float* y) {
  validatePoolF32Config(cfg);
  if (cfg.global) {
    for (int b = 0; b < n; ++b)
      refGlobal(x + static_cast<size_t>(b) * h * w * c, static_cast<size_t>(h) * w, c, 0, c, cfg.kind == PoolKind::kMax, y + static_cast<size_t>(b) * c);
    return;
  }
  const PoolF32Geometry g = poolF32Geometry(cfg, h, w);
  PoolF32Args a{};
  a.h = h;
  a.w = w;
  a.c = c;
  a.kh = cfg.kh;
  a.kw = cfg.kw;
  a.sh = cfg.strideH;
  a.sw = cfg.strideW;
  a.dh = cfg.dilationH;
  a.dw = cfg.dilationW;
  a.padT = g.padTop;
  a.padL = g.padLeft;
  a.padB = g.padBottom;
  a.padR = g.padRight;
  a.oh = g.oh;
  a.ow = g.ow;
  a.max = cfg.kind == PoolKind::kMax;
  a.countIncludePad = cfg.countIncludePad;
  a.oyBegin = 0;
  a.oyEnd = g.oh;
  for (int b = 0; b < n; ++b) {
    a.x = x + static_cast<size_t>(b) * h * w * c;
    a.y = y + static_cast<size_t>(b) * g.oh * g.ow * c;
    refRun(a);
  }
}

}  // namespace qint8
