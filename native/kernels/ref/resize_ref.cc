// qint8 — scalar reference of the int8 bilinear resize kernel.
#include "../../runtime/resize_kernels.h"

namespace qint8 {
namespace {

inline int32_t val(const uint8_t* p, size_t j, bool s) { return s ? static_cast<int8_t>(p[j]) : p[j]; }

void refBilinear(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10, const uint8_t* p11, size_t c, int32_t lx,
                 int32_t ly, bool s, uint8_t* out) {
  for (size_t j = 0; j < c; ++j) {
    const int32_t top = (2048 - lx) * val(p00, j, s) + lx * val(p01, j, s);
    const int32_t bot = (2048 - lx) * val(p10, j, s) + lx * val(p11, j, s);
    out[j] = static_cast<uint8_t>(((2048 - ly) * top + ly * bot + (1 << 21)) >> 22);
  }
}

const ResizeKernelTable kRef = {Isa::kScalar, refBilinear};

}  // namespace

const ResizeKernelTable* resizeKernelsRef() { return &kRef; }

}  // namespace qint8
