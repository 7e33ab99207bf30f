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
  // dwNoOverflow() of this kh x kw and these per-channel arrays when the caller knows it (0 or 1:
  // the driver computes it once per layer); -1: dwNoOverflow() computes it.
  int noOverflow = -1;
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
// DwConvArgs::noOverflow, when set, is the answer (the loop below costs about 2 us per call on a
// 960-channel layer: 7x7x960 at 3x3 runs in 12-14 us).
static inline bool dwNoOverflow(const DwConvArgs& a) {
  if (a.noOverflow >= 0) return a.noOverflow != 0;
  const double taps = static_cast<double>(a.kh) * a.kw * 255.0 * 128.0;
  bool ok = true;
  for (int ch = 0; ch < a.c; ++ch) {
    const double b = a.ep.bias32 ? static_cast<double>(a.ep.bias32[ch]) : 0.0;
    const double m = a.ep.scale ? static_cast<double>(a.ep.scale[ch]) : 0.0;
    const double v = (__builtin_fabs(b) + taps) * __builtin_fabs(m);
    ok = ok & (v < 1073741824.0);  // also false for a NaN or infinite scale; no branch per channel
  }
  return ok;
}

const DwKernelTable* dwKernelsRef();
const DwKernelTable* dwKernelsAvx2();
const DwKernelTable* dwKernelsAvx512();
const DwKernelTable* dwKernelsNeon();
const DwKernelTable* dwKernelsNeonDot();
const DwKernelTable& dwKernels(Isa isa);

}  // namespace qint8
