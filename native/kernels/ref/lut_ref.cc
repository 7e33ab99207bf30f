// qint8 — scalar reference of the byte lookup.
#include "../../runtime/lut_kernels.h"

namespace qint8 {
namespace {

void refLookup(const uint8_t* table, const uint8_t* x, size_t n, uint8_t* y) {
  for (size_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

const LutKernelTable kRef = {Isa::kScalar, refLookup, nullptr};

}  // namespace

const LutKernelTable* lutKernelsRef() { return &kRef; }

}  // namespace qint8
