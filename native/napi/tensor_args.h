// qint8 binding — conversions of engine tensors ({type, shape, data}), shapes and attribute
// objects between JS and qint8::TensorView / Attrs (lib/engine/ops.ts encodes them).
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "args.h"
#include "qint8/op.h"
#include "qint8/tensor.h"

namespace qint8napi {

using qint8::Attr;
using qint8::Attrs;
using qint8::ElemType;
using qint8::kMaxRank;
using qint8::Shape;
using qint8::TensorView;

// Element type codes shared with lib/engine/ops.ts (ElemType).
inline napi_typedarray_type arrayTypeOfElem(ElemType t) {
  switch (t) {
    case ElemType::kF32: return napi_float32_array;
    case ElemType::kU8: return napi_uint8_array;
    case ElemType::kS8: return napi_int8_array;
    case ElemType::kS32: return napi_int32_array;
    case ElemType::kS64: return napi_bigint64_array;
    case ElemType::kBool: return napi_uint8_array;
    case ElemType::kF64: return napi_float64_array;
  }
  return napi_uint8_array;
}

inline Shape shapeArg(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throwType(env, std::string(what) + ".shape must be an array");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > static_cast<uint32_t>(kMaxRank)) throwRange(env, std::string(what) + ": rank above 8");
  Shape s;
  s.rank = static_cast<int>(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value d = a.Get(i);
    if (!d.IsNumber()) throwType(env, std::string(what) + ".shape entries must be numbers");
    const double x = d.As<Napi::Number>().DoubleValue();
    if (!(x >= 0) || x != static_cast<double>(static_cast<int64_t>(x)) || x > 1e12)
      throwRange(env, std::string(what) + ".shape entries must be non-negative integers");
    s.d[i] = static_cast<int64_t>(x);
  }
  return s;
}

// {type: code, shape: number[], data: TypedArray} -> view (data checked against type and shape).
inline TensorView tensorArg(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsObject()) throwType(env, std::string(what) + " must be {type, shape, data}");
  Napi::Object o = v.As<Napi::Object>();
  TensorView t;
  const Napi::Value tv = o.Get("type");
  if (!tv.IsNumber()) throwType(env, std::string(what) + ".type must be an element type code");
  const int code = tv.As<Napi::Number>().Int32Value();
  if (code < 0 || code > 6) throwRange(env, std::string(what) + ".type is not an element type code");
  t.type = static_cast<ElemType>(code);
  t.shape = shapeArg(env, o.Get("shape"), what);
  const Napi::Value dv = o.Get("data");
  if (!dv.IsTypedArray()) throwType(env, std::string(what) + ".data must be a TypedArray");
  Napi::TypedArray ta = dv.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != arrayTypeOfElem(t.type)) throwType(env, std::string(what) + ".data has the wrong TypedArray type");
  if (ta.ElementLength() != static_cast<size_t>(t.shape.numel()))
    throwRange(env, std::string(what) + ".data has " + std::to_string(ta.ElementLength()) + " elements, shape " + t.shape.str() +
                        " needs " + std::to_string(t.shape.numel()));
  t.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return t;
}

// One op input for createOp / modelAddOp: undefined = omitted (returns false), null = runtime
// input of unknown type, {type} = runtime input of that element type (no data), {type, shape,
// data} = constant.
inline bool opInputArg(Napi::Env env, const Napi::Value& v, const char* what, TensorView* t) {
  *t = TensorView();
  if (v.IsUndefined()) return false;
  if (v.IsNull()) return true;
  if (!v.IsObject()) throwType(env, std::string(what) + " must be a tensor, a {type} descriptor, null or undefined");
  Napi::Object o = v.As<Napi::Object>();
  if (o.Has("data") && !o.Get("data").IsUndefined()) {
    *t = tensorArg(env, v, what);
    return true;
  }
  const Napi::Value tv = o.Get("type");
  if (!tv.IsNumber()) throwType(env, std::string(what) + ".type must be an element type code");
  const int code = tv.As<Napi::Number>().Int32Value();
  if (code < 0 || code > 6) throwRange(env, std::string(what) + ".type is not an element type code");
  t->type = static_cast<ElemType>(code);
  return true;
}

inline Attrs attrsArg(Napi::Env env, const Napi::Value& v) {
  Attrs attrs;
  if (v.IsUndefined() || v.IsNull()) return attrs;
  if (!v.IsObject()) throwType(env, "attrs must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value x = o.Get(k);
    Attr a;
    if (x.IsObject() && !x.IsArray() && !x.IsTypedArray() && x.As<Napi::Object>().Has("kind")) {
      // {kind: 'int' | 'float' | 'ints' | 'floats', value} disambiguates integral floats.
      Napi::Object w = x.As<Napi::Object>();
      const std::string kind = w.Get("kind").As<Napi::String>().Utf8Value();
      Napi::Value val = w.Get("value");
      if (kind == "float") {
        a.kind = Attr::kFloat;
        a.f = val.As<Napi::Number>().DoubleValue();
      } else if (kind == "floats") {
        a.kind = Attr::kFloats;
        Napi::Array arr = val.As<Napi::Array>();
        for (uint32_t j = 0; j < arr.Length(); ++j) a.floats.push_back(arr.Get(j).As<Napi::Number>().DoubleValue());
      } else if (kind == "tensor") {
        const TensorView t = tensorArg(env, val, ("attribute " + k).c_str());
        a.kind = Attr::kTensor;
        a.tensorType = t.type;
        a.tensorShape = t.shape;
        a.tensorData.assign(static_cast<uint8_t*>(t.data), static_cast<uint8_t*>(t.data) + t.bytes());
      } else {
        throwRange(env, "attribute '" + k + "': unknown kind '" + kind + "'");
      }
    } else if (x.IsNumber()) {
      const double d = x.As<Napi::Number>().DoubleValue();
      if (d == static_cast<double>(static_cast<int64_t>(d))) {
        a.kind = Attr::kInt;
        a.i = static_cast<int64_t>(d);
      } else {
        a.kind = Attr::kFloat;
        a.f = d;
      }
    } else if (x.IsString()) {
      a.kind = Attr::kString;
      a.s = x.As<Napi::String>().Utf8Value();
    } else if (x.IsArray()) {
      Napi::Array arr = x.As<Napi::Array>();
      bool allInt = true;
      std::vector<double> vals;
      for (uint32_t j = 0; j < arr.Length(); ++j) {
        Napi::Value e = arr.Get(j);
        if (!e.IsNumber()) throwType(env, "attribute '" + k + "' must hold numbers");
        const double d = e.As<Napi::Number>().DoubleValue();
        allInt &= d == static_cast<double>(static_cast<int64_t>(d));
        vals.push_back(d);
      }
      if (allInt) {
        a.kind = Attr::kInts;
        for (double d : vals) a.ints.push_back(static_cast<int64_t>(d));
      } else {
        a.kind = Attr::kFloats;
        a.floats = vals;
      }
    } else {
      throwType(env, "attribute '" + k + "' has an unsupported type");
    }
    attrs.map[k] = std::move(a);
  }
  return attrs;
}

}  // namespace qint8napi
