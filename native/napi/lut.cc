// Binding: lookup-table unary ops (table construction and the byte lookup).
#include "module.h"
#include "ops_args.h"
#include "qint8/lut.h"

using namespace qint8;

namespace qint8napi {
namespace {

// lutBuild(fn, alpha, beta, inType, inScale, inZp, outType, outScale, outZp) -> Uint8Array(256)
Napi::Value LutBuild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const UnaryFn fn = static_cast<UnaryFn>(intArg(info, 0, "fn", 0, kUnaryFnCount - 1));
  UnaryParams p;
  p.alpha = static_cast<float>(numberArg(info, 1, "alpha"));
  p.beta = static_cast<float>(numberArg(info, 2, "beta"));
  const DType inT = qTypeArg(info, 3, "input.dtype");
  const QParams in = qparamsArg(info, 4, "input");
  const DType outT = qTypeArg(info, 6, "output.dtype");
  const QParams out = qparamsArg(info, 7, "output");
  Napi::Uint8Array table = Napi::Uint8Array::New(env, 256);
  guard(env, [&] { buildLookupTable(fn, p, inT, in, outT, out, table.Data()); });
  return table;
}

// lutInputs(inType, inScale, inZp) -> Float32Array(256): the dequantized value of every byte.
Napi::Value LutInputs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType inT = qTypeArg(info, 0, "input.dtype");
  const QParams in = qparamsArg(info, 1, "input");
  Napi::Float32Array v = Napi::Float32Array::New(env, 256);
  guard(env, [&] { lookupTableInputs(inT, in, v.Data()); });
  return v;
}

// lutQuantize(values: Float32Array(256), outType, outScale, outZp) -> Uint8Array(256)
Napi::Value LutQuantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView v = typedArrayArg(info, 0, napi_float32_array, "values");
  checkLength(env, v, 256, "values");
  const DType outT = qTypeArg(info, 1, "output.dtype");
  const QParams out = qparamsArg(info, 2, "output");
  Napi::Uint8Array table = Napi::Uint8Array::New(env, 256);
  guard(env, [&] { quantizeTable(static_cast<const float*>(v.data), outT, out, table.Data()); });
  return table;
}

// lutApply(table: Uint8Array(256), x: Uint8Array | Int8Array, out: same length, isa?) -> out
Napi::Value LutApply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ArrayView t = typedArrayArg(info, 0, napi_uint8_array, "table");
  checkLength(env, t, 256, "table");
  if (!info[1].IsTypedArray() || !info[2].IsTypedArray()) throwType(env, "x and out must be Uint8Array or Int8Array");
  const napi_typedarray_type tx = info[1].As<Napi::TypedArray>().TypedArrayType();
  const napi_typedarray_type ty = info[2].As<Napi::TypedArray>().TypedArrayType();
  if (tx != napi_uint8_array && tx != napi_int8_array) throwType(env, "x must be a Uint8Array or an Int8Array");
  if (ty != napi_uint8_array && ty != napi_int8_array) throwType(env, "out must be a Uint8Array or an Int8Array");
  const ArrayView x = typedArrayArg(info, 1, tx, "x");
  const ArrayView y = typedArrayArg(info, 2, ty, "out");
  checkLength(env, y, static_cast<int64_t>(x.length), "out");
  const Isa isa = isaArg(info, 3);
  guard(env, [&] {
    applyLookupTable(isa, static_cast<const uint8_t*>(t.data), static_cast<const uint8_t*>(x.data), x.length,
                     static_cast<uint8_t*>(y.data));
  });
  return info[2];
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(lut) {
  using namespace qint8napi;
  exportFunction(env, exports, "lutBuild", LutBuild);
  exportFunction(env, exports, "lutInputs", LutInputs);
  exportFunction(env, exports, "lutQuantize", LutQuantize);
  exportFunction(env, exports, "lutApply", LutApply);
}
