// qint8 — internal kernel table of the 256-entry byte lookup of one ISA. PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

struct LutKernelTable {
  Isa isa;
  // y[i] = table[x[i]]; x and y may be the same buffer.
  void (*lookup)(const uint8_t* table, const uint8_t* x, size_t n, uint8_t* y);
  // Optional faster variant for CPUs with an extra feature (AVX512_VBMI: vpermi2b); null if none.
  void (*lookupFast)(const uint8_t* table, const uint8_t* x, size_t n, uint8_t* y);
};

const LutKernelTable* lutKernelsRef();
const LutKernelTable* lutKernelsAvx2();
const LutKernelTable* lutKernelsAvx512();
const LutKernelTable* lutKernelsNeon();
const LutKernelTable& lutKernels(Isa isa);
// Whether this CPU can run a table's lookupFast (AVX512_VBMI for the AVX-512 table).
bool lutFastSupported(const LutKernelTable& t);

}  // namespace qint8
