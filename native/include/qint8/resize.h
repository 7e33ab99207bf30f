// qint8 — 2-D Resize of int8 / uint8 NHWC tensors (ONNX Resize on the H and W axes; the
// quantization parameters are unchanged: interpolation commutes with the affine map because the
// weights sum to one exactly).
//
// Source coordinates follow onnxruntime's float32 formulas for each coordinate_transformation_mode
// (half_pixel, asymmetric, align_corners, pytorch_half_pixel, tf_half_pixel_for_nn):
//   nearest: ONNX nearest_mode (round_prefer_floor, round_prefer_ceil, floor, ceil) on the source
//            coordinate, clamped to the input — the same input pixel onnxruntime picks.
//   linear:  the source coordinate is clamped to [0, in - 1]; x0 = floor, x1 = min(x0 + 1, in - 1),
//            the fraction is quantized to 11 bits, lx = round(frac * 2048), and
//              y = ((2048 - ly) * ((2048 - lx) * p00 + lx * p01) + ly * ((2048 - lx) * p10 + lx * p11)
//                   + 2^21) >> 22
//            exactly in int32 (arithmetic shift: ties round up). Within 1 LSB of the float64
//            bilinear value rounded to nearest (docs/ARCHITECTURE.md gives the bound).
#pragma once
#include <cstddef>
#include <cstdint>

#include "qint8/common.h"
#include "qint8/linear.h"

namespace qint8 {

enum class ResizeMode : int { kNearest = 0, kLinear = 1 };
enum class ResizeCoord : int {
  kHalfPixel = 0,
  kAsymmetric = 1,
  kAlignCorners = 2,
  kPytorchHalfPixel = 3,
  kTfHalfPixelForNN = 4,
};
enum class ResizeNearest : int { kRoundPreferFloor = 0, kRoundPreferCeil = 1, kFloor = 2, kCeil = 3 };

struct ResizeParams {
  int64_t n = 1, h = 1, w = 1, c = 1;  // NHWC input
  int64_t oh = 1, ow = 1;              // output size
  // Scales used by the coordinate transform (ONNX: the given scales, or out / in in float32 when
  // sizes are given).
  float scaleH = 1.f, scaleW = 1.f;
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
};

// ONNX output size for a scale: floor(float(scale * in)) as onnxruntime computes it.
int64_t resizeOutputSize(int64_t in, float scale);

void resize2d(Isa isa, const ResizeParams& p, DType type, const void* x, void* y, int maxThreads = 0);

}  // namespace qint8
