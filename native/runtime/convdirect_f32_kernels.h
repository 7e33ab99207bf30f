// qint8 — internal interface of the float32 direct convolution kernels for convs with few input
// channels (a network's first layer: 224x224x3 -> 32 3x3 s2, 7x7 s2 -> 64), NHWC, one group.
// Included by ISA translation units: PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

// Most taps (kh * kw * cin) a direct kernel takes; larger kernels use im2col.
constexpr int kConvDirectMaxTaps = 512;

struct ConvDirectF32Args {
  const float* x;  // one image, NHWC
  int h, w, cin;
  int kh, kw, sh, sw, dh, dw, padT, padL, oh, ow;
  int cout;
  const float* weights;  // packed: [ceil(cout / 16)][kh * kw * cin][16], taps in (ky, kx, ci) order, zeros past cout
  float* y;              // one image, NHWC (cout per pixel): the raw sums, no bias or activation
  int oyBegin, oyEnd;    // output rows to produce
};

struct ConvDirectF32KernelTable {
  Isa isa;
  // y = acc with acc a fused multiply-add chain from +0 over the taps in (ky, kx, ci) order,
  // padding taps multiplying zeros (the numerics of conv_f32.h, before the bias).
  void (*run)(const ConvDirectF32Args& a);
};

const ConvDirectF32KernelTable* convDirectF32KernelsAvx512();

}  // namespace qint8
