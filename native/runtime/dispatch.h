// qint8 — picking the kernel table of an op family for an ISA.
//
// Each op family declares one table getter per ISA it has kernels for (e.g. eltKernelsAvx2()),
// defined in that ISA's folder, and lists them in an array indexed by Isa (entries for tiers this
// build or family lacks stay null). selectTable() walks down the tier's fallback chain
// (avx512vnni -> avx2 -> scalar, i8mm -> neondot -> neon -> scalar) to the first table present,
// so a family that has no kernels of its own for a tier yet runs on the next tier down, and at
// worst on the reference.
#pragma once
#include <stdexcept>
#include <string>

#include "qint8/common.h"
#include "qint8/cpu.h"

namespace qint8 {

inline Isa fallbackIsa(Isa isa) {
  switch (isa) {
    case Isa::kAvx512Vnni: return Isa::kAvx2;
    case Isa::kI8mm: return Isa::kNeonDot;
    case Isa::kNeonDot: return Isa::kNeon;
    default: return Isa::kScalar;
  }
}

template <typename Table>
using IsaTables = const Table* [kIsaCount];

// The table for `isa` or its nearest fallback. Throws std::invalid_argument if the CPU cannot
// run `isa` (asking for a tier the CPU lacks is an error, never a silent downgrade).
template <typename Table>
const Table& selectTable(Isa isa, const IsaTables<Table>& tables, const char* family) {
  if (!isaSupported(isa))
    throw std::invalid_argument(std::string("ISA '") + isaName(isa) + "' is not supported by this CPU");
  for (Isa i = isa;; i = fallbackIsa(i)) {
    if (tables[static_cast<int>(i)]) return *tables[static_cast<int>(i)];
    if (i == Isa::kScalar) break;
  }
  throw std::logic_error(std::string("no reference kernels for ") + family);
}

}  // namespace qint8
