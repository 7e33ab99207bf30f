// qint8 — quantized elementwise binary ops with numpy broadcasting: QLinearAdd and QLinearMul
// (com.microsoft semantics, bit-exact with onnxruntime's x86 kernels), with an optional fused ReLU.
//
//   add: c = sat(round(fma(a, rA, fma(b, rB, F))))      rA = sA / sC, rB = sB / sC,
//                                                        F = zC - (rA * zA + rB * zB)
//        where a broadcast operand is folded into F first: F' = F + float(b) * rB (multiply,
//        then add), c = sat(round(fma(a, rA, F'))). This is onnxruntime's MLAS AVX2 kernel, which
//        x86 CPUs with AVX2 run (see docs/ARCHITECTURE.md, "int8 op set").
//   mul: c = sat(round(float((a - zA) * (b - zB)) * M + float(zC)))   M = (sA * sB) / sC
//        (multiply, then add; no FMA), onnxruntime's MLAS SSE2 kernel.
//
// Which operand counts as "broadcast" (scalar within a span) follows onnxruntime's Broadcaster
// exactly, because the two formulas of add round differently.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

enum class BinaryOp : int { kAdd = 0, kMul = 1 };

struct BinaryConfig {
  BinaryOp op = BinaryOp::kAdd;
  DType type = DType::kU8;  // kU8 or kS8, the same for both inputs and the output
  QParams a, b, c;
  bool relu = false;  // fused ReLU: the output's lower bound becomes max(qmin, zC)
};

// Maximum rank of a broadcast operand.
constexpr int kMaxBinaryRank = 8;

// The broadcast shape of a and b (numpy rules). Throws std::invalid_argument naming the axis if
// the shapes do not broadcast.
std::vector<int64_t> broadcastShape(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

// Checks cfg (scales finite > 0, zero points inside the type, ratios representable); throws
// std::invalid_argument naming the field.
void checkBinaryConfig(const BinaryConfig& cfg);

// c (broadcastShape(aShape, bShape), row-major) = op(a, b). maxThreads: 0 = whole pool.
void qlinearBinary(Isa isa, const BinaryConfig& cfg, const void* a, const std::vector<int64_t>& aShape,
                   const void* b, const std::vector<int64_t>& bShape, void* c, int maxThreads = 0);

}  // namespace qint8
