// qint8 — reference float32 depthwise convolution kernel (the scalar tier).
#include <cmath>
#include <cstring>

#include "../../runtime/dwconv_f32_kernels.h"

namespace qint8 {
namespace {

size_t refPackedFloats(int kh, int kw, int c) { return static_cast<size_t>(kh) * kw * c; }

void refPack(const float* w, int kh, int kw, int c, float* dst) {
  std::memcpy(dst, w, sizeof(float) * refPackedFloats(kh, kw, c));
}

void refRun(const DwF32Args& a) {
  const int kp = a.kh * a.kw;
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy)
    for (int ox = 0; ox < a.ow; ++ox)
      for (int ch = 0; ch < a.c; ++ch) {
        float acc = 0.0f;
        for (int ky = 0; ky < a.kh; ++ky)
          for (int kx = 0; kx < a.kw; ++kx) {
            const int iy = oy * a.sh - a.padT + ky * a.dh, ix = ox * a.sw - a.padL + kx * a.dw;
            const float xv = (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) ? 0.0f : a.x[(static_cast<size_t>(iy) * a.w + ix) * a.c + ch];
            acc = std::fma(xv, a.weights[static_cast<size_t>(ch) * kp + ky * a.kw + kx], acc);
          }
        if (a.bias) acc = acc + a.bias[ch];
        a.y[(static_cast<size_t>(oy) * a.ow + ox) * a.c + ch] = applyActivation(a.act, acc);
      }
}

const DwF32KernelTable kRef = {Isa::kScalar, 1 << 30, refPackedFloats, refPack, refRun};

}  // namespace

const DwF32KernelTable* dwF32KernelsRef() { return &kRef; }

}  // namespace qint8
