// Binding: QuantizeLinear / DequantizeLinear.
#include "args.h"
#include "module.h"
#include "qint8/quantize.h"

using namespace qint8;

namespace qint8napi {
namespace {

// quantize(x: Float32Array, outer, channels, inner, scale: Float32Array, zp: Int32Array, dtype, out, isa?)
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView x = typedArrayArg(info, 0, napi_float32_array, "x");
  const size_t outer = static_cast<size_t>(intArg(info, 1, "outer", 0, INT64_C(1) << 50));
  const size_t ch = static_cast<size_t>(intArg(info, 2, "channels", 1, INT64_C(1) << 40));
  const size_t inner = static_cast<size_t>(intArg(info, 3, "inner", 0, INT64_C(1) << 50));
  const ArrayView sc = typedArrayArg(info, 4, napi_float32_array, "scale");
  const ArrayView zp = typedArrayArg(info, 5, napi_int32_array, "zeroPoint");
  const DType t = dtypeArg(info, 6, "dtype");
  if (t != DType::kU8 && t != DType::kS8) throwRange(env, "dtype must be uint8 or int8");
  const ArrayView y = typedArrayArg(info, 7, arrayTypeOf(t), "out");
  const Isa isa = isaArg(info, 8);
  if (x.length != outer * ch * inner || y.length != x.length) throwRange(env, "x/out lengths do not match the shape");
  if (sc.length != ch || zp.length != ch) throwRange(env, "scale/zeroPoint must have one entry per channel");
  guard(env, [&] {
    quantizeLinear(isa, static_cast<const float*>(x.data), outer, ch, inner, static_cast<const float*>(sc.data),
                   static_cast<const int32_t*>(zp.data), t, y.data);
  });
  return info[7];
}

// dequantize(q, outer, channels, inner, scale, zp, dtype, out: Float32Array, isa?)
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType t = dtypeArg(info, 6, "dtype");
  if (t != DType::kU8 && t != DType::kS8) throwRange(env, "dtype must be uint8 or int8");
  const ArrayView q = typedArrayArg(info, 0, arrayTypeOf(t), "q");
  const size_t outer = static_cast<size_t>(intArg(info, 1, "outer", 0, INT64_C(1) << 50));
  const size_t ch = static_cast<size_t>(intArg(info, 2, "channels", 1, INT64_C(1) << 40));
  const size_t inner = static_cast<size_t>(intArg(info, 3, "inner", 0, INT64_C(1) << 50));
  const ArrayView sc = typedArrayArg(info, 4, napi_float32_array, "scale");
  const ArrayView zp = typedArrayArg(info, 5, napi_int32_array, "zeroPoint");
  const ArrayView y = typedArrayArg(info, 7, napi_float32_array, "out");
  const Isa isa = isaArg(info, 8);
  if (q.length != outer * ch * inner || y.length != q.length) throwRange(env, "q/out lengths do not match the shape");
  if (sc.length != ch || zp.length != ch) throwRange(env, "scale/zeroPoint must have one entry per channel");
  guard(env, [&] {
    dequantizeLinear(isa, q.data, outer, ch, inner, static_cast<const float*>(sc.data),
                     static_cast<const int32_t*>(zp.data), t, static_cast<float*>(y.data));
  });
  return info[7];
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(quantize) {
  using namespace qint8napi;
  exportFunction(env, exports, "quantize", Quantize);
  exportFunction(env, exports, "dequantize", Dequantize);
}
