// qint8 — scalar reference of QuantizeLinear / DequantizeLinear.
#include "qint8/requant.h"
#include "../../runtime/elt_kernels.h"

namespace qint8 {
namespace {

void refQuantize(const float* x, size_t n, float scale, int32_t zp, bool isSigned, void* y) {
  const int32_t lo = isSigned ? -128 : 0, hi = isSigned ? 127 : 255;
  uint8_t* out = static_cast<uint8_t*>(y);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(quantizeOne(x[i], scale, zp, lo, hi));
}

void refDequantize(const void* q, size_t n, float scale, int32_t zp, bool isSigned, float* y) {
  if (isSigned) {
    const int8_t* in = static_cast<const int8_t*>(q);
    for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(in[i] - zp) * scale;
  } else {
    const uint8_t* in = static_cast<const uint8_t*>(q);
    for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(in[i] - zp) * scale;
  }
}

void refQuantizeRows(const float* x, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned,
                     void* y) {
  const int32_t lo = isSigned ? -128 : 0, hi = isSigned ? 127 : 255;
  uint8_t* out = static_cast<uint8_t*>(y);
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < c; ++j) out[r * c + j] = static_cast<uint8_t>(quantizeOne(x[r * c + j], scale[j], zp[j], lo, hi));
}

void refDequantizeRows(const void* q, size_t rows, size_t c, const float* scale, const int32_t* zp, bool isSigned,
                       float* y) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < c; ++j) {
      const int32_t v = isSigned ? static_cast<const int8_t*>(q)[r * c + j] : static_cast<const uint8_t*>(q)[r * c + j];
      y[r * c + j] = static_cast<float>(v - zp[j]) * scale[j];
    }
}

const EltKernelTable kRef = {Isa::kScalar, refQuantize, refDequantize, refQuantizeRows, refDequantizeRows};

}  // namespace

const EltKernelTable* eltKernelsRef() { return &kRef; }

}  // namespace qint8
