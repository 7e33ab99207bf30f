// Binding: DynamicQuantizeLinear.
#include "module.h"
#include "ops_args.h"
#include "qint8/dynquant.h"

using namespace qint8;

namespace qint8napi {
namespace {

// dynamicQuantize(x: Float32Array, out: Uint8Array, isa?) -> [scale, zeroPoint]
Napi::Value DynamicQuantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView x = typedArrayArg(info, 0, napi_float32_array, "x");
  const ArrayView y = typedArrayArg(info, 1, napi_uint8_array, "out");
  const Isa isa = isaArg(info, 2);
  checkLength(env, y, static_cast<int64_t>(x.length), "out");
  const QParams q = guard(env, [&] {
    return dynamicQuantizeLinear(isa, static_cast<const float*>(x.data), x.length, static_cast<uint8_t*>(y.data));
  });
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, q.scale));
  a.Set(1u, Napi::Number::New(env, q.zeroPoint));
  return a;
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(dynquant) {
  using namespace qint8napi;
  exportFunction(env, exports, "dynamicQuantize", DynamicQuantize);
}
