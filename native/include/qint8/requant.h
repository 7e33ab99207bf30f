// qint8 — the numerics contract of the output stages, as executable scalar code.
// Every ISA path must produce exactly these values (see docs/ARCHITECTURE.md, "Numerics").
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "qint8/common.h"

namespace qint8 {

// Round half to even of a float, returned as float (exact for |x| < 2^23; larger floats are
// already integral). Uses the hardware conversion semantics the SIMD paths use.
static inline float roundHalfEven(float x) { return std::nearbyint(x); }

// Clamp with the semantics of x86 MAXPS/MINPS (a NaN input gives the lower bound), which is
// what the SIMD paths and onnxruntime's MLAS do: max(v, lo) = v > lo ? v : lo, then min.
static inline float clampF(float v, float lo, float hi) {
  v = v > lo ? v : lo;
  return v < hi ? v : hi;
}

// QuantizeLinear of one value: saturate(roundHalfEven(x / scale) + zp), NaN -> qmin.
static inline int32_t quantizeOne(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
  const float v = clampF(x / scale, static_cast<float>(qmin - zp), static_cast<float>(qmax - zp));
  return static_cast<int32_t>(roundHalfEven(v)) + zp;
}

// Requantize one int32 accumulator (bias and zero-point compensation already added).
//   v = float(acc) * mult            (one float32 multiply, no FMA)
//   v = clamp(v, lo - zp, hi - zp)   (in float: the same as clamping after the zero point is
//                                     added, and defined for every finite v)
//   y = roundHalfEven(v) + zp
// lo/hi are the integer output bounds (type range, or tighter for fused ReLU / Clip).
static inline int32_t requantize(int32_t acc, float mult, int32_t zp, int32_t lo, int32_t hi) {
  const float v = static_cast<float>(acc) * mult;
  return static_cast<int32_t>(roundHalfEven(clampF(v, static_cast<float>(lo - zp), static_cast<float>(hi - zp)))) + zp;
}

// Dequantized (fp32) output stage: y = float(acc) * scale + bias (multiply, then add; no FMA).
static inline float dequantizeAcc(int32_t acc, float scale, float bias) {
  const float p = static_cast<float>(acc) * scale;
  return p + bias;
}

}  // namespace qint8
