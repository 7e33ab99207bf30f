// qint8 — float32 2-D convolution and transposed convolution, NHWC, with a fused bias and
// activation (activation.h).
//
// Weights use ONNX's layouts: Conv [Cout][Cin/groups][KH][KW]; ConvTranspose
// [Cin][Cout/groups][KH][KW]. Activations are NHWC: x[n][h][w][c].
//
// Numerics (every algorithm and ISA gives the same bits as convF32Reference):
//  - Conv: y = act(acc + bias[co]) with acc one fused multiply-add chain from +0 over the kernel
//    taps in (ky, kx, ci) order; a tap in the padding multiplies a zero (fma(0, w, acc), as an
//    im2col buffer would).
//  - ConvTranspose: y = act(acc + bias[co]) with acc = +0 plus, in (ky, kx) order over the taps
//    that reach the output pixel, s(tap) = a fused multiply-add chain from +0 over ci (plain adds
//    between taps: the GEMM + col2im order).
//  - The bias add is skipped when there is no bias.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "qint8/activation.h"
#include "qint8/common.h"
#include "qint8/conv.h"  // AutoPad

namespace qint8 {

struct ConvF32Config {
  Isa isa = Isa::kScalar;
  bool transposed = false;  // ConvTranspose
  int cin = 0, cout = 0, kh = 0, kw = 0, groups = 1;
  int strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;  // used when autoPad == kNotSet
  AutoPad autoPad = AutoPad::kNotSet;
  int outputPaddingH = 0, outputPaddingW = 0;  // ConvTranspose only
  int outputShapeH = 0, outputShapeW = 0;      // ConvTranspose only: explicit output size (0 = not given)
  const float* weight = nullptr;               // copied / packed by create()
  const float* bias = nullptr;                 // cout entries or null; copied by create()
  Activation act;
};

struct ConvF32Geometry {
  int n = 0, h = 0, w = 0;  // input
  int oh = 0, ow = 0;       // output
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
};

// Checks a configuration; throws std::invalid_argument naming the offending field.
void validateConvF32Config(const ConvF32Config& cfg);
// Output size and resolved pads for an input of n x h x w, as ONNX specifies them (and
// onnxruntime 1.30 computes them): for ConvTranspose with auto_pad SAME_* or an explicit
// output_shape, the total pad is split with the odd one at the end for SAME_UPPER and at the start
// otherwise. Throws std::invalid_argument when the output would be empty.
ConvF32Geometry convF32Geometry(const ConvF32Config& cfg, int n, int h, int w);

class ConvF32 {
 public:
  // Throws std::invalid_argument naming the offending field.
  static std::unique_ptr<ConvF32> create(const ConvF32Config& cfg);
  ~ConvF32();

  const ConvF32Config& config() const { return cfg_; }  // weight/bias pointers are not kept
  ConvF32Geometry geometry(int n, int h, int w) const { return convF32Geometry(cfg_, n, h, w); }
  // "gemm" (1x1 stride 1 unpadded: SGEMM on the activations in place), "indirect" (SGEMM reading
  // the input pixels through a table of row pointers, no copy), "im2col" (few input channels per
  // group: rows gathered into a cache-sized block first), "direct" (what would be im2col, with one
  // group, on AVX-512: taps read in place), "depthwise", "transpose" (SGEMM + col2im).
  const char* algorithm() const;

  // y (NHWC, n x oh x ow x cout) = conv(x (NHWC, n x h x w x cin)). bias, when given, replaces
  // the configured bias for this call (a bias that is not a constant of the graph). sum, when
  // given (NHWC, the shape of y, not overlapping y), is added after the bias and before the
  // activation: y = act((conv + bias) + sum), the order of an unfused Conv -> Add -> activation.
  void run(const float* x, int n, int h, int w, float* y, const float* bias = nullptr, int maxThreads = 0,
           const float* sum = nullptr) const;

  struct Impl;

 private:
  friend bool canFuseExpandDepthwise(const ConvF32&, const ConvF32&);
  friend size_t expandDepthwiseScratchBytes(const ConvF32&, const ConvF32&, int, int, int, size_t);
  friend void runExpandDepthwise(const ConvF32&, const ConvF32&, const float*, int, int, int, float*, void*, size_t, int, size_t);
  ConvF32() = default;
  ConvF32Config cfg_;
  std::unique_ptr<Impl> impl_;
};

// The reference convolution, straight from the definition above (bias: cfg.bias).
void convF32Reference(const ConvF32Config& cfg, const float* x, int n, int h, int w, float* y);

// An expansion conv (1x1, stride 1, unpadded, one group: the "gemm" algorithm) followed by a
// depthwise conv reading nothing but its output (an inverted-residual block's first half, as in
// MobileNetV2/V3). With at least as many images as threads, each image runs band by band: the
// expansion computes the rows of its output that the next band of depthwise rows needs into a
// buffer of about bandBytes (0: 384 KB, so it stays in L2), then the depthwise kernel reads them
// there; the rows a band shares with the next are moved to the front. The expanded tensor never
// goes to memory in full. With fewer images it runs expand, then depthwise, through a whole
// expanded tensor in scratch. Either way the result has the bits of expand.run then dw.run.
// canFuseExpandDepthwise says whether a pair qualifies (else the functions throw).
bool canFuseExpandDepthwise(const ConvF32& expand, const ConvF32& dw);
size_t expandDepthwiseScratchBytes(const ConvF32& expand, const ConvF32& dw, int n, int h, int w, size_t bandBytes = 0);
void runExpandDepthwise(const ConvF32& expand, const ConvF32& dw, const float* x, int n, int h, int w, float* y, void* scratch,
                        size_t scratchBytes, int maxThreads = 0, size_t bandBytes = 0);

}  // namespace qint8
