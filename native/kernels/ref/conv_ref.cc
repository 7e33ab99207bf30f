// qint8 — reference convolution and transposed convolution, straight from the ONNX definitions:
// direct loops over NHWC activations and ONNX-layout weights, int32 accumulation of
// (x - zx) * (w - zw), then the same output stages as the GEMM (requant.h). This is the spec the
// conv kernels are tested against; it is not used for speed.
#include <cstring>
#include <stdexcept>
#include <vector>

#include "qint8/conv.h"
#include "qint8/requant.h"

namespace qint8 {

namespace {

int32_t readAct(const void* x, DType t, size_t i) {
  return t == DType::kS8 ? static_cast<const int8_t*>(x)[i] : static_cast<const uint8_t*>(x)[i];
}

// Per-channel output stage exactly as the GEMM reference applies it.
struct Stage {
  std::vector<int32_t> biasQ;  // integer bias per channel (requant / s32 stages)
  std::vector<float> mult;     // requant multiplier or dequant scale
  std::vector<float> biasF;    // f32 stage real bias
  int32_t lo = 0, hi = 0;
};

Stage makeStage(const Conv2dConfig& c) {
  Stage s;
  const bool requant = c.outputType == DType::kU8 || c.outputType == DType::kS8;
  s.biasQ.assign(c.cout, 0);
  s.mult.assign(c.cout, 1.0f);
  for (int j = 0; j < c.cout; ++j) {
    const float sw = c.weightScale[c.weightScaleCount == 1 ? 0 : j];
    const float sxw = c.input.scale * sw;
    s.mult[j] = requant ? sxw / c.output.scale : sxw;
    if (c.biasQ) s.biasQ[j] = c.biasQ[j];
    else if (c.bias && requant) s.biasQ[j] = quantizeBias(c.bias[j], c.input.scale, sw);
  }
  if (c.bias && c.outputType == DType::kF32) s.biasF.assign(c.bias, c.bias + c.cout);
  if (requant) fusedClampBounds(c.outputType, c.output, c.relu, c.hasClip, c.clipMin, c.clipMax, &s.lo, &s.hi);
  return s;
}

void store(const Conv2dConfig& c, const Stage& s, int32_t acc, int co, void* y, size_t i) {
  switch (c.outputType) {
    case DType::kU8:
      static_cast<uint8_t*>(y)[i] = static_cast<uint8_t>(requantize(acc, s.mult[co], c.output.zeroPoint, s.lo, s.hi));
      break;
    case DType::kS8:
      static_cast<int8_t*>(y)[i] = static_cast<int8_t>(requantize(acc, s.mult[co], c.output.zeroPoint, s.lo, s.hi));
      break;
    case DType::kF32:
      static_cast<float*>(y)[i] = dequantizeAcc(acc, s.mult[co], s.biasF.empty() ? 0.0f : s.biasF[co]);
      break;
    case DType::kS32:
      static_cast<int32_t*>(y)[i] = acc;
      break;
  }
}

int32_t wzp(const Conv2dConfig& c, int co) {
  return c.weightZeroPoint ? c.weightZeroPoint[c.weightZeroPointCount == 1 ? 0 : co] : 0;
}

}  // namespace

void conv2dReference(const Conv2dConfig& c, const void* x, int n, int h, int w, void* y) {
  validateConv2dConfig(c);
  const ConvGeometry g = convGeometry(c, n, h, w);
  const Stage s = makeStage(c);
  const int cinG = c.cin / c.groups, coutG = c.cout / c.groups;
  const int zx = c.input.zeroPoint;
  if (!c.transposed) {
    for (int b = 0; b < n; ++b)
      for (int oy = 0; oy < g.oh; ++oy)
        for (int ox = 0; ox < g.ow; ++ox)
          for (int co = 0; co < c.cout; ++co) {
            const int grp = co / coutG;
            int32_t acc = s.biasQ[co];
            for (int ci = 0; ci < cinG; ++ci)
              for (int ky = 0; ky < c.kh; ++ky)
                for (int kx = 0; kx < c.kw; ++kx) {
                  const int iy = oy * c.strideH - g.padTop + ky * c.dilationH;
                  const int ix = ox * c.strideW - g.padLeft + kx * c.dilationW;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;  // padding: real 0
                  const int32_t xv = readAct(x, c.inputType, ((static_cast<size_t>(b) * h + iy) * w + ix) * c.cin + grp * cinG + ci);
                  const int32_t wv = c.weight[((static_cast<size_t>(co) * cinG + ci) * c.kh + ky) * c.kw + kx];
                  acc += (xv - zx) * (wv - wzp(c, co));
                }
            store(c, s, acc, co, y, ((static_cast<size_t>(b) * g.oh + oy) * g.ow + ox) * c.cout + co);
          }
    return;
  }
  // ConvTranspose: y[oy][ox] += x[iy][ix] * w[ci][co][ky][kx] where oy = iy*s - pad + ky*d.
  std::vector<int32_t> acc(static_cast<size_t>(n) * g.oh * g.ow * c.cout, 0);
  for (int b = 0; b < n; ++b)
    for (int iy = 0; iy < h; ++iy)
      for (int ix = 0; ix < w; ++ix)
        for (int grp = 0; grp < c.groups; ++grp)
          for (int ci = 0; ci < cinG; ++ci) {
            const int32_t xv = readAct(x, c.inputType, ((static_cast<size_t>(b) * h + iy) * w + ix) * c.cin + grp * cinG + ci) - zx;
            for (int cg = 0; cg < coutG; ++cg) {
              const int co = grp * coutG + cg;
              for (int ky = 0; ky < c.kh; ++ky)
                for (int kx = 0; kx < c.kw; ++kx) {
                  const int oy = iy * c.strideH - g.padTop + ky * c.dilationH;
                  const int ox = ix * c.strideW - g.padLeft + kx * c.dilationW;
                  if (oy < 0 || oy >= g.oh || ox < 0 || ox >= g.ow) continue;
                  const int32_t wv = c.weight[(((static_cast<size_t>(grp) * cinG + ci) * coutG + cg) * c.kh + ky) * c.kw + kx];
                  acc[((static_cast<size_t>(b) * g.oh + oy) * g.ow + ox) * c.cout + co] += xv * (wv - wzp(c, co));
                }
            }
          }
  for (size_t i = 0; i < acc.size(); ++i) {
    const int co = static_cast<int>(i % c.cout);
    store(c, s, acc[i] + s.biasQ[co], co, y, i);
  }
}

}  // namespace qint8
