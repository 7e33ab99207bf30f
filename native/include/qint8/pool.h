// qint8 — int8 pooling on NHWC tensors (channels innermost).
//
//   maxPool2d         max over the window's positions inside the input (padding never wins;
//                     a window with no position inside gives the type minimum); dilation.
//   averagePool2d     onnxruntime's QLinearAveragePool arithmetic, to the bit: every input is
//                     dequantized, d = sIn * float(x - zIn); the window's d are summed in float
//                     in row-major window order; y = sum / float(count); q = round(y / sOut + zOut)
//                     (each operation rounded to float32), saturated. count is kh * kw with
//                     countIncludePad, else the positions inside the input. A window covering the
//                     whole input with no padding takes the global average pool's arithmetic,
//                     as onnxruntime does.
//   globalAveragePool int32 sum per channel, then requantize: float(sum - zIn * HW) * M with
//                     M = sIn / (sOut * float(HW)), clamp, round half to even, + zOut
//                     (onnxruntime's QLinearGlobalAveragePool / MLAS).
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

enum class AutoPad : int { kNotSet = 0, kValid = 1, kSameUpper = 2, kSameLower = 3 };

struct Pool2dParams {
  int64_t n = 1, h = 1, w = 1, c = 1;  // NHWC input
  int64_t kh = 1, kw = 1;              // kernel
  int64_t sh = 1, sw = 1;              // strides
  int64_t dh = 1, dw = 1;              // dilations (max pool only)
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;  // explicit pads (kNotSet)
  AutoPad autoPad = AutoPad::kNotSet;
  bool ceilMode = false;
  bool countIncludePad = false;  // average pool only
};

struct Pool2dPlan {
  int64_t oh = 0, ow = 0;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;  // after auto_pad
};

// Output size and effective pads (ONNX Pool rules, with ceil mode's last window required to start
// inside the input or its leading padding). Throws std::invalid_argument naming the field when a
// parameter is out of range (pads must be smaller than the kernel, as in onnxruntime).
Pool2dPlan planPool2d(const Pool2dParams& p);

void maxPool2d(Isa isa, const Pool2dParams& p, DType type, const void* x, void* y, int maxThreads = 0);

void averagePool2d(Isa isa, const Pool2dParams& p, DType type, const QParams& in, const QParams& out, const void* x,
                   void* y, int maxThreads = 0);

// x: n x hw x c (NHWC with the spatial dims flattened); y: n x c.
void globalAveragePool(Isa isa, int64_t n, int64_t hw, int64_t c, DType type, const QParams& in, const QParams& out,
                       const void* x, void* y, int maxThreads = 0);

}  // namespace qint8
