// qint8 — float32 pooling, NHWC: MaxPool, AveragePool (ONNX attributes), global average / max.
//
// Numerics (every ISA gives the same bits as poolF32Reference):
//  - Max: m = -inf, then for each tap inside the input in (ky, kx) order m = poolMax(m, x), where
//    poolMax(m, x) = isnan(x) ? x : (x > m ? x : m): a NaN in the window gives NaN. Padding never
//    takes part (a window entirely in the padding gives -inf).
//  - Average: s = +0 plus the taps inside the input in (ky, kx) order (plain adds), y = s / count
//    (a float32 division): count = taps inside the input, or with count_include_pad the taps
//    inside the padded extent [-pad_begin, size + pad_end) (onnxruntime's divisor, also in
//    ceil_mode).
//  - Global: the same over all h * w pixels in row-major order.
// Output size: onnxruntime's (and PyTorch's): floor or ceil((in + pads - ekernel) / stride) + 1;
// in ceil_mode a last window that would start inside the end padding is dropped. auto_pad SAME_*
// uses onnxruntime's undilated pad_needed = (ceil(in / stride) - 1) * stride + kernel - in.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/conv.h"  // AutoPad

namespace qint8 {

enum class PoolKind : int { kMax = 0, kAverage = 1 };

struct PoolF32Config {
  Isa isa = Isa::kScalar;
  PoolKind kind = PoolKind::kMax;
  bool global = false;  // GlobalMaxPool / GlobalAveragePool (the window fields are ignored)
  int kh = 1, kw = 1, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;  // used when autoPad == kNotSet
  AutoPad autoPad = AutoPad::kNotSet;
  bool ceilMode = false;
  bool countIncludePad = false;  // AveragePool
};

struct PoolF32Geometry {
  int oh = 1, ow = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
};

// Throws std::invalid_argument naming the offending field.
void validatePoolF32Config(const PoolF32Config& cfg);
// Output size and resolved pads; throws std::invalid_argument when the output would be empty.
PoolF32Geometry poolF32Geometry(const PoolF32Config& cfg, int h, int w);

// y (NHWC, n x oh x ow x c) = pool(x (NHWC, n x h x w x c)). maxThreads: 0 = the whole pool.
void poolF32(const PoolF32Config& cfg, const float* x, int n, int h, int w, int c, float* y, int maxThreads = 0);

// The reference, straight from the definition above.
void poolF32Reference(const PoolF32Config& cfg, const float* x, int n, int h, int w, int c, float* y);

}  // namespace qint8
