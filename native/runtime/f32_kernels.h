// qint8 — internal table of the float32 kernels of one ISA (elementwise math, broadcasting
// binary ops, comparisons, select, row/column reductions, softmax, layer norm, affine, 32-bit
// transpose). Included by ISA translation units: PODs and declarations only.
//
// Every ISA's kernels are bit-exact with the reference (kernels/ref/f32_ref.cc): all of them are
// the same generic algorithms (kernels/f32_impl.h) instantiated on a per-ISA vector type, the
// math approximations use explicit fused multiply-adds (std::fma in the reference), and the
// reductions use one fixed summation order (64 interleaved partial sums, folded as a tree), so
// no ISA can round differently. NaN payloads are the only thing left unspecified.
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"

namespace qint8 {

enum class UnaryOp : int {
  kRelu = 0,
  kNeg,
  kAbs,
  kSqrt,
  kReciprocal,
  kFloor,
  kCeil,
  kRound,  // half to even
  kSign,
  kExp,
  kLog,
  kErf,
  kTanh,
  kSigmoid,
  kSoftplus,
  kClip,         // a = min, b = max
  kLeakyRelu,    // a = alpha
  kHardSigmoid,  // a = alpha, b = beta: max(0, min(1, a*x + b))
  kHardSwish,    // x * HardSigmoid(x; 1/6, 1/2)
  kGeluErf,
  kGeluTanh,
  kAffine,  // x * a + b (two roundings)
  kSoftsign,
  kElu,       // a = alpha
  kSelu,      // a = alpha, b = gamma
  kCelu,      // a = alpha
  kThresholdedRelu,  // a = alpha
  kCount
};
struct UnaryParams {
  float a = 0.f, b = 0.f;
};

enum class BinaryOp : int { kAdd = 0, kSub, kMul, kDiv, kMax, kMin, kPRelu, kCount };
enum class CmpOp : int { kEq = 0, kLt, kGt, kLe, kGe, kCount };
// Reductions. kSumSquare accumulates fma(x - shift, x - shift, acc); kSumExp accumulates
// exp(x - shift) (shift = the row maximum for a stable log-sum-exp).
enum class ReduceOp : int { kSum = 0, kSumSquare, kSumAbs, kMax, kMin, kProd, kSumExp, kCount };

// Broadcast modes of a binary kernel: both operands vectors, b a scalar, a a scalar.
enum BcastMode : int { kBcastVV = 0, kBcastVS = 1, kBcastSV = 2 };

// Rows longer than this are reduced in blocks of this many elements, each block with the
// 64-lane order, and the block results combined in order (so that a thread split of a long row
// never changes the result).
constexpr size_t kReduceBlock = size_t{1} << 16;

struct F32KernelTable {
  Isa isa;
  void (*unary)(UnaryOp op, const UnaryParams& p, const float* x, float* y, size_t n);
  void (*binary)(BinaryOp op, const float* a, const float* b, float* y, size_t n, int mode);
  void (*compare)(CmpOp op, const float* a, const float* b, uint8_t* y, size_t n, int mode);
  // out[i] = c[i] ? x[i] : y[i] on 32-bit lanes; scalars: bit 0 = c, bit 1 = x, bit 2 = y is a
  // single value repeated.
  void (*where32)(const uint8_t* c, const uint32_t* x, const uint32_t* y, uint32_t* out, size_t n, int scalars);
  // The reduction of one contiguous row (n <= kReduceBlock) in the 64-lane order. Empty rows
  // give the identity (0, 0, 0, -inf, +inf, 1, 0).
  float (*reduceRow)(ReduceOp op, const float* x, size_t n, float shift);
  // acc[j] = op(acc[j], x[r * ld + j]) for r = 0..rows-1 in order, j < cols. shift (per
  // column, may be null = 0) applies to kSumSquare / kSumExp.
  void (*reduceCols)(ReduceOp op, const float* x, size_t rows, size_t cols, size_t ld, const float* shift, float* acc);
  // Softmax / LogSoftmax over one contiguous row.
  void (*softmaxRow)(const float* x, float* y, size_t n, bool log);
  // Softmax / LogSoftmax down the n rows of an n x cols block (row stride ld, for x and y),
  // independently per column (an axis that is not the last one). scratch: 2 * cols floats.
  void (*softmaxCols)(const float* x, float* y, size_t n, size_t cols, size_t ld, bool log, float* scratch);
  // mean and variance (two passes, 64-lane order) of one contiguous row (n <= kReduceBlock).
  void (*moments)(const float* x, size_t n, float* mean, float* var);
  // y = ((x - mean) * invStd) * scale[j] + bias[j] (bias may be null).
  void (*normalizeRow)(const float* x, const float* scale, const float* bias, float mean, float invStd, float* y, size_t n);
  // y = (x - shift) * a + b over a row, or y[r][j] = (x[r][j] - shift[j]) * a[j] + b[j] over
  // rows x cols (shift may be null = 0; x - 0 is exact, so that is x * a + b).
  void (*affineRow)(const float* x, float shift, float a, float b, float* y, size_t n);
  void (*affineCols)(const float* x, const float* shift, const float* a, const float* b, float* y, size_t rows, size_t cols);
  // dst[c * ldDst + r] = src[r * ldSrc + c] for 32-bit elements, r < rows, c < cols.
  void (*transpose32)(const uint32_t* src, size_t rows, size_t cols, size_t ldSrc, uint32_t* dst, size_t ldDst);
};

const F32KernelTable* f32KernelsRef();
const F32KernelTable* f32KernelsAvx2();
const F32KernelTable* f32KernelsAvx512();
// The table for `isa`, or its fallback tier's (runtime/dispatch.h). Throws if the CPU lacks `isa`.
const F32KernelTable& f32Kernels(Isa isa);

}  // namespace qint8
