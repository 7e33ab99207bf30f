// qint8 — internal table of the elementwise kernels of one ISA. Included by ISA translation
// units: PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

struct EltKernelTable {
  Isa isa;
  // Per-tensor over n contiguous values; out8 is uint8 (isSigned = false) or int8.
  void (*quantize)(const float* x, size_t n, float scale, int32_t zp, bool isSigned, void* y);
  void (*dequantize)(const void* q, size_t n, float scale, int32_t zp, bool isSigned, float* y);
  // Channel-last: rows x c, one (scale, zp) per column.
  void (*quantizeRows)(const float* x, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned,
                       void* y);
  void (*dequantizeRows)(const void* q, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned,
                         float* y);
};

const EltKernelTable* eltKernelsRef();
const EltKernelTable* eltKernelsAvx2();
const EltKernelTable* eltKernelsAvx512();
const EltKernelTable* eltKernelsNeon();
// The table for `isa`, or its fallback tier's (runtime/dispatch.h). Throws if the CPU lacks `isa`.
const EltKernelTable& eltKernels(Isa isa);

}  // namespace qint8
