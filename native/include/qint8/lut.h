// qint8 — unary int8 ops as 256-entry lookup tables.
//
//   table[b] = quantizeOne(f(dequantize(b)), outQ)   for every byte b of the input type
//
// with dequantize(b) = float(b - zIn) * sIn and QuantizeLinear's rounding (qint8/requant.h), so a
// table applies any function f exactly as "dequantize, f in float, quantize" would, element for
// element. f is evaluated in float64 and rounded to float32, except for the functions that
// onnxruntime has as QLinear ops, which follow its float32 arithmetic to the bit:
//   sigmoid    MLAS's rational approximation with FMA (onnxruntime's QLinearSigmoid on x86 AVX2)
//   leakyRelu  v >= 0 ? v : alpha * v                          (QLinearLeakyRelu)
//   identity   v (a requantization; QLinearConcat's tables)
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

enum class UnaryFn : int {
  kIdentity = 0,     // requantize from the input's qparams to the output's
  kSigmoid = 1,      // onnxruntime's MLAS logistic (float32)
  kLeakyRelu = 2,    // alpha (default 0.01)
  kHardSigmoid = 3,  // max(0, min(1, alpha * x + beta)); ONNX defaults alpha 0.2, beta 0.5
  kHardSwish = 4,    // x * max(0, min(1, x / 6 + 1 / 2))
  kTanh = 5,
  kGelu = 6,         // x / 2 * (1 + erf(x / sqrt(2)))
  kGeluTanh = 7,     // x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))
  kSilu = 8,         // x * sigmoid(x) (exact, float64)
  kExp = 9,
  kElu = 10,         // x > 0 ? x : alpha * (exp(x) - 1); alpha default 1
  kSoftplus = 11,    // log(1 + exp(x))
  kMish = 12,        // x * tanh(softplus(x))
  kRelu = 13,
  kClip = 14,        // min(max(x, alpha), beta)
  kSigmoidExact = 15,  // 1 / (1 + exp(-x)) in float64
};
constexpr int kUnaryFnCount = 16;

struct UnaryParams {
  float alpha = 0.f, beta = 0.f;
};

// f(v) for one float32 input (the table's float stage). Throws std::invalid_argument for an
// unknown fn.
float unaryEval(UnaryFn fn, const UnaryParams& p, float v);

// The 256 dequantized inputs of a table, indexed by byte (for int8 the byte's two's-complement
// value): values[b] = float(value(b) - in.zeroPoint) * in.scale.
void lookupTableInputs(DType inType, const QParams& in, float values[256]);

// Quantizes 256 float values into a table (QuantizeLinear to outType/out).
void quantizeTable(const float values[256], DType outType, const QParams& out, uint8_t table[256]);

// Both steps for a built-in function. Checks the qparams (std::invalid_argument naming them).
void buildLookupTable(UnaryFn fn, const UnaryParams& p, DType inType, const QParams& in, DType outType,
                      const QParams& out, uint8_t table[256]);

// y[i] = table[x[i]] (bytes), vectorized per ISA, threaded for large n. x and y may alias.
void applyLookupTable(Isa isa, const uint8_t table[256], const uint8_t* x, size_t n, uint8_t* y, int maxThreads = 0);

}  // namespace qint8
