// qint8 — DynamicQuantizeLinear (ONNX, uint8), with onnxruntime's arithmetic:
//   lo = min(0, min(x)), hi = max(0, max(x))          (NaN inputs take no part in the range)
//   scale = hi == lo ? 1 : (hi - lo) / 255             (float32)
//   zeroPoint = roundHalfEven(clamp(0 - lo / scale, 0, 255))
//   y = QuantizeLinear(x, scale, zeroPoint)            (qint8/quantize.h; NaN -> 0)
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

// Minimum and maximum of x, ignoring NaN (+inf / -inf when n == 0 or all NaN). Vectorized per ISA.
void minMax(Isa isa, const float* x, size_t n, float* mn, float* mx, int maxThreads = 0);

// The scale and zero point DynamicQuantizeLinear computes from a range.
QParams dynamicQParams(float mn, float mx);

// y (n bytes) = DynamicQuantizeLinear(x); returns the scale and zero point.
QParams dynamicQuantizeLinear(Isa isa, const float* x, size_t n, uint8_t* y, int maxThreads = 0);

}  // namespace qint8
