// qint8 — internal interface of the depthwise convolution kernels (groups == channels, one filter
// per channel). Included by ISA translation units: PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/gemm.h"

namespace qint8 {

struct DwConvArgs {
  const uint8_t* x;  // one image, NHWC u8 (int8 activations are flipped by the driver)
  int h, w, c;
  int kh, kw, sh, sw, dh, dw, padT, padL, oh, ow;
  int zx;                 // input zero point (u8 domain): the value of padding
  const void* weights;    // packed by pack()
  GemmEpilogue ep;        // per-channel arrays (bias32 includes -zx * sum(w)); weightZeroPoint unused
  uint8_t* y;             // one image, NHWC, element size by ep.kind
  int oyBegin, oyEnd;     // output rows to produce
  void* scratch;          // scratchBytes() bytes, 64-byte aligned
  bool vbmi = false;      // the CPU has AVX512_VBMI (the AVX-512 kernel may use vpermt2b)
};

struct DwKernelTable {
  Isa isa;
  size_t (*packedBytes)(int kh, int kw, int c);
  // Packs w ([c][kh][kw] int8, ONNX depthwise weights) into the kernel's layout. The epilogue's
  // per-channel arrays stay in natural channel order; a kernel that permutes channels internally
  // permutes them itself.
  void (*pack)(const int8_t* w, int kh, int kw, int c, void* dst);
  size_t (*scratchBytes)(const DwConvArgs& a);
  void (*run)(const DwConvArgs& a);
};

// Whether no requantization product float(acc) * scale can reach 2^30 in magnitude (or be a NaN):
// |acc| <= |bias32| + kh * kw * 255 * 128 per channel. A kernel may then round before clamping
// and clamp the bytes instead (the same values: rounding is monotone and keeps the integer
// bounds), without the float clamp that protects the float -> int32 conversion.
static inline bool dwNoOverflow(const DwConvArgs& a) {
  const double taps = static_cast<double>(a.kh) * a.kw * 255.0 * 128.0;
  for (int ch = 0; ch < a.c; ++ch) {
    const double b = a.ep.bias32 ? static_cast<double>(a.ep.bias32[ch]) : 0.0;
    const double m = a.ep.scale ? static_cast<double>(a.ep.scale[ch]) : 0.0;
    const double v = ((b < 0 ? -b : b) + taps) * (m < 0 ? -m : m);
    if (!(v < 1073741824.0)) return false;  // also false for a NaN or infinite scale
  }
  return true;
}

const DwKernelTable* dwKernelsRef();
const DwKernelTable* dwKernelsAvx2();
const DwKernelTable* dwKernelsAvx512();
const DwKernelTable* dwKernelsNeon();
const DwKernelTable* dwKernelsNeonDot();
const DwKernelTable& dwKernels(Isa isa);

}  // namespace qint8
