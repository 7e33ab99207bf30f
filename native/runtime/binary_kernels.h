// qint8 — internal kernel table of the quantized binary ops (add, mul) of one ISA. Included by ISA
// translation units: PODs and declarations only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

// add, in the roles of onnxruntime's kernel (A: the vector operand; B: the other one).
//   vv: c[i] = sat(round(fma(a[i], ra, fma(b[i], rb, fixed))))
//   vs: c[i] = sat(round(fma(a[i], ra, fixed)))      (the caller folded the scalar b into fixed)
// a/b/c are uint8 or int8 (isSigned); lo/hi are the integer output bounds as floats (the zero
// point is inside `fixed`).
struct AddKernelParams {
  float ra, rb, fixed;
  float lo, hi;
};

// mul: c[i] = sat(round(float((a[i] - za) * (b[i] - zb)) * m + zc))   (multiply, then add)
//   vs: b[i] - zb is the constant bz.
struct MulKernelParams {
  int32_t za, zb;
  float m, zc;
  float lo, hi;
};

struct BinaryKernelTable {
  Isa isa;
  void (*addVV)(const void* a, const void* b, size_t n, const AddKernelParams& p, bool isSigned, void* c);
  void (*addVS)(const void* a, size_t n, const AddKernelParams& p, bool isSigned, void* c);
  void (*mulVV)(const void* a, const void* b, size_t n, const MulKernelParams& p, bool isSigned, void* c);
  void (*mulVS)(const void* a, int32_t bz, size_t n, const MulKernelParams& p, bool isSigned, void* c);
};

const BinaryKernelTable* binaryKernelsRef();
const BinaryKernelTable* binaryKernelsAvx2();
const BinaryKernelTable* binaryKernelsAvx512();
const BinaryKernelTable* binaryKernelsNeon();
// The table for `isa` or its fallback tier's. Throws if the CPU lacks `isa`.
const BinaryKernelTable& binaryKernels(Isa isa);

}  // namespace qint8
