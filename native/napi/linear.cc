// Binding: packed linear layers (packLinear, linear, linearAsync).
#include <memory>
#include <string>

#include "args.h"
#include "handle.h"
#include "module.h"
#include "qint8/linear.h"

using namespace qint8;

namespace qint8napi {
namespace {

struct LinearTraits {
  using Op = Linear;
  static constexpr const char* kName = "PackedLinear";
  static constexpr const char* kFactory = "packLinear";
  static constexpr const char* kWhat = "packed linear";
  static constexpr napi_type_tag kTag = {0x71696e7438ULL, 0x4c696e6561720001ULL};
  template <typename Props>
  static void addAccessors(Props& p) {
    using H = OpHandle<LinearTraits>;
    p.push_back(H::template InstanceAccessor<&H::template Get<&n>>("n"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&k>>("k"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&isa>>("isa"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&packedBytes>>("packedBytes"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&inputType>>("inputType"));
    p.push_back(H::template InstanceAccessor<&H::template Get<&outputType>>("outputType"));
  }
  static Napi::Value n(const Linear* op, Napi::Env env) { return Napi::Number::New(env, op ? op->n() : 0); }
  static Napi::Value k(const Linear* op, Napi::Env env) { return Napi::Number::New(env, op ? op->k() : 0); }
  static Napi::Value isa(const Linear* op, Napi::Env env) {
    return op ? Napi::String::New(env, isaName(op->isa())) : env.Null();
  }
  static Napi::Value packedBytes(const Linear* op, Napi::Env env) {
    return Napi::Number::New(env, op ? static_cast<double>(op->packedBytes()) : 0);
  }
  static Napi::Value inputType(const Linear* op, Napi::Env env) {
    return op ? Napi::String::New(env, dtypeName(op->inputType())) : env.Null();
  }
  static Napi::Value outputType(const Linear* op, Napi::Env env) {
    return op ? Napi::String::New(env, dtypeName(op->outputType())) : env.Null();
  }
};
using PackedLinear = OpHandle<LinearTraits>;

// Checked buffers of one linear() call.
struct LinearCall {
  std::shared_ptr<Linear> op;
  const void* x = nullptr;
  void* y = nullptr;
  int m = 0;
  bool override = false;
  QParams input;
};

// linear(packed, x, m, out, inScale?, inZeroPoint?)
LinearCall parseLinearCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinearCall c;
  c.op = PackedLinear::From(env, info[0]);
  const ArrayView x = typedArrayArg(info, 1, arrayTypeOf(c.op->inputType()), "x");
  c.m = static_cast<int>(intArg(info, 2, "m", 1, INT32_MAX));
  const ArrayView y = typedArrayArg(info, 3, arrayTypeOf(c.op->outputType()), "out");
  if (x.length != static_cast<size_t>(c.m) * c.op->k())
    throwRange(env, "x has " + std::to_string(x.length) + " elements, expected m*k = " +
                        std::to_string(static_cast<size_t>(c.m) * c.op->k()));
  if (y.length != static_cast<size_t>(c.m) * c.op->n())
    throwRange(env, "out has " + std::to_string(y.length) + " elements, expected m*n = " +
                        std::to_string(static_cast<size_t>(c.m) * c.op->n()));
  c.x = x.data;
  c.y = y.data;
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    c.override = true;
    c.input.scale = static_cast<float>(numberArg(info, 4, "input.scale"));
    c.input.zeroPoint = static_cast<int32_t>(intArg(info, 5, "input.zeroPoint", -128, 255));
  }
  return c;
}

void runLinear(const LinearCall& c) {
  c.op->run(c.x, c.m, c.op->k(), c.y, c.op->n(), c.override ? &c.input : nullptr);
}

// packLinear(weight, n, k, isa, weightScale, weightZp|null, bias|null, biasQ|null,
//            inType, inScale, inZp, outType, outScale, outZp, relu, clipMin|NaN, clipMax|NaN)
Napi::Value PackLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LinearConfig c;
  const ArrayView w = typedArrayArg(info, 0, napi_int8_array, "weight");
  c.n = static_cast<int>(intArg(info, 1, "n", 1, INT32_MAX));
  c.k = static_cast<int>(intArg(info, 2, "k", 1, INT32_MAX));
  if (w.length != static_cast<size_t>(c.n) * c.k)
    throwRange(env, "weight has " + std::to_string(w.length) + " elements, expected n*k = " +
                        std::to_string(static_cast<size_t>(c.n) * c.k));
  c.weight = static_cast<const int8_t*>(w.data);
  c.isa = isaArg(info, 3);
  const ArrayView ws = typedArrayArg(info, 4, napi_float32_array, "weightScale");
  c.weightScale = static_cast<const float*>(ws.data);
  c.weightScaleCount = static_cast<int>(ws.length);
  const ArrayView wz = typedArrayArg(info, 5, napi_int32_array, "weightZeroPoint", true);
  c.weightZeroPoint = static_cast<const int32_t*>(wz.data);
  c.weightZeroPointCount = static_cast<int>(wz.length);
  const ArrayView b = typedArrayArg(info, 6, napi_float32_array, "bias", true);
  const ArrayView bq = typedArrayArg(info, 7, napi_int32_array, "bias", true);
  if (b.data && b.length != static_cast<size_t>(c.n)) throwRange(env, "bias must have n entries");
  if (bq.data && bq.length != static_cast<size_t>(c.n)) throwRange(env, "bias must have n entries");
  c.bias = static_cast<const float*>(b.data);
  c.biasQ = static_cast<const int32_t*>(bq.data);
  c.inputType = dtypeArg(info, 8, "input.dtype");
  c.input.scale = static_cast<float>(numberArg(info, 9, "input.scale"));
  c.input.zeroPoint = static_cast<int32_t>(intArg(info, 10, "input.zeroPoint", -128, 255));
  c.outputType = dtypeArg(info, 11, "output.dtype");
  c.output.scale = static_cast<float>(numberArg(info, 12, "output.scale"));
  c.output.zeroPoint = static_cast<int32_t>(intArg(info, 13, "output.zeroPoint", -128, 255));
  c.relu = info[14].ToBoolean();
  const double clipMin = numberArg(info, 15, "clip.min"), clipMax = numberArg(info, 16, "clip.max");
  c.hasClip = !std::isnan(clipMin) || !std::isnan(clipMax);
  c.clipMin = std::isnan(clipMin) ? -INFINITY : static_cast<float>(clipMin);
  c.clipMax = std::isnan(clipMax) ? INFINITY : static_cast<float>(clipMax);
  return PackedLinear::Wrap(env, guard(env, [&] { return std::shared_ptr<Linear>(Linear::create(c)); }));
}

Napi::Value LinearSync(const Napi::CallbackInfo& info) {
  LinearCall c = parseLinearCall(info);
  guard(info.Env(), [&] { runLinear(c); });
  return info[3];
}

Napi::Value LinearAsync(const Napi::CallbackInfo& info) {
  LinearCall c = parseLinearCall(info);
  return CallWorker::Start(info.Env(), "qint8.linearAsync", [c] { runLinear(c); }, info[3], {info[1]});
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(linear) {
  using namespace qint8napi;
  PackedLinear::Register(env);
  exportFunction(env, exports, "packLinear", PackLinear);
  exportFunction(env, exports, "linear", LinearSync);
  exportFunction(env, exports, "linearAsync", LinearAsync);
}
