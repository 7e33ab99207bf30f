// qint8 binding — JS value conversion helpers. No math here: only checks and conversions.
#pragma once
#include <napi.h>

#include <cmath>
#include <string>

namespace qint8napi {

[[noreturn]] inline void throwType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] inline void throwRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

inline const char* typedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    default: return "TypedArray";
  }
}

struct ArrayView {
  void* data = nullptr;
  size_t length = 0;  // elements
};

// The typed array at info[i] of type `want` (or an empty view when optional and null/undefined).
inline ArrayView typedArrayArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type want, const char* name,
                               bool optional = false) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (optional && (v.IsNull() || v.IsUndefined())) return {};
  if (!v.IsTypedArray()) throwType(env, std::string(name) + " must be a " + typedArrayName(want));
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != want)
    throwType(env, std::string(name) + " must be a " + typedArrayName(want) + ", got " + typedArrayName(ta.TypedArrayType()));
  ArrayView view;
  view.length = ta.ElementLength();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  view.data = static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset();
  return view;
}

inline double numberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throwType(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// A non-negative integer within [lo, hi].
inline int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  const double d = numberArg(info, i, name);
  if (!std::isfinite(d) || d != std::floor(d)) throwType(info.Env(), std::string(name) + " must be an integer");
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throwRange(info.Env(), std::string(name) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(d);
}

inline std::string stringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) throwType(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

}  // namespace qint8napi
