// Binding: observation kernels (min/max, per-channel min/max, histogram accumulation).
#include <algorithm>
#include <cmath>
#include <string>

#include "args.h"
#include "module.h"
#include "qint8/calibrate.h"
#include "qint8/observe.h"

using namespace qint8;

namespace qint8napi {
namespace {

// A number that converts to a finite float32 (the conversion of a larger double is undefined).
float floatArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double d = numberArg(info, i, name);
  if (!(std::fabs(d) <= 3.4028234663852886e38)) throwRange(info.Env(), std::string(name) + " must be a finite float32 value");
  return static_cast<float>(d);
}

Napi::Array nonFiniteArray(Napi::Env env, const NonFinite& nf, uint32_t offset, Napi::Array a) {
  a.Set(offset, Napi::Number::New(env, static_cast<double>(nf.nan)));
  a.Set(offset + 1, Napi::Number::New(env, static_cast<double>(nf.posInf)));
  a.Set(offset + 2, Napi::Number::New(env, static_cast<double>(nf.negInf)));
  return a;
}

// minMax(x: Float32Array, isa?, absolute?) -> [min, max, nan, posInf, negInf] (of |x| when absolute)
Napi::Value MinMaxFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView x = typedArrayArg(info, 0, napi_float32_array, "x");
  const Isa isa = isaArg(info, 1);
  const bool absolute = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  const MinMax r = guard(env, [&] {
    return absolute ? minMaxAbs(isa, static_cast<const float*>(x.data), x.length)
                    : minMax(isa, static_cast<const float*>(x.data), x.length);
  });
  Napi::Array a = Napi::Array::New(env, 5);
  a.Set(0u, Napi::Number::New(env, r.min));
  a.Set(1u, Napi::Number::New(env, r.max));
  return nonFiniteArray(env, r.skipped, 2, a);
}

// minMaxPerChannel(x, outer, channels, inner, mins: Float32Array, maxs: Float32Array, isa?) -> [nan, posInf, negInf]
Napi::Value MinMaxPerChannelFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView x = typedArrayArg(info, 0, napi_float32_array, "x");
  const size_t outer = static_cast<size_t>(intArg(info, 1, "outer", 0, INT64_C(1) << 50));
  const size_t ch = static_cast<size_t>(intArg(info, 2, "channels", 1, INT64_C(1) << 40));
  const size_t inner = static_cast<size_t>(intArg(info, 3, "inner", 0, INT64_C(1) << 50));
  const ArrayView mn = typedArrayArg(info, 4, napi_float32_array, "mins");
  const ArrayView mx = typedArrayArg(info, 5, napi_float32_array, "maxs");
  const Isa isa = isaArg(info, 6);
  if (x.length != outer * ch * inner) throwRange(env, "x length does not match outer * channels * inner");
  if (mn.length != ch || mx.length != ch) throwRange(env, "mins/maxs must have one entry per channel");
  NonFinite nf;
  guard(env, [&] {
    minMaxPerChannel(isa, static_cast<const float*>(x.data), outer, ch, inner, static_cast<float*>(mn.data),
                     static_cast<float*>(mx.data), &nf);
  });
  return nonFiniteArray(env, nf, 0, Napi::Array::New(env, 3));
}

// histogram(x, rule, bins, lo, hi, edges: Float64Array | null, gridLog2, gridOffset, absolute,
//           counts: Float64Array, isa?) -> [dropped, nan, posInf, negInf]; counts are added to.
Napi::Value HistogramFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView x = typedArrayArg(info, 0, napi_float32_array, "x");
  HistogramSpec s;
  s.rule = static_cast<BinRule>(intArg(info, 1, "rule", 0, 3));
  s.bins = intArg(info, 2, "bins", 1, INT64_C(1) << 24);
  s.lo = floatArg(info, 3, "lo");
  s.hi = floatArg(info, 4, "hi");
  const ArrayView edges = typedArrayArg(info, 5, napi_float64_array, "edges", true);
  s.gridLog2 = static_cast<int32_t>(intArg(info, 6, "gridLog2", -160, 130));
  s.gridOffset = intArg(info, 7, "gridOffset", -(INT64_C(1) << 52), INT64_C(1) << 52);
  if (!info[8].IsBoolean()) throwType(env, "absolute must be a boolean");
  s.absolute = info[8].As<Napi::Boolean>().Value();
  const ArrayView counts = typedArrayArg(info, 9, napi_float64_array, "counts");
  const Isa isa = isaArg(info, 10);
  if (counts.length != static_cast<size_t>(s.bins)) throwRange(env, "counts must have `bins` entries");
  if (s.rule == BinRule::kNumpy || s.rule == BinRule::kEdges) {
    if (edges.data == nullptr || edges.length != static_cast<size_t>(s.bins) + 1)
      throwRange(env, "edges must have bins + 1 entries");
    s.edges = static_cast<const double*>(edges.data);
  }
  NonFinite nf;
  const uint64_t dropped = guard(env, [&] {
    return histogram(isa, static_cast<const float*>(x.data), x.length, s, static_cast<double*>(counts.data), &nf);
  });
  Napi::Array a = Napi::Array::New(env, 4);
  a.Set(0u, Napi::Number::New(env, static_cast<double>(dropped)));
  return nonFiniteArray(env, nf, 1, a);
}

// ---- range searches on histograms (qint8/calibrate.h) ----

// torchCombineHistograms(orig: Float32Array, origMin, origMax, update: Float32Array, newMin, newMax,
//                        upsampleRate, out: Float32Array) -> out
Napi::Value TorchCombineFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView orig = typedArrayArg(info, 0, napi_float32_array, "orig");
  const float origMin = floatArg(info, 1, "origMin");
  const float origMax = floatArg(info, 2, "origMax");
  const ArrayView update = typedArrayArg(info, 3, napi_float32_array, "update");
  const float newMin = floatArg(info, 4, "newMin");
  const float newMax = floatArg(info, 5, "newMax");
  const int64_t rate = intArg(info, 6, "upsampleRate", 1, 1024);
  const ArrayView out = typedArrayArg(info, 7, napi_float32_array, "out");
  if (orig.length == 0 || update.length != orig.length || out.length != orig.length)
    throwRange(env, "orig, update and out must have the same non-zero length");
  if (!(origMin <= origMax && newMin <= newMax && newMin <= origMin && newMax >= origMax))
    throwRange(env, "the new range must contain the old one");
  if (orig.length * static_cast<size_t>(rate) > (size_t{1} << 26)) throwRange(env, "bins * upsampleRate is too large");
  guard(env, [&] {
    torchCombineHistograms(static_cast<const float*>(orig.data), static_cast<int64_t>(orig.length), origMin, origMax,
                           static_cast<const float*>(update.data), newMin, newMax, rate, static_cast<float*>(out.data));
  });
  return info[7];
}

// torchHistogramSearch(hist: Float32Array, min, max, dstBins) -> [min, max, startBin, endBin, evaluations]
Napi::Value TorchSearchFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView h = typedArrayArg(info, 0, napi_float32_array, "hist");
  const float mn = floatArg(info, 1, "min");
  const float mx = floatArg(info, 2, "max");
  const int64_t dst = intArg(info, 3, "dstBins", 2, INT64_C(1) << 16);
  if (h.length == 0) throwRange(env, "hist must not be empty");
  if (!(std::isfinite(mn) && std::isfinite(mx) && mn <= mx)) throwRange(env, "min/max must be finite with min <= max");
  const TorchSearchResult r = torchNonlinearSearch(static_cast<const float*>(h.data), static_cast<int64_t>(h.length), mn, mx, dst);
  Napi::Array a = Napi::Array::New(env, 5);
  a.Set(0u, Napi::Number::New(env, r.min));
  a.Set(1u, Napi::Number::New(env, r.max));
  a.Set(2u, Napi::Number::New(env, static_cast<double>(r.startBin)));
  a.Set(3u, Napi::Number::New(env, static_cast<double>(r.endBin)));
  a.Set(4u, Napi::Number::New(env, static_cast<double>(r.evaluations)));
  return a;
}

// entropyThreshold(hist: Float64Array, levels, startBin, stride, divergences: Float64Array | null) -> bins kept
Napi::Value EntropyFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView h = typedArrayArg(info, 0, napi_float64_array, "hist");
  const int64_t levels = intArg(info, 1, "levels", 1, INT64_C(1) << 16);
  const int64_t start = intArg(info, 2, "startBin", 1, INT64_C(1) << 40);
  const int64_t stride = intArg(info, 3, "stride", 1, INT64_C(1) << 40);
  const ArrayView d = typedArrayArg(info, 4, napi_float64_array, "divergences", true);
  if (h.length == 0) throwRange(env, "hist must not be empty");
  const int64_t n = static_cast<int64_t>(h.length);
  const int64_t first = std::max<int64_t>(1, std::min(start, n));
  if (d.data && d.length < static_cast<size_t>((n - first) / stride + 1)) throwRange(env, "divergences is too short");
  const int64_t r = guard(env, [&] {
    return entropyThresholdBins(static_cast<const double*>(h.data), n, levels, start, stride, static_cast<double*>(d.data));
  });
  return Napi::Number::New(env, static_cast<double>(r));
}

// mseThreshold(hist: Float64Array, binWidth, maxQ, startBin, stride, errors: Float64Array | null) -> bins kept
Napi::Value MseFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView h = typedArrayArg(info, 0, napi_float64_array, "hist");
  const double w = numberArg(info, 1, "binWidth");
  const int64_t maxQ = intArg(info, 2, "maxQ", 1, INT64_C(1) << 16);
  const int64_t start = intArg(info, 3, "startBin", 1, INT64_C(1) << 40);
  const int64_t stride = intArg(info, 4, "stride", 1, INT64_C(1) << 40);
  const ArrayView e = typedArrayArg(info, 5, napi_float64_array, "errors", true);
  if (h.length == 0) throwRange(env, "hist must not be empty");
  if (!(w > 0) || !std::isfinite(w)) throwRange(env, "binWidth must be a finite number > 0");
  const int64_t n = static_cast<int64_t>(h.length);
  const int64_t first = std::max<int64_t>(1, std::min(start, n));
  if (e.data && e.length < static_cast<size_t>((n - first) / stride + 1)) throwRange(env, "errors is too short");
  const int64_t r = guard(env, [&] {
    return mseThresholdBins(static_cast<const double*>(h.data), n, w, maxQ, start, stride, static_cast<double*>(e.data));
  });
  return Napi::Number::New(env, static_cast<double>(r));
}

// ortEntropyThreshold(hist: Float64Array, numQuantizedBins) -> [start, end]
Napi::Value OrtEntropyFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView h = typedArrayArg(info, 0, napi_float64_array, "hist");
  const int64_t nq = intArg(info, 1, "numQuantizedBins", 1, INT64_C(1) << 24);
  int64_t s = 0, e = 0;
  guard(env, [&] { ortEntropyThreshold(static_cast<const double*>(h.data), static_cast<int64_t>(h.length), nq, &s, &e); });
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, static_cast<double>(s)));
  a.Set(1u, Napi::Number::New(env, static_cast<double>(e)));
  return a;
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(observe) {
  using namespace qint8napi;
  exportFunction(env, exports, "minMax", MinMaxFn);
  exportFunction(env, exports, "minMaxPerChannel", MinMaxPerChannelFn);
  exportFunction(env, exports, "histogram", HistogramFn);
  exportFunction(env, exports, "torchCombineHistograms", TorchCombineFn);
  exportFunction(env, exports, "torchHistogramSearch", TorchSearchFn);
  exportFunction(env, exports, "entropyThreshold", EntropyFn);
  exportFunction(env, exports, "mseThreshold", MseFn);
  exportFunction(env, exports, "ortEntropyThreshold", OrtEntropyFn);
}
