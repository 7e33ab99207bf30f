// qint8 — QuantizeLinear / DequantizeLinear (ONNX semantics), vectorized per ISA.
//   quantize:   q = saturate(roundHalfEven(x / scale) + zp)   (float32 division; NaN -> qmin)
//   dequantize: x = float(q - zp) * scale
// Per-channel: the tensor is viewed as [outer, channels, inner] with one (scale, zp) per channel.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

// scale/zeroPoint point to `channels` entries (channels == 1: per tensor, outer = inner = ...).
void quantizeLinear(Isa isa, const float* x, size_t outer, size_t channels, size_t inner, const float* scale,
                    const int32_t* zeroPoint, DType type, void* y, int maxThreads = 0);
void dequantizeLinear(Isa isa, const void* q, size_t outer, size_t channels, size_t inner, const float* scale,
                      const int32_t* zeroPoint, DType type, float* y, int maxThreads = 0);

}  // namespace qint8
