// qint8 — reference depthwise convolution kernel (used on tiers without their own).
#include <cstring>

#include "qint8/requant.h"
#include "../../runtime/dwconv_kernels.h"

namespace qint8 {
namespace {

size_t refPackedBytes(int kh, int kw, int c) { return static_cast<size_t>(kh) * kw * c; }

// [c][kh][kw] -> [kh*kw][c]
void refPack(const int8_t* w, int kh, int kw, int c, void* dst) {
  int8_t* d = static_cast<int8_t*>(dst);
  for (int ch = 0; ch < c; ++ch)
    for (int t = 0; t < kh * kw; ++t) d[static_cast<size_t>(t) * c + ch] = w[static_cast<size_t>(ch) * kh * kw + t];
}

size_t refScratch(const DwConvArgs&) { return 0; }

void refRun(const DwConvArgs& a) {
  const int8_t* wt = static_cast<const int8_t*>(a.weights);
  const GemmEpilogue& ep = a.ep;
  const size_t ob = (ep.kind == GemmOut::kU8 || ep.kind == GemmOut::kS8) ? 1 : 4;
  for (int oy = a.oyBegin; oy < a.oyEnd; ++oy)
    for (int ox = 0; ox < a.ow; ++ox)
      for (int ch = 0; ch < a.c; ++ch) {
        int32_t acc = ep.bias32 ? ep.bias32[ch] : 0;
        for (int ky = 0; ky < a.kh; ++ky)
          for (int kx = 0; kx < a.kw; ++kx) {
            const int iy = oy * a.sh - a.padT + ky * a.dh, ix = ox * a.sw - a.padL + kx * a.dw;
            const int32_t xv = (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w)
                                   ? a.zx
                                   : a.x[(static_cast<size_t>(iy) * a.w + ix) * a.c + ch];
            acc += xv * wt[static_cast<size_t>(ky * a.kw + kx) * a.c + ch];
          }
        uint8_t* out = a.y + ((static_cast<size_t>(oy) * a.ow + ox) * a.c + ch) * ob;
        switch (ep.kind) {
          case GemmOut::kU8:
          case GemmOut::kS8: *out = static_cast<uint8_t>(requantize(acc, ep.scale[ch], ep.zeroPoint, ep.lo, ep.hi)); break;
          case GemmOut::kF32: {
            const float v = dequantizeAcc(acc, ep.scale[ch], ep.biasF ? ep.biasF[ch] : 0.0f);
            std::memcpy(out, &v, 4);
            break;
          }
          case GemmOut::kS32: std::memcpy(out, &acc, 4); break;
        }
      }
}

const DwKernelTable kRef = {Isa::kScalar, refPackedBytes, refPack, refScratch, refRun};

}  // namespace

const DwKernelTable* dwKernelsRef() { return &kRef; }

}  // namespace qint8
