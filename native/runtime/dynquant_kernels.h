// qint8 — internal kernel table of the min/max reduction of one ISA. PODs and declarations only.
#pragma once
#include <cstddef>

#include "qint8/common.h"

namespace qint8 {

struct DynQuantKernelTable {
  Isa isa;
  // *mn = min(*mn, x[i]), *mx = max(*mx, x[i]) over i < n; a NaN x[i] changes neither.
  void (*minMax)(const float* x, size_t n, float* mn, float* mx);
};

const DynQuantKernelTable* dynQuantKernelsRef();
const DynQuantKernelTable* dynQuantKernelsAvx2();
const DynQuantKernelTable* dynQuantKernelsAvx512();
const DynQuantKernelTable* dynQuantKernelsNeon();
const DynQuantKernelTable& dynQuantKernels(Isa isa);

}  // namespace qint8
