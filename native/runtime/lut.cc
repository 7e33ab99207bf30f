// qint8 — lookup-table unary ops: the float stage of each function, table construction, and the
// threaded byte lookup.
#include "qint8/lut.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "qint8/requant.h"
#include "qint8/threadpool.h"
#include "dispatch.h"
#include "lut_kernels.h"

namespace qint8 {

const LutKernelTable& lutKernels(Isa isa) {
  static const IsaTables<LutKernelTable> tables = {
      lutKernelsRef(),
#if defined(QINT8_HAVE_AVX2)
      lutKernelsAvx2(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_AVX512VNNI)
      lutKernelsAvx512(),
#else
      nullptr,
#endif
#if defined(QINT8_HAVE_NEON)
      lutKernelsNeon(),
#else
      nullptr,
#endif
      nullptr, nullptr,  // neondot, i8mm: no dot products here, they fall back to neon
  };
  return selectTable(isa, tables, "lut");
}

bool lutFastSupported(const LutKernelTable& t) {
  if (!t.lookupFast) return false;
#if defined(QINT8_HAVE_AVX512VNNI)
  if (t.isa == Isa::kAvx512Vnni) {
    return isaSupported(Isa::kAvx512Vnni) && cpuFeatures().avx512vbmi;
  }
#endif
  return false;
}

namespace {

// onnxruntime's MlasLogisticKernelFma3 (lib/x86_64/LogisticKernelFma3.S), lane by lane: the
// rational approximation of Eigen with FMA, p / q + 0.5, clamped below at 0.
float mlasLogistic(float v) {
  const float x = std::min(18.0f, std::max(-18.0f, v));
  const float x2 = x * x;
  float p = std::fma(x2, 4.37031012579801e-11f, 1.15627324459942e-07f);
  p = std::fma(x2, p, 6.08574864600143e-05f);
  p = std::fma(x2, p, 8.51377133304701e-03f);
  p = std::fma(x2, p, 2.48287947061529e-01f);
  float q = std::fma(x2, 6.10247389755681e-13f, 5.76102136993427e-09f);
  q = std::fma(x2, q, 6.29106785017040e-06f);
  q = std::fma(x2, q, 1.70198817374094e-03f);
  q = std::fma(x2, q, 1.16817656904453e-01f);
  q = std::fma(x2, q, 9.93151921023180e-01f);
  p = x * p;
  const float r = p / q + 0.5f;
  return r > 0.0f ? r : 0.0f;
}

double softplus(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }

void checkQ(const QParams& q, DType t, const char* name) {
  if (t != DType::kU8 && t != DType::kS8) throw std::invalid_argument(std::string(name) + " dtype must be uint8 or int8");
  if (!(std::isfinite(q.scale) && q.scale > 0))
    throw std::invalid_argument(std::string(name) + ".scale must be a finite number > 0");
  if (q.zeroPoint < qmin(t) || q.zeroPoint > qmax(t))
    throw std::invalid_argument(std::string(name) + ".zeroPoint is outside the " + dtypeName(t) + " range");
}

}  // namespace

float unaryEval(UnaryFn fn, const UnaryParams& p, float v) {
  const double x = v;
  switch (fn) {
    case UnaryFn::kIdentity: return v;
    case UnaryFn::kSigmoid: return mlasLogistic(v);
    case UnaryFn::kLeakyRelu: return v >= 0.0f ? v : p.alpha * v;
    case UnaryFn::kHardSigmoid:
      return static_cast<float>(std::max(0.0, std::min(1.0, static_cast<double>(p.alpha) * x + static_cast<double>(p.beta))));
    case UnaryFn::kHardSwish: return static_cast<float>(x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5)));
    case UnaryFn::kTanh: return static_cast<float>(std::tanh(x));
    case UnaryFn::kGelu: return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))));
    case UnaryFn::kGeluTanh: {
      const double k = std::sqrt(2.0 / 3.14159265358979323846);
      return static_cast<float>(0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x))));
    }
    case UnaryFn::kSilu: return static_cast<float>(x / (1.0 + std::exp(-x)));
    case UnaryFn::kExp: return static_cast<float>(std::exp(x));
    case UnaryFn::kElu: return static_cast<float>(x > 0 ? x : static_cast<double>(p.alpha) * std::expm1(x));
    case UnaryFn::kSoftplus: return static_cast<float>(softplus(x));
    case UnaryFn::kMish: return static_cast<float>(x * std::tanh(softplus(x)));
    case UnaryFn::kRelu: return v > 0.0f ? v : 0.0f;
    case UnaryFn::kClip: return std::min(std::max(v, p.alpha), p.beta);
    case UnaryFn::kSigmoidExact: return static_cast<float>(1.0 / (1.0 + std::exp(-x)));
  }
  throw std::invalid_argument("unknown unary function " + std::to_string(static_cast<int>(fn)));
}

void lookupTableInputs(DType inType, const QParams& in, float values[256]) {
  checkQ(in, inType, "input");
  for (int b = 0; b < 256; ++b) {
    const int32_t v = inType == DType::kS8 ? static_cast<int8_t>(b) : b;
    values[b] = static_cast<float>(v - in.zeroPoint) * in.scale;
  }
}

void quantizeTable(const float values[256], DType outType, const QParams& out, uint8_t table[256]) {
  checkQ(out, outType, "output");
  for (int b = 0; b < 256; ++b)
    table[b] = static_cast<uint8_t>(quantizeOne(values[b], out.scale, out.zeroPoint, qmin(outType), qmax(outType)));
}

void buildLookupTable(UnaryFn fn, const UnaryParams& p, DType inType, const QParams& in, DType outType,
                      const QParams& out, uint8_t table[256]) {
  if (static_cast<int>(fn) < 0 || static_cast<int>(fn) >= kUnaryFnCount)
    throw std::invalid_argument("unknown unary function " + std::to_string(static_cast<int>(fn)));
  float v[256];
  lookupTableInputs(inType, in, v);
  for (float& x : v) x = unaryEval(fn, p, x);
  quantizeTable(v, outType, out, table);
}

void applyLookupTable(Isa isa, const uint8_t table[256], const uint8_t* x, size_t n, uint8_t* y, int maxThreads) {
  const LutKernelTable& kt = lutKernels(isa);
  auto fn = lutFastSupported(kt) ? kt.lookupFast : kt.lookup;
  // About 50-100 us of work per task (waking a pool thread does not pay off for less).
  constexpr size_t kGrain = 1 << 20;
  const size_t tasks = (n + kGrain - 1) / kGrain;
  if (tasks <= 1) {
    fn(table, x, n, y);
    return;
  }
  ThreadPool::global().parallelFor(
      static_cast<int>(tasks),
      [&](int t, int) {
        const size_t b = static_cast<size_t>(t) * kGrain;
        fn(table, x + b, std::min(n, b + kGrain) - b, y + b);
      },
      maxThreads);
}

}  // namespace qint8
