// qint8 — scalar reference of the quantized binary ops (the spec; see qint8/binary.h).
#include <cmath>

#include "qint8/requant.h"
#include "../../runtime/binary_kernels.h"

namespace qint8 {
namespace {

inline int32_t load8(const void* p, size_t i, bool isSigned) {
  return isSigned ? static_cast<const int8_t*>(p)[i] : static_cast<const uint8_t*>(p)[i];
}

// Clamp in float (MAXPS/MINPS semantics), then round half to even; the bounds are integers, so
// this equals rounding first and saturating after (what onnxruntime's pack instructions do).
inline uint8_t finish(float v, float lo, float hi) {
  return static_cast<uint8_t>(static_cast<int32_t>(roundHalfEven(clampF(v, lo, hi))));
}

void refAddVV(const void* a, const void* b, size_t n, const AddKernelParams& p, bool isSigned, void* c) {
  uint8_t* out = static_cast<uint8_t*>(c);
  for (size_t i = 0; i < n; ++i) {
    const float t = std::fma(static_cast<float>(load8(b, i, isSigned)), p.rb, p.fixed);
    out[i] = finish(std::fma(static_cast<float>(load8(a, i, isSigned)), p.ra, t), p.lo, p.hi);
  }
}

void refAddVS(const void* a, size_t n, const AddKernelParams& p, bool isSigned, void* c) {
  uint8_t* out = static_cast<uint8_t*>(c);
  for (size_t i = 0; i < n; ++i)
    out[i] = finish(std::fma(static_cast<float>(load8(a, i, isSigned)), p.ra, p.fixed), p.lo, p.hi);
}

void refMulVV(const void* a, const void* b, size_t n, const MulKernelParams& p, bool isSigned, void* c) {
  uint8_t* out = static_cast<uint8_t*>(c);
  for (size_t i = 0; i < n; ++i) {
    const int32_t prod = (load8(a, i, isSigned) - p.za) * (load8(b, i, isSigned) - p.zb);
    const float v = static_cast<float>(prod) * p.m;
    out[i] = finish(v + p.zc, p.lo, p.hi);
  }
}

void refMulVS(const void* a, int32_t bz, size_t n, const MulKernelParams& p, bool isSigned, void* c) {
  uint8_t* out = static_cast<uint8_t*>(c);
  for (size_t i = 0; i < n; ++i) {
    const int32_t prod = (load8(a, i, isSigned) - p.za) * bz;
    const float v = static_cast<float>(prod) * p.m;
    out[i] = finish(v + p.zc, p.lo, p.hi);
  }
}

const BinaryKernelTable kRef = {Isa::kScalar, refAddVV, refAddVS, refMulVV, refMulVS};

}  // namespace

const BinaryKernelTable* binaryKernelsRef() { return &kRef; }

}  // namespace qint8
