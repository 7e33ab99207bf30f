// qint8 — internal kernel table of the int8 pools of one ISA. PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

// averagePool2d's float stage (onnxruntime's QLinearAveragePool): per channel j,
//   s = 0; for r in rows order: s += sx * float(x_r[j] - zx); y = s / count;
//   out[j] = round(clamp(y / sy + zy, lo, hi))
struct AvgPoolParams {
  float sx;
  int32_t zx;
  float count, sy, zy;
  float lo, hi;  // the type's range as floats
};

struct PoolKernelTable {
  Isa isa;
  // out[j] = max over r < k of rows[r][j], j < c; k == 0 gives the type minimum.
  void (*maxRows)(const uint8_t* const* rows, size_t k, size_t c, bool isSigned, uint8_t* out);
  // out[j] per AvgPoolParams; k >= 1.
  void (*avgRows)(const uint8_t* const* rows, size_t k, size_t c, const AvgPoolParams& p, bool isSigned, uint8_t* out);
  // acc[j] = sum over r < rows of x[r * stride + j] (overwrites acc), j < c.
  void (*sumRows)(const uint8_t* x, size_t rows, size_t stride, size_t c, bool isSigned, int32_t* acc);
  // out[j] = requantize(acc[j] + bias, scale, zp, lo, hi) (qint8/requant.h).
  void (*requantRow)(const int32_t* acc, size_t c, int32_t bias, float scale, int32_t zp, int32_t lo, int32_t hi,
                     uint8_t* out);
};

const PoolKernelTable* poolKernelsRef();
const PoolKernelTable* poolKernelsAvx2();
const PoolKernelTable* poolKernelsAvx512();
const PoolKernelTable* poolKernelsNeon();
const PoolKernelTable& poolKernels(Isa isa);

}  // namespace qint8
