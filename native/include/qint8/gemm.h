// qint8 — u8 x s8 -> s32 GEMM with fused output stages.
//
//   C[m][n] = stage( sum_k (A[m][k] - zA) * (W[n][k] - zW[n]) + bias32[n] )
//
// A is u8 (row-major, leading dimension lda), W is s8 (N x K row-major, prepacked once per ISA).
// The caller folds the zero-point compensation into bias32 (see foldBias32()), so the kernels
// compute sum_k A*W + bias32 and, only when the weights are asymmetric, subtract
// zW[n] * rowsum(A[m]).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "qint8/common.h"

namespace qint8 {

enum class GemmOut : int {
  kU8 = 0,   // requantized uint8
  kS8 = 1,   // requantized int8
  kF32 = 2,  // dequantized float: float(acc) * scale[n] + biasF[n]
  kS32 = 3,  // raw int32 accumulator
};

// Per-column parameters of the output stage. Arrays have one entry per output column.
struct GemmEpilogue {
  GemmOut kind = GemmOut::kS32;
  const int32_t* bias32 = nullptr;  // added to every accumulator of the column (may be null)
  const float* scale = nullptr;     // requant multiplier (u8/s8) or dequant scale (f32)
  const float* biasF = nullptr;     // f32 stage only (may be null)
  int32_t zeroPoint = 0;            // u8/s8 stages
  int32_t lo = 0, hi = 255;         // u8/s8 stages: clamp bounds, inside the type's range
  const int32_t* weightZeroPoint = nullptr;  // asymmetric weights only (null: symmetric)
};

// Weights prepacked for one ISA's kernels.
class PackedWeights {
 public:
  ~PackedWeights();
  Isa isa() const { return isa_; }
  int n() const { return n_; }
  int k() const { return k_; }
  // sum_k W[n][k], for zero-point compensation.
  const int32_t* columnSums() const { return colsum_; }
  size_t packedBytes() const { return bytes_; }

  // Internal layout (read by the kernels).
  const uint8_t* data() const { return data_; }
  size_t panelStride() const { return panelStride_; }
  int nr() const { return nr_; }

 private:
  friend std::unique_ptr<PackedWeights> packWeights(Isa, const int8_t*, int, int);
  PackedWeights() = default;
  Isa isa_ = Isa::kScalar;
  int n_ = 0, k_ = 0, nr_ = 1;
  size_t panelStride_ = 0, bytes_ = 0;
  uint8_t* data_ = nullptr;
  int32_t* colsum_ = nullptr;
};

// Packs W (N x K, row-major s8) for `isa`. Throws std::invalid_argument if the ISA has no GEMM
// kernels in this build or on this CPU.
std::unique_ptr<PackedWeights> packWeights(Isa isa, const int8_t* w, int n, int k);

// bias32[j] = biasQ[j] (or 0) - zA * colsum[j] + k * zA * zW[j] (zW null: symmetric).
void foldBias32(const PackedWeights& w, const int32_t* biasQ, int32_t zA, const int32_t* zW,
                int32_t* out);

// C (m x n, leading dimension ldc in elements of the output type) = stage(A · Wᵀ).
// aSigned: A holds int8 values; they are flipped to uint8 (x ^ 0x80) on the fly, and the
// caller must have folded bias32 with zA + 128. maxThreads: 0 = whole pool.
void gemm(const PackedWeights& w, const void* a, size_t lda, bool aSigned, int m, void* c,
          size_t ldc, const GemmEpilogue& ep, int maxThreads = 0);

// Peak int8 multiply-accumulate throughput of one core for `isa`, in GOPS (2 ops per MAC),
// measured by a register-only loop of the ISA's dot-product instruction for ~`ms` milliseconds.
double measurePeakGops(Isa isa, double ms);

}  // namespace qint8
