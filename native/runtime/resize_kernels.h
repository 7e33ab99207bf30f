// qint8 — internal kernel table of the int8 bilinear resize of one ISA. PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

struct ResizeKernelTable {
  Isa isa;
  // out[j] = ((2048 - ly) * ((2048 - lx) * p00[j] + lx * p01[j]) + ly * ((2048 - lx) * p10[j] + lx * p11[j])
  //           + 2^21) >> 22, for j < c; lx, ly in [0, 2048].
  void (*bilinear)(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10, const uint8_t* p11, size_t c,
                   int32_t lx, int32_t ly, bool isSigned, uint8_t* out);
};

const ResizeKernelTable* resizeKernelsRef();
const ResizeKernelTable* resizeKernelsAvx2();
const ResizeKernelTable* resizeKernelsAvx512();
const ResizeKernelTable* resizeKernelsNeon();
const ResizeKernelTable& resizeKernels(Isa isa);

}  // namespace qint8
