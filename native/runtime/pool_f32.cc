// qint8 — float32 pooling driver: checks, output geometry (onnxruntime's rules), threads.
#include "qint8/pool_f32.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "qint8/cpu.h"
#include "qint8/threadpool.h"
#include "dispatch.h"
#include "pool_f32_kernels.h"

namespace qint8 {
namespace {

[[noreturn]] void bad(const std::string& m) { throw std::invalid_argument(m); }

const PoolF32KernelTable& poolTable(Isa isa) {
  static const IsaTables<PoolF32KernelTable> tables = {
      poolF32KernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      poolF32KernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      poolF32KernelsAvx512(),
#else
      nullptr,
#endif
      nullptr, nullptr, nullptr,  // neon, neondot, i8mm
  };
  return selectTable(isa, tables, "float pooling");
}

// One axis: resolved pads and output size.
void axis(const PoolF32Config& c, int in, int k, int s, int d, int padBegin, int padEnd, int* head, int* tail, int* out,
          const char* name) {
  int64_t h = padBegin, t = padEnd;
  if (c.autoPad == AutoPad::kValid) h = t = 0;
  if (c.autoPad == AutoPad::kSameUpper || c.autoPad == AutoPad::kSameLower) {
    // onnxruntime: pad_needed from the undilated kernel.
    const int64_t target = (static_cast<int64_t>(in) + s - 1) / s;
    const int64_t needed = (target - 1) * s + k - in;
    h = c.autoPad == AutoPad::kSameLower ? (needed + 1) / 2 : needed / 2;
    t = needed - h;
  }
  const int64_t ek = static_cast<int64_t>(k - 1) * d + 1;
  const int64_t numer = in + h + t - ek;
  if (numer < 0)
    bad(std::string("the pooling window (") + std::to_string(ek) + " along " + name + ", with dilation) does not fit the padded input (" +
        std::to_string(in + h + t) + ")");
  int64_t o = c.ceilMode ? (numer + s - 1) / s + 1 : numer / s + 1;
  if (c.ceilMode && (o - 1) * s >= in + h) --o;  // the last window must start inside the input or the leading pad
  if (o <= 0 || o > (1 << 30)) bad("pooling output size out of range");
  *head = static_cast<int>(h);
  *tail = static_cast<int>(t);
  *out = static_cast<int>(o);
}

}  // namespace

void validatePoolF32Config(const PoolF32Config& c) {
  if (c.global) return;
  auto pos = [](int v, const char* name) {
    if (v <= 0) bad(std::string(name) + " must be >= 1, got " + std::to_string(v));
  };
  pos(c.kh, "kernel_shape");
  pos(c.kw, "kernel_shape");
  pos(c.strideH, "strides");
  pos(c.strideW, "strides");
  pos(c.dilationH, "dilations");
  pos(c.dilationW, "dilations");
  if (c.padTop < 0 || c.padLeft < 0 || c.padBottom < 0 || c.padRight < 0) bad("pads must be >= 0");
}

PoolF32Geometry poolF32Geometry(const PoolF32Config& c, int h, int w) {
  if (h <= 0 || w <= 0) bad("input dimensions must be >= 1");
  PoolF32Geometry g;
  if (c.global) return g;
  axis(c, h, c.kh, c.strideH, c.dilationH, c.padTop, c.padBottom, &g.padTop, &g.padBottom, &g.oh, "height");
  axis(c, w, c.kw, c.strideW, c.dilationW, c.padLeft, c.padRight, &g.padLeft, &g.padRight, &g.ow, "width");
  return g;
}

void poolF32(const PoolF32Config& cfg, const float* x, int n, int h, int w, int c, float* y, int maxThreads) {
  validatePoolF32Config(cfg);
  if (n <= 0 || c <= 0) bad("input dimensions must be >= 1");
  const PoolF32KernelTable& kt = poolTable(cfg.isa);
  const PoolF32Geometry g = poolF32Geometry(cfg, h, w);
  ThreadPool& pool = ThreadPool::global();
  int threads = pool.numThreads();
  if (maxThreads > 0) threads = std::min(threads, maxThreads);
  const bool max = cfg.kind == PoolKind::kMax;
  if (cfg.global) {
    const size_t hw = static_cast<size_t>(h) * w;
    if (static_cast<double>(hw) * c * n < (1 << 16)) threads = 1;
    const int chunk = 64;
    const int chunks = (c + chunk - 1) / chunk;
    const int tasks = n * chunks;
    auto runTask = [&](int t, int) {
      const int b = t / chunks, c0 = (t % chunks) * chunk;
      kt.global(x + static_cast<size_t>(b) * hw * c, hw, c, c0, std::min(c, c0 + chunk), max, y + static_cast<size_t>(b) * c);
    };
    if (threads <= 1 || tasks <= 1) {
      for (int t = 0; t < tasks; ++t) runTask(t, 0);
    } else {
      pool.parallelFor(tasks, runTask, threads);
    }
    return;
  }
  PoolF32Args base{};
  base.h = h;
  base.w = w;
  base.c = c;
  base.kh = cfg.kh;
  base.kw = cfg.kw;
  base.sh = cfg.strideH;
  base.sw = cfg.strideW;
  base.dh = cfg.dilationH;
  base.dw = cfg.dilationW;
  base.padT = g.padTop;
  base.padL = g.padLeft;
  base.padB = g.padBottom;
  base.padR = g.padRight;
  base.oh = g.oh;
  base.ow = g.ow;
  base.max = max;
  base.countIncludePad = cfg.countIncludePad;
  if (static_cast<double>(g.oh) * g.ow * c * n * cfg.kh * cfg.kw < (1 << 16)) threads = 1;
  const int band = std::max(1, std::min(g.oh, (g.oh * n + 4 * threads - 1) / (4 * threads)));
  const int bandsPerImage = (g.oh + band - 1) / band;
  const size_t imgIn = static_cast<size_t>(h) * w * c, imgOut = static_cast<size_t>(g.oh) * g.ow * c;
  auto runTask = [&](int t, int) {
    PoolF32Args a = base;
    const int b = t / bandsPerImage;
    a.x = x + b * imgIn;
    a.y = y + b * imgOut;
    a.oyBegin = (t % bandsPerImage) * band;
    a.oyEnd = std::min(g.oh, a.oyBegin + band);
    kt.run(a);
  };
  const int tasks = n * bandsPerImage;
  if (threads <= 1 || tasks <= 1) {
    for (int t = 0; t < tasks; ++t) runTask(t, 0);
  } else {
    pool.parallelFor(tasks, runTask, threads);
  }
}

}  // namespace qint8
