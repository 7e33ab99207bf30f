// Binding: 2-D Resize of NHWC int8 tensors.
#include "module.h"
#include "ops_args.h"
#include "qint8/resize.h"

using namespace qint8;

namespace qint8napi {
namespace {

// resizeOutputSize(in, scale) -> int
Napi::Value ResizeOutputSize(const Napi::CallbackInfo& info) {
  const int64_t in = intArg(info, 0, "in", 1, INT64_C(1) << 40);
  const double s = numberArg(info, 1, "scale");
  if (!(std::isfinite(s) && s > 0)) throwRange(info.Env(), "scales must be finite numbers > 0");
  return Napi::Number::New(info.Env(), static_cast<double>(resizeOutputSize(in, static_cast<float>(s))));
}

// resize2d(dtype, x, [n, h, w, c, oh, ow], scaleH, scaleW, mode, coord, nearest, out, isa?)
Napi::Value Resize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType t = qTypeArg(info, 0, "dtype");
  const ArrayView x = qArrayArg(info, 1, t, "x");
  const std::vector<int64_t> g = intListArg(info, 2, "geometry", 0, INT64_C(1) << 40, 6);
  if (g.size() != 6) throwRange(env, "geometry must have 6 entries");
  ResizeParams p;
  p.n = g[0], p.h = g[1], p.w = g[2], p.c = g[3], p.oh = g[4], p.ow = g[5];
  p.scaleH = static_cast<float>(numberArg(info, 3, "scaleH"));
  p.scaleW = static_cast<float>(numberArg(info, 4, "scaleW"));
  p.mode = static_cast<ResizeMode>(intArg(info, 5, "mode", 0, 1));
  p.coord = static_cast<ResizeCoord>(intArg(info, 6, "coordinateTransformationMode", 0, 4));
  p.nearest = static_cast<ResizeNearest>(intArg(info, 7, "nearestMode", 0, 3));
  const ArrayView y = qArrayArg(info, 8, t, "out");
  const Isa isa = isaArg(info, 9);
  checkLength(env, x, p.n * p.h * p.w * p.c, "x");
  checkLength(env, y, p.n * p.oh * p.ow * p.c, "out");
  guard(env, [&] { resize2d(isa, p, t, x.data, y.data); });
  return info[8];
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(resize) {
  using namespace qint8napi;
  exportFunction(env, exports, "resizeOutputSize", ResizeOutputSize);
  exportFunction(env, exports, "resize2d", Resize);
}
