// qint8 — reference float32 convolution and transposed convolution (the spec of conv_f32.h).
#include <cmath>

#include "qint8/conv_f32.h"

namespace qint8 {

void convF32Reference(const ConvF32Config& c, const float* x, int n, int h, int w, float* y) {
  const ConvF32Geometry g = convF32Geometry(c, n, h, w);
  const int cinG = c.cin / c.groups, coutG = c.cout / c.groups;
  auto finish = [&](float acc, int co) {
    if (c.bias) acc = acc + c.bias[co];
    return applyActivation(c.act, acc);
  };
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int co = 0; co < c.cout; ++co) {
          const int grp = co / coutG, cg = co % coutG;
          float acc = 0.0f;
          if (!c.transposed) {
            for (int ky = 0; ky < c.kh; ++ky)
              for (int kx = 0; kx < c.kw; ++kx) {
                const int iy = oy * c.strideH - g.padTop + ky * c.dilationH;
                const int ix = ox * c.strideW - g.padLeft + kx * c.dilationW;
                const bool in = iy >= 0 && iy < h && ix >= 0 && ix < w;
                for (int ci = 0; ci < cinG; ++ci) {
                  const float xv = in ? x[((static_cast<size_t>(b) * h + iy) * w + ix) * c.cin + grp * cinG + ci] : 0.0f;
                  const float wv = c.weight[((static_cast<size_t>(co) * cinG + ci) * c.kh + ky) * c.kw + kx];
                  acc = std::fma(xv, wv, acc);
                }
              }
          } else {
            for (int ky = 0; ky < c.kh; ++ky)
              for (int kx = 0; kx < c.kw; ++kx) {
                const int ty = oy + g.padTop - ky * c.dilationH, tx = ox + g.padLeft - kx * c.dilationW;
                if (ty < 0 || tx < 0 || ty % c.strideH || tx % c.strideW) continue;
                const int iy = ty / c.strideH, ix = tx / c.strideW;
                if (iy >= h || ix >= w) continue;
                float s = 0.0f;
                for (int ci = 0; ci < cinG; ++ci) {
                  const float xv = x[((static_cast<size_t>(b) * h + iy) * w + ix) * c.cin + grp * cinG + ci];
                  const float wv = c.weight[(((static_cast<size_t>(grp) * cinG + ci) * coutG + cg) * c.kh + ky) * c.kw + kx];
                  s = std::fma(xv, wv, s);
                }
                acc = acc + s;
              }
          }
          y[((static_cast<size_t>(b) * g.oh + oy) * g.ow + ox) * c.cout + co] = finish(acc, co);
        }
}

}  // namespace qint8
