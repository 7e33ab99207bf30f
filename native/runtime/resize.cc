// qint8 — 2-D Resize of NHWC int8 tensors: source coordinates per ONNX mode (onnxruntime's
// float32 formulas), precomputed per output row / column; nearest copies channel vectors, linear
// runs the ISA's bilinear kernel.
#include "qint8/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/threadpool.h"
#include "dispatch.h"
#include "resize_kernels.h"

namespace qint8 {

const ResizeKernelTable& resizeKernels(Isa isa) {
  static const IsaTables<ResizeKernelTable> tables = {
      resizeKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      resizeKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      resizeKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      resizeKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: no dot products here, they fall back to neon
  };
  return selectTable(isa, tables, "resize");
}

int64_t resizeOutputSize(int64_t in, float scale) {
  return static_cast<int64_t>(scale * static_cast<float>(in));
}

namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

// onnxruntime's get_original_coordinate (core/providers/cpu/tensor/upsamplebase.h).
float sourceCoord(ResizeCoord mode, float x, float scale, float outLen, float inLen) {
  switch (mode) {
    case ResizeCoord::kAsymmetric: return x / scale;
    case ResizeCoord::kPytorchHalfPixel: return outLen > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case ResizeCoord::kTfHalfPixelForNN: return (x + 0.5f) / scale;
    case ResizeCoord::kAlignCorners: return outLen == 1 ? 0.0f : x * (inLen - 1) / (outLen - 1);
    case ResizeCoord::kHalfPixel:
    default: return ((x + 0.5f) / scale) - 0.5f;
  }
}

// onnxruntime's get_nearest_pixel for opset >= 11 modes.
int64_t nearestPixel(ResizeNearest mode, float x) {
  switch (mode) {
    case ResizeNearest::kRoundPreferCeil: return static_cast<int64_t>(std::round(x));
    case ResizeNearest::kFloor: return static_cast<int64_t>(std::floor(x));
    case ResizeNearest::kCeil: return static_cast<int64_t>(std::ceil(x));
    case ResizeNearest::kRoundPreferFloor:
    default:
      if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) return static_cast<int64_t>(std::floor(x));
      return static_cast<int64_t>(std::round(x));
  }
}

struct AxisMap {
  std::vector<int64_t> i0, i1;
  std::vector<int32_t> lambda;
};

AxisMap mapAxis(const ResizeParams& p, int64_t in, int64_t out, float scale) {
  AxisMap m;
  m.i0.resize(static_cast<size_t>(out));
  m.i1.resize(static_cast<size_t>(out));
  m.lambda.resize(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const float src = sourceCoord(p.coord, static_cast<float>(o), scale, static_cast<float>(out), static_cast<float>(in));
    if (p.mode == ResizeMode::kNearest) {
      int64_t i = nearestPixel(p.nearest, src);
      i = std::min(std::max<int64_t>(i, 0), in - 1);
      m.i0[o] = m.i1[o] = i;
      m.lambda[o] = 0;
    } else {
      const float x = std::min(std::max(src, 0.0f), static_cast<float>(in - 1));
      const int64_t x0 = std::min(static_cast<int64_t>(x), in - 1);
      const int64_t x1 = std::min(x0 + 1, in - 1);
      m.i0[o] = x0;
      m.i1[o] = x1;
      m.lambda[o] = static_cast<int32_t>(std::nearbyint((x - static_cast<float>(x0)) * 2048.0f));
    }
  }
  return m;
}

}  // namespace

void resize2d(Isa isa, const ResizeParams& p, DType type, const void* x, void* y, int maxThreads) {
  if (type != DType::kU8 && type != DType::kS8) bad("dtype must be uint8 or int8");
  if (p.n < 0 || p.h < 1 || p.w < 1 || p.c < 1) bad("input shape must have n >= 0 and h, w, c >= 1");
  if (p.oh < 1 || p.ow < 1) bad("output height and width must be >= 1");
  if (!(std::isfinite(p.scaleH) && p.scaleH > 0 && std::isfinite(p.scaleW) && p.scaleW > 0))
    bad("scales must be finite and > 0");
  if (static_cast<int>(p.coord) < 0 || static_cast<int>(p.coord) > 4) bad("unknown coordinate transformation mode");
  if (static_cast<int>(p.nearest) < 0 || static_cast<int>(p.nearest) > 3) bad("unknown nearest mode");
  const ResizeKernelTable& kt = resizeKernels(isa);
  const bool s = type == DType::kS8;
  const AxisMap my = mapAxis(p, p.h, p.oh, p.scaleH), mx = mapAxis(p, p.w, p.ow, p.scaleW);
  const uint8_t* X = static_cast<const uint8_t*>(x);
  uint8_t* Y = static_cast<uint8_t*>(y);
  const size_t c = static_cast<size_t>(p.c);
  const int64_t rowsOut = p.n * p.oh;
  // Tasks of about 50 us (waking a pool thread does not pay off for less).
  const int64_t grain = std::max<int64_t>(1, (p.mode == ResizeMode::kNearest ? (1 << 20) : (1 << 17)) / (p.ow * p.c));
  const int64_t tasks = (rowsOut + grain - 1) / grain;
  auto run = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / p.oh, oy = r % p.oh;
      const uint8_t* img = X + b * p.h * p.w * p.c;
      const uint8_t* row0 = img + my.i0[oy] * p.w * p.c;
      const uint8_t* row1 = img + my.i1[oy] * p.w * p.c;
      uint8_t* dst = Y + r * p.ow * p.c;
      if (p.mode == ResizeMode::kNearest) {
        for (int64_t ox = 0; ox < p.ow; ++ox) std::memcpy(dst + ox * p.c, row0 + mx.i0[ox] * p.c, c);
      } else {
        const int32_t ly = my.lambda[oy];
        for (int64_t ox = 0; ox < p.ow; ++ox)
          kt.bilinear(row0 + mx.i0[ox] * p.c, row0 + mx.i1[ox] * p.c, row1 + mx.i0[ox] * p.c, row1 + mx.i1[ox] * p.c, c,
                      mx.lambda[ox], ly, s, dst + ox * p.c);
      }
    }
  };
  if (tasks <= 1) {
    run(0, rowsOut);
    return;
  }
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks), [&](int t, int) { run(t * grain, std::min(rowsOut, (t + 1) * grain)); }, maxThreads);
}

}  // namespace qint8
