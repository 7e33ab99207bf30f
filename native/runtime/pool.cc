// qint8 — int8 pools on NHWC: output-size rules, window enumeration (an indirection list of the
// window's input rows, in row-major window order), table dispatch and threads.
#include "qint8/pool.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "qint8/threadpool.h"
#include "dispatch.h"
#include "pool_kernels.h"

namespace qint8 {

const PoolKernelTable& poolKernels(Isa isa) {
  static const IsaTables<PoolKernelTable> tables = {
      poolKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      poolKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      poolKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      poolKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: no dot products here, they fall back to neon
  };
  return selectTable(isa, tables, "pool");
}

namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

void checkQ(const QParams& q, DType t, const char* name) {
  if (t != DType::kU8 && t != DType::kS8) bad("dtype must be uint8 or int8");
  if (!(std::isfinite(q.scale) && q.scale > 0)) bad(std::string(name) + ".scale must be a finite number > 0");
  if (q.zeroPoint < qmin(t) || q.zeroPoint > qmax(t)) bad(std::string(name) + ".zeroPoint is outside the " + dtypeName(t) + " range");
}

// One spatial axis: output size and pads (onnxruntime's PoolAttributes::ComputeSizePadDilations,
// except that SAME pads use the dilated kernel extent as the ONNX spec says; identical without
// dilation).
void planAxis(int64_t in, int64_t k, int64_t s, int64_t d, AutoPad ap, bool ceilMode, int64_t* head, int64_t* tail,
              int64_t* out, const char* axis) {
  const int64_t extent = d * (k - 1) + 1;
  if (ap == AutoPad::kValid) {
    *head = *tail = 0;
  } else if (ap == AutoPad::kSameUpper || ap == AutoPad::kSameLower) {
    const int64_t target = (in + s - 1) / s;
    const int64_t need = std::max<int64_t>(0, (target - 1) * s + extent - in);
    *head = ap == AutoPad::kSameUpper ? need / 2 : (need + 1) / 2;
    *tail = need - *head;
  } else {
    if (*head >= k || *tail >= k)
      bad(std::string("pads along ") + axis + " must be smaller than the kernel (" + std::to_string(k) + ")");
  }
  const int64_t num = in + *head + *tail - extent;
  if (num < 0) bad(std::string("the kernel (dilated extent ") + std::to_string(extent) + ") is larger than the padded input along " + axis);
  int64_t o = num / s + 1;
  if (ceilMode) {
    o = (num + s - 1) / s + 1;
    if ((o - 1) * s >= in + *head) --o;  // the last window must start inside the input or its leading pad
  }
  *out = o;
}

void checkParams(const Pool2dParams& p) {
  if (p.n < 0 || p.h < 1 || p.w < 1 || p.c < 1) bad("input shape must have n >= 0 and h, w, c >= 1");
  if (p.kh < 1 || p.kw < 1) bad("kernel sizes must be >= 1");
  if (p.sh < 1 || p.sw < 1) bad("strides must be >= 1");
  if (p.dh < 1 || p.dw < 1) bad("dilations must be >= 1");
  if (p.padTop < 0 || p.padLeft < 0 || p.padBottom < 0 || p.padRight < 0) bad("pads must be >= 0");
}

template <typename F>
void parallelChunks(int64_t total, int64_t grain, int maxThreads, F&& fn) {
  const int64_t tasks = (total + grain - 1) / grain;
  if (tasks <= 1) {
    if (total > 0) fn(int64_t{0}, total);
    return;
  }
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks), [&](int t, int) { fn(t * grain, std::min(total, (t + 1) * grain)); }, maxThreads);
}

// Per output index of one axis: the input coordinate of kernel tap 0 and the range [lo, hi) of
// taps that fall inside the input (contiguous, also with dilation).
struct AxisTaps {
  std::vector<int64_t> start, lo, hi;
};

AxisTaps axisTaps(int64_t out, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pad) {
  AxisTaps t;
  t.start.resize(static_cast<size_t>(out));
  t.lo.resize(static_cast<size_t>(out));
  t.hi.resize(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const int64_t s0 = o * s - pad;
    int64_t lo = 0, hi = k;
    while (lo < k && s0 + lo * d < 0) ++lo;
    while (hi > lo && s0 + (hi - 1) * d >= in) --hi;
    t.start[o] = s0;
    t.lo[o] = lo;
    t.hi[o] = hi;
  }
  return t;
}

// Runs fn(o, rows, k) for output pixels [o0, o1) (o = (b * oh + oy) * ow + ox), rows being the
// window's input channel vectors inside the input, in row-major window order.
template <typename F>
void forWindows(const Pool2dParams& p, const Pool2dPlan& pl, const AxisTaps& ty, const AxisTaps& tx, const uint8_t* x,
                int64_t o0, int64_t o1, F&& fn) {
  std::vector<const uint8_t*> rows(static_cast<size_t>(p.kh * p.kw));
  int64_t ox = o0 % pl.ow, oy = (o0 / pl.ow) % pl.oh, b = o0 / (pl.ow * pl.oh);
  const int64_t rowBytes = p.w * p.c;
  for (int64_t o = o0; o < o1; ++o) {
    const uint8_t* img = x + b * p.h * rowBytes;
    size_t k = 0;
    for (int64_t i = ty.lo[oy]; i < ty.hi[oy]; ++i) {
      const uint8_t* row = img + (ty.start[oy] + i * p.dh) * rowBytes + tx.start[ox] * p.c;
      for (int64_t j = tx.lo[ox]; j < tx.hi[ox]; ++j) rows[k++] = row + j * p.dw * p.c;
    }
    fn(o, rows.data(), k);
    if (++ox == pl.ow) {
      ox = 0;
      if (++oy == pl.oh) {
        oy = 0;
        ++b;
      }
    }
  }
}

}  // namespace

Pool2dPlan planPool2d(const Pool2dParams& p) {
  checkParams(p);
  Pool2dPlan pl;
  pl.padTop = p.padTop;
  pl.padBottom = p.padBottom;
  pl.padLeft = p.padLeft;
  pl.padRight = p.padRight;
  planAxis(p.h, p.kh, p.sh, p.dh, p.autoPad, p.ceilMode, &pl.padTop, &pl.padBottom, &pl.oh, "height");
  planAxis(p.w, p.kw, p.sw, p.dw, p.autoPad, p.ceilMode, &pl.padLeft, &pl.padRight, &pl.ow, "width");
  return pl;
}

// One output row of a 2x2 stride-2 max pool: y[ox][j] = max of rows a0, a1 at pixels 2ox, 2ox+1.
template <typename T>
void max2x2Row(const uint8_t* a0v, const uint8_t* a1v, int64_t ow, int64_t c, uint8_t* yv) {
  const T* a0 = reinterpret_cast<const T*>(a0v);
  const T* a1 = reinterpret_cast<const T*>(a1v);
  T* y = reinterpret_cast<T*>(yv);
  for (int64_t ox = 0; ox < ow; ++ox, a0 += 2 * c, a1 += 2 * c, y += c)
    for (int64_t j = 0; j < c; ++j) y[j] = std::max(std::max(a0[j], a0[c + j]), std::max(a1[j], a1[c + j]));
}

void maxPool2d(Isa isa, const Pool2dParams& p, DType type, const void* x, void* y, int maxThreads) {
  if (type != DType::kU8 && type != DType::kS8) bad("dtype must be uint8 or int8");
  const Pool2dPlan pl = planPool2d(p);
  const PoolKernelTable& kt = poolKernels(isa);
  const bool s = type == DType::kS8;
  const uint8_t* X = static_cast<const uint8_t*>(x);
  uint8_t* Y = static_cast<uint8_t*>(y);
  const int64_t pixels = p.n * pl.oh * pl.ow;
  // Tasks of about 50 us (waking a pool thread does not pay off for less).
  const int64_t grain = std::max<int64_t>(1, (1 << 19) / (p.c * p.kh * p.kw));
  if (p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.dh == 1 && p.dw == 1 && pl.padTop == 0 && pl.padLeft == 0 &&
      2 * pl.oh <= p.h && 2 * pl.ow <= p.w) {
    // 2x2 stride 2 with every window inside the input (the common CNN downsampling): whole output
    // rows in one loop (a kernel call per pixel costs more than its 4 x c bytes).
    const int64_t c = p.c, rowIn = p.w * c;
    parallelChunks(p.n * pl.oh, std::max<int64_t>(1, grain / pl.ow), maxThreads, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t b = r / pl.oh, oy = r % pl.oh;
        const uint8_t* a0 = X + (b * p.h + 2 * oy) * rowIn;
        const uint8_t* a1 = a0 + rowIn;
        uint8_t* y = Y + r * pl.ow * c;
        if (s) max2x2Row<int8_t>(a0, a1, pl.ow, c, y);
        else max2x2Row<uint8_t>(a0, a1, pl.ow, c, y);
      }
    });
    return;
  }
  const AxisTaps ty = axisTaps(pl.oh, p.h, p.kh, p.sh, p.dh, pl.padTop), tx = axisTaps(pl.ow, p.w, p.kw, p.sw, p.dw, pl.padLeft);
  parallelChunks(pixels, grain, maxThreads, [&](int64_t b0, int64_t b1) {
    forWindows(p, pl, ty, tx, X, b0, b1, [&](int64_t o, const uint8_t* const* rows, size_t k) {
      kt.maxRows(rows, k, static_cast<size_t>(p.c), s, Y + o * p.c);
    });
  });
}

void globalAveragePool(Isa isa, int64_t n, int64_t hw, int64_t c, DType type, const QParams& in, const QParams& out,
                       const void* x, void* y, int maxThreads) {
  checkQ(in, type, "input");
  checkQ(out, type, "output");
  if (n < 0 || hw < 1 || c < 1) bad("input shape must have n >= 0 and spatial size, channels >= 1");
  // The int32 sum of hw bytes must not overflow.
  if (hw > INT32_MAX / 255) bad("spatial size " + std::to_string(hw) + " is too large for an int32 sum (max " + std::to_string(INT32_MAX / 255) + ")");
  const PoolKernelTable& kt = poolKernels(isa);
  const bool s = type == DType::kS8;
  const float scale = in.scale / (out.scale * static_cast<float>(hw));
  const int32_t bias = -in.zeroPoint * static_cast<int32_t>(hw);
  const uint8_t* X = static_cast<const uint8_t*>(x);
  uint8_t* Y = static_cast<uint8_t*>(y);
  // Tasks: (batch, channel block of 256).
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (c + kBlock - 1) / kBlock;
  parallelChunks(n * blocks, std::max<int64_t>(1, (1 << 18) / (hw * kBlock)), maxThreads, [&](int64_t t0, int64_t t1) {
    alignas(64) int32_t acc[kBlock];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / blocks, j = (t % blocks) * kBlock, w = std::min(kBlock, c - j);
      kt.sumRows(X + b * hw * c + j, static_cast<size_t>(hw), static_cast<size_t>(c), static_cast<size_t>(w), s, acc);
      kt.requantRow(acc, static_cast<size_t>(w), bias, scale, out.zeroPoint, qmin(type), qmax(type), Y + b * c + j);
    }
  });
}

void averagePool2d(Isa isa, const Pool2dParams& p, DType type, const QParams& in, const QParams& out, const void* x,
                   void* y, int maxThreads) {
  checkQ(in, type, "input");
  checkQ(out, type, "output");
  if (p.dh != 1 || p.dw != 1) bad("average pooling takes no dilations");
  const Pool2dPlan pl = planPool2d(p);
  // onnxruntime takes the global pool's arithmetic when the kernel is the whole input, unpadded.
  if (p.kh == p.h && p.kw == p.w && pl.padTop == 0 && pl.padLeft == 0 && pl.padBottom == 0 && pl.padRight == 0) {
    globalAveragePool(isa, p.n, p.h * p.w, p.c, type, in, out, x, y, maxThreads);
    return;
  }
  const PoolKernelTable& kt = poolKernels(isa);
  const bool s = type == DType::kS8;
  const uint8_t* X = static_cast<const uint8_t*>(x);
  uint8_t* Y = static_cast<uint8_t*>(y);
  AvgPoolParams ap{in.scale, in.zeroPoint, 0.f, out.scale, static_cast<float>(out.zeroPoint),
                   static_cast<float>(qmin(type)), static_cast<float>(qmax(type))};
  const int64_t pixels = p.n * pl.oh * pl.ow;
  const int64_t grain = std::max<int64_t>(1, (1 << 17) / (p.c * p.kh * p.kw));
  const AxisTaps ty = axisTaps(pl.oh, p.h, p.kh, p.sh, 1, pl.padTop), tx = axisTaps(pl.ow, p.w, p.kw, p.sw, 1, pl.padLeft);
  parallelChunks(pixels, grain, maxThreads, [&](int64_t b0, int64_t b1) {
    AvgPoolParams q = ap;
    forWindows(p, pl, ty, tx, X, b0, b1, [&](int64_t o, const uint8_t* const* rows, size_t k) {
      q.count = static_cast<float>(p.countIncludePad ? p.kh * p.kw : static_cast<int64_t>(k));
      kt.avgRows(rows, k, static_cast<size_t>(p.c), q, s, Y + o * p.c);
    });
  });
}

}  // namespace qint8
