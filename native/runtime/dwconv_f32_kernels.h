// qint8 — internal interface of the float32 depthwise convolution kernels (groups == channels,
// one filter per channel), NHWC. Included by ISA translation units: PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/activation.h"
#include "qint8/common.h"

namespace qint8 {

struct DwF32Args {
  const float* x;  // one image, NHWC
  int h, w, c;
  int kh, kw, sh, sw, dh, dw, padT, padL, oh, ow;
  const float* weights;  // packed by pack()
  const float* bias;     // c entries (natural order) or null
  Activation act;
  const float* zeroRow;  // at least w * c zeros: stands for input rows in the padding
  float* y;              // one image, NHWC
  int oyBegin, oyEnd;    // output rows to produce
};

struct DwF32KernelTable {
  Isa isa;
  int maxKh;  // kernels taller than this run on the reference
  size_t (*packedFloats)(int kh, int kw, int c);
  // Packs w ([c][kh][kw], ONNX depthwise weights) into the kernel's layout.
  void (*pack)(const float* w, int kh, int kw, int c, float* dst);
  // y = act(acc + bias) with acc a fused multiply-add chain from +0 over the taps in (ky, kx)
  // order, padding taps multiplying zeros (the numerics of conv_f32.h).
  void (*run)(const DwF32Args& a);
};

const DwF32KernelTable* dwF32KernelsRef();
const DwF32KernelTable* dwF32KernelsAvx2();
const DwF32KernelTable* dwF32KernelsAvx512();
const DwF32KernelTable& dwF32Kernels(Isa isa);

}  // namespace qint8
