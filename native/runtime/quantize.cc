// qint8 — QuantizeLinear / DequantizeLinear driver: per-tensor and per-channel layouts, threads.
#include "qint8/quantize.h"

#include <algorithm>
#include <stdexcept>

#include "qint8/cpu.h"
#include "qint8/threadpool.h"
#include "dispatch.h"
#include "elt_kernels.h"

namespace qint8 {

const EltKernelTable& eltKernels(Isa isa) {
  static const IsaTables<EltKernelTable> tables = {
      eltKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      eltKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      eltKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      eltKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: nothing faster than NEON here (fall back to it)
  };
  return selectTable(isa, tables, "quantize");
}

namespace {

constexpr size_t kGrain = 1 << 15;  // elements per task

const EltKernelTable& checkedKernels(Isa isa, DType type) {
  if (type != DType::kU8 && type != DType::kS8) throw std::invalid_argument("quantized type must be uint8 or int8");
  return eltKernels(isa);
}

// Splits [0, n) into tasks of about kGrain and runs fn(begin, end) on the pool.
template <typename F>
void parallelRange(size_t n, size_t grain, int maxThreads, F&& fn) {
  const size_t tasks = (n + grain - 1) / grain;
  if (tasks <= 1) {
    fn(size_t{0}, n);
    return;
  }
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks), [&](int t, int) { fn(t * grain, std::min(n, (t + 1) * grain)); }, maxThreads);
}

}  // namespace

void quantizeLinear(Isa isa, const float* x, size_t outer, size_t channels, size_t inner, const float* scale,
                    const int32_t* zeroPoint, DType type, void* y, int maxThreads) {
  const EltKernelTable& kt = checkedKernels(isa, type);
  const bool s = type == DType::kS8;
  uint8_t* out = static_cast<uint8_t*>(y);
  if (channels == 1) {
    const size_t n = outer * inner;
    parallelRange(n, kGrain, maxThreads, [&](size_t b, size_t e) { kt.quantize(x + b, e - b, scale[0], zeroPoint[0], s, out + b); });
  } else if (inner == 1) {
    const size_t rowsPerTask = std::max<size_t>(1, kGrain / channels);
    parallelRange(outer, rowsPerTask, maxThreads, [&](size_t b, size_t e) {
      kt.quantizeRows(x + b * channels, e - b, channels, scale, zeroPoint, s, out + b * channels);
    });
  } else {
    const size_t runsPerTask = std::max<size_t>(1, kGrain / inner);
    parallelRange(outer * channels, runsPerTask, maxThreads, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        const size_t c = r % channels;
        kt.quantize(x + r * inner, inner, scale[c], zeroPoint[c], s, out + r * inner);
      }
    });
  }
}

void dequantizeLinear(Isa isa, const void* q, size_t outer, size_t channels, size_t inner, const float* scale,
                      const int32_t* zeroPoint, DType type, float* y, int maxThreads) {
  const EltKernelTable& kt = checkedKernels(isa, type);
  const bool s = type == DType::kS8;
  const uint8_t* in = static_cast<const uint8_t*>(q);
  if (channels == 1) {
    const size_t n = outer * inner;
    parallelRange(n, kGrain, maxThreads, [&](size_t b, size_t e) { kt.dequantize(in + b, e - b, scale[0], zeroPoint[0], s, y + b); });
  } else if (inner == 1) {
    const size_t rowsPerTask = std::max<size_t>(1, kGrain / channels);
    parallelRange(outer, rowsPerTask, maxThreads, [&](size_t b, size_t e) {
      kt.dequantizeRows(in + b * channels, e - b, channels, scale, zeroPoint, s, y + b * channels);
    });
  } else {
    const size_t runsPerTask = std::max<size_t>(1, kGrain / inner);
    parallelRange(outer * channels, runsPerTask, maxThreads, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        const size_t c = r % channels;
        kt.dequantize(in + r * inner, inner, scale[c], zeroPoint[c], s, y + r * inner);
      }
    });
  }
}

}  // namespace qint8
