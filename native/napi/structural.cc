// Binding: Pad and Concat on N-D int8 tensors.
#include "module.h"
#include "ops_args.h"
#include "qint8/structural.h"

using namespace qint8;

namespace qint8napi {
namespace {

// pad(x: Uint8Array | Int8Array, shape, begin, end, mode, value (byte), out)
Napi::Value Pad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || !info[6].IsTypedArray()) throwType(env, "x and out must be Uint8Array or Int8Array");
  const napi_typedarray_type tx = info[0].As<Napi::TypedArray>().TypedArrayType();
  if (tx != napi_uint8_array && tx != napi_int8_array) throwType(env, "x must be a Uint8Array or an Int8Array");
  const ArrayView x = typedArrayArg(info, 0, tx, "x");
  const std::vector<int64_t> shape = intListArg(info, 1, "shape", 0, INT64_C(1) << 40, kMaxPadRank);
  const std::vector<int64_t> begin = intListArg(info, 2, "pads (begin)", 0, INT64_C(1) << 40, kMaxPadRank);
  const std::vector<int64_t> end = intListArg(info, 3, "pads (end)", 0, INT64_C(1) << 40, kMaxPadRank);
  const PadMode mode = static_cast<PadMode>(intArg(info, 4, "mode", 0, 2));
  const uint8_t value = static_cast<uint8_t>(intArg(info, 5, "value", 0, 255));
  const ArrayView y = typedArrayArg(info, 6, tx, "out");
  if (shape.size() != begin.size() || shape.size() != end.size()) throwRange(env, "pads must have one entry per axis");
  checkLength(env, x, shapeSize(shape), "x");
  int64_t outSize = 1;
  for (size_t a = 0; a < shape.size(); ++a) outSize *= shape[a] + begin[a] + end[a];
  checkLength(env, y, outSize, "out");
  guard(env, [&] { pad(shape, begin, end, mode, value, x.data, y.data); });
  return info[6];
}

// concat(dtype, inputs: [{data, shape, scale, zeroPoint}], axis, outScale, outZp, out, isa?)
Napi::Value Concat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DType t = qTypeArg(info, 0, "dtype");
  if (!info[1].IsArray()) throwType(env, "inputs must be an array");
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<ConcatInput> inputs(arr.Length());
  int64_t outSize = 0;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) throwType(env, "inputs[" + std::to_string(i) + "] must be an object");
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value d = o.Get("data");
    if (!d.IsTypedArray() || d.As<Napi::TypedArray>().TypedArrayType() != arrayTypeOf(t))
      throwType(env, "inputs[" + std::to_string(i) + "].data must be a " + typedArrayName(arrayTypeOf(t)));
    Napi::TypedArray ta = d.As<Napi::TypedArray>();
    inputs[i].data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    Napi::Value sh = o.Get("shape");
    if (!sh.IsArray()) throwType(env, "inputs[" + std::to_string(i) + "].shape must be an array");
    Napi::Array sa = sh.As<Napi::Array>();
    int64_t size = 1;
    for (uint32_t k = 0; k < sa.Length(); ++k) {
      Napi::Value e = sa.Get(k);
      if (!e.IsNumber()) throwType(env, "inputs[" + std::to_string(i) + "].shape entries must be integers");
      const double dv = e.As<Napi::Number>().DoubleValue();
      if (!(dv >= 0 && dv == std::floor(dv) && dv < 1e12)) throwRange(env, "inputs[" + std::to_string(i) + "].shape entries must be integers >= 0");
      inputs[i].shape.push_back(static_cast<int64_t>(dv));
      size *= static_cast<int64_t>(dv);
    }
    if (static_cast<int64_t>(ta.ElementLength()) != size)
      throwRange(env, "inputs[" + std::to_string(i) + "].data length does not match its shape");
    Napi::Value sc = o.Get("scale"), zp = o.Get("zeroPoint");
    if (!sc.IsNumber() || !zp.IsNumber()) throwType(env, "inputs[" + std::to_string(i) + "] needs numeric scale and zeroPoint");
    const double zd = zp.As<Napi::Number>().DoubleValue();
    if (!(zd >= -128 && zd <= 255 && zd == std::floor(zd)))
      throwRange(env, "inputs[" + std::to_string(i) + "].zeroPoint must be an integer in the type's range");
    inputs[i].q.scale = static_cast<float>(sc.As<Napi::Number>().DoubleValue());
    inputs[i].q.zeroPoint = static_cast<int32_t>(zd);
    outSize += size;
  }
  const int axis = static_cast<int>(intArg(info, 2, "axis", 0, 64));
  const QParams out = qparamsArg(info, 3, "output");
  const ArrayView y = qArrayArg(info, 5, t, "out");
  const Isa isa = isaArg(info, 6);
  checkLength(env, y, outSize, "out");
  guard(env, [&] { concat(isa, inputs, axis, t, out, y.data); });
  return info[5];
}

}  // namespace
}  // namespace qint8napi

QINT8_NAPI_MODULE(structural) {
  using namespace qint8napi;
  exportFunction(env, exports, "pad", Pad);
  exportFunction(env, exports, "concat", Concat);
}
