// qint8 — a quantized linear layer (y = x · Wᵀ + b) on top of the GEMM: validates its
// configuration, packs the weights once, and precomputes the output stage (zero-point
// compensation, int32 bias, requantization multipliers, clamp bounds).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/common.h"
#include "qint8/gemm.h"

namespace qint8 {

enum class DType : int { kU8 = 0, kS8 = 1, kF32 = 2, kS32 = 3 };
const char* dtypeName(DType t);

struct QParams {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
};

// Integer range of a quantized type.
static inline int32_t qmin(DType t) { return t == DType::kS8 ? -128 : 0; }
static inline int32_t qmax(DType t) { return t == DType::kS8 ? 127 : 255; }

struct LinearConfig {
  Isa isa = Isa::kScalar;
  int n = 0, k = 0;
  const int8_t* weight = nullptr;          // n x k, row-major
  const float* weightScale = nullptr;      // 1 or n entries
  int weightScaleCount = 0;
  const int32_t* weightZeroPoint = nullptr;  // null (symmetric) or 1 or n entries
  int weightZeroPointCount = 0;
  const float* bias = nullptr;             // n entries, real-valued; or
  const int32_t* biasQ = nullptr;          // n entries, already quantized at sx * sw[j]
  DType inputType = DType::kU8;            // kU8 or kS8
  QParams input;
  DType outputType = DType::kF32;          // kU8 / kS8 (requantized), kF32, kS32
  QParams output;                          // kU8 / kS8 only
  bool relu = false;                       // kU8 / kS8: lo = max(qmin, zp)
  bool hasClip = false;                    // kU8 / kS8: clamp to quantized [clipMin, clipMax]
  float clipMin = 0.0f, clipMax = 0.0f;
};

class Linear {
 public:
  // Throws std::invalid_argument with a message naming the offending field.
  static std::unique_ptr<Linear> create(const LinearConfig& cfg);

  int n() const { return n_; }
  int k() const { return k_; }
  Isa isa() const { return packed_->isa(); }
  DType inputType() const { return inputType_; }
  DType outputType() const { return outputType_; }
  size_t packedBytes() const { return packed_->packedBytes(); }
  const PackedWeights& packed() const { return *packed_; }
  // The output stage for the pack-time input qparams (arrays owned by this Linear).
  GemmEpilogue epilogue() const;

  // y (m x n, row stride ldy elements) = layer(x (m x k, row stride ldx elements)).
  // `input` overrides the pack-time input qparams (dynamic quantization); the output stage is
  // then recomputed for this call into thread-local scratch.
  void run(const void* x, int m, size_t ldx, void* y, size_t ldy, const QParams* input = nullptr,
           int maxThreads = 0) const;

 private:
  Linear() = default;
  void computeStage(const QParams& in, int32_t* bias32, float* scale) const;

  int n_ = 0, k_ = 0;
  DType inputType_ = DType::kU8, outputType_ = DType::kF32;
  QParams input_, output_;
  int32_t lo_ = 0, hi_ = 0;
  std::unique_ptr<PackedWeights> packed_;
  std::vector<float> wScale_;     // n
  std::vector<int32_t> wZp_;      // n, empty if symmetric
  std::vector<float> biasF_;      // n, empty if no real bias
  std::vector<int32_t> biasQ_;    // n, empty unless given quantized
  // Output stage for the pack-time input qparams.
  std::vector<int32_t> bias32_;
  std::vector<float> stageScale_;
  std::vector<float> stageBiasF_;  // f32 output: the real bias
};

// Quantized bounds of a fused activation for an output type: ReLU gives lo = max(qmin, zp);
// Clip(min, max) gives [max(qmin, q(min)), min(qmax, q(max))] with q the QuantizeLinear rounding.
void fusedClampBounds(DType t, const QParams& out, bool relu, bool hasClip, float clipMin, float clipMax,
                      int32_t* lo, int32_t* hi);

// Quantizes a real bias to int32 at scale sx * sw (float32 product): round half to even,
// saturated to the int32 range.
int32_t quantizeBias(float bias, float sx, float sw);

}  // namespace qint8
