// Binding: int8 pools on NHWC tensors.
#include "module.h"
#include "ops_args.h"
#include "qint8/pool.h"

using namespace qint8;

namespace qint8napi {
namespace {

// geometry: [n, h, w, c, kh, kw, sh, sw, dh, dw, padTop, padLeft, padBottom, padRight, autoPad,
//            ceilMode, countIncludePad]
Pool2dParams geometryArg(const Napi::CallbackInfo& info, size_t i) {
  const std::vector<int64_t> g = intListArg(info, i, "geometry", 0, INT64_C(1) << 40, 17);
  if (g.size() != 17) throwRange(info.Env(), "geometry must have 17 entries");
  Pool2dParams p;
  p.n = g[0], p.h = g[1], p.w = g[2], p.c = g[3];
  p.kh = g[4], p.kw = g[5], p.sh = g[6], p.sw = g[7], p.dh = g[8], p.dw = g[9];
  p.padTop = g[10], p.padLeft = g[11], p.padBottom = g[12], p.padRight = g[13];
  if (g[14] > 3) throwRange(info.Env(), "autoPad code must be in [0, 3]");
  p.autoPad = static_cast<AutoPad>(g[14]);
  p.ceilMode = g[15] != 0;
  p.countIncludePad = g[16] != 0;
  return p;
}

// poolPlan(geometry) -> [oh, ow, padTop, padLeft, padBottom, padRight]
Napi::Value PoolPlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Pool2dParams p = geometryArg(info, 0);
  const Pool2dPlan pl = guard(env, [&] { return planPool2d(p); });
  Napi::Array a = Napi::Array::New(env, 6);
  const int64_t v[6] = {pl.oh, pl.ow, pl.padTop, pl.padLeft, pl.padBottom, pl.padRight};
  for (uint32_t k = 0; k < 6; ++k) a.Set(k, Napi::Number::New(env, static_cast<double>(v[k])));
  return a;
}

// maxPool2d(dtype, x, geometry, out, isa?)
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType t = qTypeArg(info, 0, "dtype");
  const ArrayView x = qArrayArg(info, 1, t, "x");
  const Pool2dParams p = geometryArg(info, 2);
  const ArrayView y = qArrayArg(info, 3, t, "out");
  const Isa isa = isaArg(info, 4);
  const Pool2dPlan pl = guard(env, [&] { return planPool2d(p); });
  checkLength(env, x, p.n * p.h * p.w * p.c, "x");
  checkLength(env, y, p.n * pl.oh * pl.ow * p.c, "out");
  guard(env, [&] { maxPool2d(isa, p, t, x.data, y.data); });
  return info[3];
}

// averagePool2d(dtype, x, geometry, inScale, inZp, outScale, outZp, out, isa?)
Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType t = qTypeArg(info, 0, "dtype");
  const ArrayView x = qArrayArg(info, 1, t, "x");
  const Pool2dParams p = geometryArg(info, 2);
  const QParams in = qparamsArg(info, 3, "x");
  const QParams out = qparamsArg(info, 5, "output");
  const ArrayView y = qArrayArg(info, 7, t, "out");
  const Isa isa = isaArg(info, 8);
  const Pool2dPlan pl = guard(env, [&] { return planPool2d(p); });
  checkLength(env, x, p.n * p.h * p.w * p.c, "x");
  checkLength(env, y, p.n * pl.oh * pl.ow * p.c, "out");
  guard(env, [&] { averagePool2d(isa, p, t, in, out, x.data, y.data); });
  return info[7];
}

// globalAveragePool(dtype, x, n, hw, c, inScale, inZp, outScale, outZp, out, isa?)
Napi::Value GlobalAvgPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType t = qTypeArg(info, 0, "dtype");
  const ArrayView x = qArrayArg(info, 1, t, "x");
  const int64_t n = intArg(info, 2, "n", 0, INT64_C(1) << 40);
  const int64_t hw = intArg(info, 3, "hw", 1, INT64_C(1) << 40);
  const int64_t c = intArg(info, 4, "c", 1, INT64_C(1) << 40);
  const QParams in = qparamsArg(info, 5, "x");
  const QParams out = qparamsArg(info, 7, "output");
  const ArrayView y = qArrayArg(info, 9, t, "out");
  const Isa isa = isaArg(info, 10);
  checkLength(env, x, n * hw * c, "x");
  checkLength(env, y, n * c, "out");
  guard(env, [&] { globalAveragePool(isa, n, hw, c, t, in, out, x.data, y.data); });
  return info[9];
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(pool) {
  using namespace qint8napi;
  exportFunction(env, exports, "poolPlan", PoolPlan);
  exportFunction(env, exports, "maxPool2d", MaxPool);
  exportFunction(env, exports, "averagePool2d", AvgPool);
  exportFunction(env, exports, "globalAveragePool", GlobalAvgPool);
}
