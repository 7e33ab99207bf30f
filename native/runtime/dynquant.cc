// qint8 — DynamicQuantizeLinear: threaded min/max, onnxruntime's qparams formula, QuantizeLinear.
#include "qint8/dynquant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "qint8/quantize.h"
#include "qint8/threadpool.h"
#include "dispatch.h"
#include "dynquant_kernels.h"

namespace qint8 {

const DynQuantKernelTable& dynQuantKernels(Isa isa) {
  static const IsaTables<DynQuantKernelTable> tables = {
      dynQuantKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      dynQuantKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      dynQuantKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      dynQuantKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: no dot products here, they fall back to neon
  };
  return selectTable(isa, tables, "dynquant");
}

void minMax(Isa isa, const float* x, size_t n, float* mn, float* mx, int maxThreads) {
  const DynQuantKernelTable& kt = dynQuantKernels(isa);
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  // Tasks of at least kGrain elements, at most kMaxTasks of them (partials on the stack: no
  // per-call allocation; min and max do not depend on the split).
  constexpr size_t kGrain = 1 << 18, kMaxTasks = 64;
  const size_t grain = std::max(kGrain, (n + kMaxTasks - 1) / kMaxTasks);
  const size_t tasks = (n + grain - 1) / grain;
  if (tasks <= 1) {
    kt.minMax(x, n, &lo, &hi);
  } else {
    float los[kMaxTasks], his[kMaxTasks];
    for (size_t t = 0; t < tasks; ++t) los[t] = lo, his[t] = hi;
    ThreadPool::global().parallelFor(
        static_cast<int>(tasks),
        [&](int t, int) {
          const size_t b = static_cast<size_t>(t) * grain;
          kt.minMax(x + b, std::min(n, b + grain) - b, &los[t], &his[t]);
        },
        maxThreads);
    for (size_t t = 0; t < tasks; ++t) {
      lo = los[t] < lo ? los[t] : lo;
      hi = his[t] > hi ? his[t] : hi;
    }
  }
  *mn = lo;
  *mx = hi;
}

QParams dynamicQParams(float mn, float mx) {
  // onnxruntime's GetQuantizationParameter (core/util/qmath.h) for uint8.
  mn = std::min(mn, 0.0f);
  mx = std::max(mx, 0.0f);
  QParams q;
  q.scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;
  const float izp = 0.0f - mn / q.scale;
  q.zeroPoint = static_cast<int32_t>(std::nearbyint(std::max(0.0f, std::min(255.0f, izp))));
  return q;
}

QParams dynamicQuantizeLinear(Isa isa, const float* x, size_t n, uint8_t* y, int maxThreads) {
  float mn, mx;
  minMax(isa, x, n, &mn, &mx, maxThreads);
  const QParams q = dynamicQParams(mn, mx);
  if (n > 0) quantizeLinear(isa, x, 1, 1, n, &q.scale, &q.zeroPoint, DType::kU8, y, maxThreads);
  return q;
}

}  // namespace qint8
