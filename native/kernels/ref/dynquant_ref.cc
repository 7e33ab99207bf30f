// qint8 — scalar reference of the min/max reduction (NaN ignored).
#include "../../runtime/dynquant_kernels.h"

namespace qint8 {
namespace {

void refMinMax(const float* x, size_t n, float* mn, float* mx) {
  float lo = *mn, hi = *mx;
  for (size_t i = 0; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  *mn = lo;
  *mx = hi;
}

const DynQuantKernelTable kRef = {Isa::kScalar, refMinMax};

}  // namespace

const DynQuantKernelTable* dynQuantKernelsRef() { return &kRef; }

}  // namespace qint8
