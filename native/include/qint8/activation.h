// qint8 — the float32 activations that fuse into the epilogue of SGEMM, Conv and ConvTranspose,
// as scalar code: the executable spec every SIMD epilogue reproduces bit for bit.
//
// Included by ISA translation units: PODs and static inline functions only.
//
//   none         y = v
//   Relu         y = MAXPS(0, v)
//   Clip         y = MINPS(max, MAXPS(min, v))
//   LeakyRelu    y = v >= 0 ? v : v * alpha
//   HardSigmoid  y = MINPS(1, MAXPS(0, v * alpha + beta))          (multiply, then add: no FMA)
//   HardSwish    y = v * MINPS(1, MAXPS(0, v * (1/6) + 0.5))        (ONNX: x * HardSigmoid<1/6, 1/2>(x))
//
// MAXPS(a, b) = a > b ? a : b and MINPS(a, b) = a < b ? a : b are the x86 instructions'
// semantics: with the constant as the first operand, a NaN input comes out as NaN (it propagates
// through every activation above).
#pragma once
#include <cstdint>

namespace qint8 {

enum class ActKind : int { kNone = 0, kRelu = 1, kClip = 2, kLeakyRelu = 3, kHardSigmoid = 4, kHardSwish = 5 };

struct Activation {
  ActKind kind = ActKind::kNone;
  // Clip: p0 = min, p1 = max. LeakyRelu: p0 = alpha. HardSigmoid: p0 = alpha, p1 = beta.
  float p0 = 0.0f, p1 = 0.0f;
};

constexpr float kHardSwishAlpha = 1.0f / 6.0f;
constexpr float kHardSwishBeta = 0.5f;

static inline float maxps(float a, float b) { return a > b ? a : b; }
static inline float minps(float a, float b) { return a < b ? a : b; }

static inline float applyActivation(const Activation& a, float v) {
  switch (a.kind) {
    case ActKind::kNone: return v;
    case ActKind::kRelu: return maxps(0.0f, v);
    case ActKind::kClip: return minps(a.p1, maxps(a.p0, v));
    case ActKind::kLeakyRelu: return v >= 0.0f ? v : v * a.p0;
    case ActKind::kHardSigmoid: {
      float t = v * a.p0;
      t = t + a.p1;
      return minps(1.0f, maxps(0.0f, t));
    }
    case ActKind::kHardSwish: {
      float t = v * kHardSwishAlpha;
      t = t + kHardSwishBeta;
      return v * minps(1.0f, maxps(0.0f, t));
    }
  }
  return v;
}

}  // namespace qint8
