// Binding: packed 2-D convolutions (packConv2d, conv2d, conv2dAsync, conv2dOutputShape).
#include <cmath>
#include <memory>
#include <string>

#include "args.h"
#include "handle.h"
#include "module.h"
#include "qint8/conv.h"

using namespace qint8;

namespace qint8napi {
namespace {

struct ConvTraits {
  using Op = Conv2d;
  static constexpr const char* kName = "PackedConv2d";
  static constexpr const char* kFactory = "packConv2d";
  static constexpr const char* kWhat = "packed conv2d";
  static constexpr napi_type_tag kTag = {0x71696e7438ULL, 0x436f6e7632640001ULL};
  template <typename Props>
  static void addAccessors(Props& p) {
    using H = OpHandle<ConvTraits>;
    p.push_back(H::template InstanceAccessor<&H::template Get<&algorithm>>("algorithm"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&packedBytes>>("packedBytes"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&isa>>("isa"));
  }
  static Napi::Value algorithm(const Conv2d* op, Napi::Env env) {
    return op ? Napi::String::New(env, op->algorithm()) : env.Null();
  }
  static Napi::Value packedBytes(const Conv2d* op, Napi::Env env) {
    return Napi::Number::New(env, op ? static_cast<double>(op->packedBytes()) : 0);
  }
  static Napi::Value isa(const Conv2d* op, Napi::Env env) {
    return op ? Napi::String::New(env, isaName(op->config().isa)) : env.Null();
  }
};
using PackedConv = OpHandle<ConvTraits>;

// Geometry ints, in order (lib/ops/conv.ts builds the same array).
enum Geom { kTransposed, kCin, kCout, kKh, kKw, kGroups, kSh, kSw, kDh, kDw, kPt, kPl, kPb, kPr, kAutoPad, kOph, kOpw, kGeomCount };

// packConv2d(weight, isa, geom: Int32Array, weightScale, weightZp|null, bias|null, biasQ|null,
//            inType, inScale, inZp, outType, outScale, outZp, relu, clipMin|NaN, clipMax|NaN)
Napi::Value PackConv2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Conv2dConfig c;
  const ArrayView w = typedArrayArg(info, 0, napi_int8_array, "weight");
  c.isa = isaArg(info, 1);
  const ArrayView gv = typedArrayArg(info, 2, napi_int32_array, "geometry");
  if (gv.length != kGeomCount) throwRange(env, "geometry must have " + std::to_string(kGeomCount) + " entries");
  const int32_t* g = static_cast<const int32_t*>(gv.data);
  c.transposed = g[kTransposed] != 0;
  c.cin = g[kCin];
  c.cout = g[kCout];
  c.kh = g[kKh];
  c.kw = g[kKw];
  c.groups = g[kGroups];
  c.strideH = g[kSh];
  c.strideW = g[kSw];
  c.dilationH = g[kDh];
  c.dilationW = g[kDw];
  c.padTop = g[kPt];
  c.padLeft = g[kPl];
  c.padBottom = g[kPb];
  c.padRight = g[kPr];
  if (g[kAutoPad] < 0 || g[kAutoPad] > 3) throwRange(env, "autoPad must be 0..3");
  c.autoPad = static_cast<AutoPad>(g[kAutoPad]);
  c.outputPaddingH = g[kOph];
  c.outputPaddingW = g[kOpw];
  if (c.cin <= 0 || c.cout <= 0 || c.kh <= 0 || c.kw <= 0 || c.groups <= 0) throwRange(env, "channels, kernel and groups must be >= 1");
  const size_t wsize = static_cast<size_t>(c.transposed ? c.cin : c.cout) *
                       static_cast<size_t>(c.cin % c.groups == 0 && c.cout % c.groups == 0
                                               ? (c.transposed ? c.cout : c.cin) / c.groups
                                               : 0) *
                       c.kh * c.kw;
  if (w.length != wsize) throwRange(env, "weight has " + std::to_string(w.length) + " elements, expected " + std::to_string(wsize));
  c.weight = static_cast<const int8_t*>(w.data);
  const ArrayView ws = typedArrayArg(info, 3, napi_float32_array, "weightScale");
  c.weightScale = static_cast<const float*>(ws.data);
  c.weightScaleCount = static_cast<int>(ws.length);
  const ArrayView wz = typedArrayArg(info, 4, napi_int32_array, "weightZeroPoint", true);
  c.weightZeroPoint = static_cast<const int32_t*>(wz.data);
  c.weightZeroPointCount = static_cast<int>(wz.length);
  const ArrayView b = typedArrayArg(info, 5, napi_float32_array, "bias", true);
  const ArrayView bq = typedArrayArg(info, 6, napi_int32_array, "bias", true);
  if (b.data && b.length != static_cast<size_t>(c.cout)) throwRange(env, "bias must have cout entries");
  if (bq.data && bq.length != static_cast<size_t>(c.cout)) throwRange(env, "bias must have cout entries");
  c.bias = static_cast<const float*>(b.data);
  c.biasQ = static_cast<const int32_t*>(bq.data);
  c.inputType = dtypeArg(info, 7, "input.dtype");
  c.input.scale = static_cast<float>(numberArg(info, 8, "input.scale"));
  c.input.zeroPoint = static_cast<int32_t>(intArg(info, 9, "input.zeroPoint", -128, 255));
  c.outputType = dtypeArg(info, 10, "output.dtype");
  c.output.scale = static_cast<float>(numberArg(info, 11, "output.scale"));
  c.output.zeroPoint = static_cast<int32_t>(intArg(info, 12, "output.zeroPoint", -128, 255));
  c.relu = info[13].ToBoolean();
  const double clipMin = numberArg(info, 14, "clip.min"), clipMax = numberArg(info, 15, "clip.max");
  c.hasClip = !std::isnan(clipMin) || !std::isnan(clipMax);
  c.clipMin = std::isnan(clipMin) ? -INFINITY : static_cast<float>(clipMin);
  c.clipMax = std::isnan(clipMax) ? INFINITY : static_cast<float>(clipMax);
  return PackedConv::Wrap(env, guard(env, [&] { return std::shared_ptr<Conv2d>(Conv2d::create(c)); }));
}

struct ConvCall {
  std::shared_ptr<Conv2d> op;
  const void* x = nullptr;
  void* y = nullptr;
  int n = 0, h = 0, w = 0;
};

// conv2d(packed, x, n, h, w, out)
ConvCall parseConvCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ConvCall c;
  c.op = PackedConv::From(env, info[0]);
  const Conv2dConfig& cfg = c.op->config();
  const ArrayView x = typedArrayArg(info, 1, arrayTypeOf(cfg.inputType), "x");
  c.n = static_cast<int>(intArg(info, 2, "n", 1, INT32_MAX));
  c.h = static_cast<int>(intArg(info, 3, "h", 1, INT32_MAX));
  c.w = static_cast<int>(intArg(info, 4, "w", 1, INT32_MAX));
  const ArrayView y = typedArrayArg(info, 5, arrayTypeOf(cfg.outputType), "out");
  const ConvGeometry g = guard(env, [&] { return c.op->geometry(c.n, c.h, c.w); });
  const size_t xlen = static_cast<size_t>(c.n) * c.h * c.w * cfg.cin;
  const size_t ylen = static_cast<size_t>(c.n) * g.oh * g.ow * cfg.cout;
  if (x.length != xlen) throwRange(env, "x has " + std::to_string(x.length) + " elements, expected n*h*w*cin = " + std::to_string(xlen));
  if (y.length != ylen) throwRange(env, "out has " + std::to_string(y.length) + " elements, expected n*oh*ow*cout = " + std::to_string(ylen));
  c.x = x.data;
  c.y = y.data;
  return c;
}

Napi::Value Conv2dSync(const Napi::CallbackInfo& info) {
  ConvCall c = parseConvCall(info);
  guard(info.Env(), [&] { c.op->run(c.x, c.n, c.h, c.w, c.y); });
  return info[5];
}

Napi::Value Conv2dAsync(const Napi::CallbackInfo& info) {
  ConvCall c = parseConvCall(info);
  return CallWorker::Start(info.Env(), "qint8.conv2dAsync", [c] { c.op->run(c.x, c.n, c.h, c.w, c.y); }, info[5], {info[1]});
}

// conv2dOutputShape(packed, n, h, w) -> [oh, ow]
Napi::Value OutputShape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto op = PackedConv::From(env, info[0]);
  const int n = static_cast<int>(intArg(info, 1, "n", 1, INT32_MAX));
  const int h = static_cast<int>(intArg(info, 2, "h", 1, INT32_MAX));
  const int w = static_cast<int>(intArg(info, 3, "w", 1, INT32_MAX));
  const ConvGeometry g = guard(env, [&] { return op->geometry(n, h, w); });
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, g.oh);
  a.Set(1u, g.ow);
  return a;
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(conv) {
  using namespace qint8napi;
  PackedConv::Register(env);
  exportFunction(env, exports, "packConv2d", PackConv2d);
  exportFunction(env, exports, "conv2d", Conv2dSync);
  exportFunction(env, exports, "conv2dAsync", Conv2dAsync);
  exportFunction(env, exports, "conv2dOutputShape", OutputShape);
}
