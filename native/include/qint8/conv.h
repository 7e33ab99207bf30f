// qint8 — quantized 2-D convolution and transposed convolution, NHWC, u8 (or s8) activations x
// s8 weights, with the GEMM's output stages (requantized u8/s8 with fused ReLU/Clip, f32, s32).
//
// Weights use ONNX's layouts: Conv [Cout][Cin/groups][KH][KW]; ConvTranspose
// [Cin][Cout/groups][KH][KW]. Activations are NHWC: x[n][h][w][c].
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

enum class AutoPad : int { kNotSet = 0, kSameUpper = 1, kSameLower = 2, kValid = 3 };

// Which path runs a (non-depthwise, non-transposed) Conv. kAuto picks the fastest eligible one;
// the others force a path where it applies (tests and benchmarks; ignored where it cannot run).
enum class ConvAlgorithm : int { kAuto = 0, kGemm = 1, kIm2col = 2, kIndirect = 3 };

struct Conv2dConfig {
  Isa isa = Isa::kScalar;
  bool transposed = false;            // ConvTranspose
  int cin = 0, cout = 0, kh = 0, kw = 0, groups = 1;
  int strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;  // used when autoPad == kNotSet
  AutoPad autoPad = AutoPad::kNotSet;
  int outputPaddingH = 0, outputPaddingW = 0;  // ConvTranspose only
  const int8_t* weight = nullptr;
  const float* weightScale = nullptr;  // 1 or cout entries
  int weightScaleCount = 0;
  const int32_t* weightZeroPoint = nullptr;  // null, 1 or cout entries (asymmetric weights)
  int weightZeroPointCount = 0;
  const float* bias = nullptr;   // cout entries, real; or
  const int32_t* biasQ = nullptr;  // cout entries, quantized at sx * sw[c]
  DType inputType = DType::kU8;
  QParams input;
  DType outputType = DType::kU8;
  QParams output;
  bool relu = false;
  bool hasClip = false;
  float clipMin = 0.0f, clipMax = 0.0f;
  ConvAlgorithm algorithm = ConvAlgorithm::kAuto;
};

// Geometry of one call, resolved from the input size.
struct ConvGeometry {
  int n = 0, h = 0, w = 0;        // input
  int oh = 0, ow = 0;             // output
  int padTop = 0, padLeft = 0;    // effective leading pads (for ConvTranspose: of the transposed form)
};

// Checks a configuration; throws std::invalid_argument naming the offending field.
void validateConv2dConfig(const Conv2dConfig& cfg);
// Output size and effective pads for an input of n x h x w (auto_pad resolved); throws
// std::invalid_argument when the output would be empty.
ConvGeometry convGeometry(const Conv2dConfig& cfg, int n, int h, int w);

class Conv2d {
 public:
  // Throws std::invalid_argument naming the offending field.
  static std::unique_ptr<Conv2d> create(const Conv2dConfig& cfg);
  ~Conv2d();

  const Conv2dConfig& config() const { return cfg_; }
  ConvGeometry geometry(int n, int h, int w) const { return convGeometry(cfg_, n, h, w); }
  // Which path runs: "gemm" (1x1 stride 1: the GEMM on the activations as they are),
  // "im2col" (im2col blocks + GEMM), "indirect" (implicit GEMM through an indirection buffer),
  // "depthwise", "transpose" (GEMM + col2im).
  const char* algorithm() const;
  size_t packedBytes() const;

  // y (NHWC, n x oh x ow x cout) = conv(x (NHWC, n x h x w x cin)).
  void run(const void* x, int n, int h, int w, void* y, int maxThreads = 0) const;

  struct Impl;

 private:
  Conv2d() = default;
  Conv2dConfig cfg_;
  std::unique_ptr<Impl> impl_;
};

// The reference convolution, straight from the definition (the spec the kernels are tested
// against): direct loops, int32 accumulation, the same output stages.
void conv2dReference(const Conv2dConfig& cfg, const void* x, int n, int h, int w, void* y);

}  // namespace qint8
